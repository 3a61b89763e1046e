package runtime.cli;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;

import runtime.cli.HostileArchives.Case;
import runtime.cli.HostileArchives.Tar;

/**
 * The hostile corpus served over HTTP (python3's http.server on 127.0.0.1) for the sources that download:
 * <ul>
 *   <li>an LXC image server (simplestreams) with an image {@code hostile:CASE} per case, the case's archive
 *   as its rootfs.tar.xz (the name only: the source finds the compression itself);</li>
 *   <li>a Debian archive with a suite per case holding two required packages: {@code hostile}, whose
 *   data.tar is the case's archive byte for byte, and {@code shell}, a static busybox as /usr/bin/sh and
 *   /usr/bin/umount with a /usr/bin/dpkg stand-in, so that the bootstrap's configure step (run in a
 *   container on the unpacked layer) succeeds when the hostile data was neutralised rather than refused.
 *   Its limits are the corpus's plus what the shell package and the dpkg database add.</li>
 * </ul>
 */
final class HostileServer implements AutoCloseable {
    /** Entries the bootstrap adds besides the hostile data (merged-/usr links, the shell, the dpkg database): about 25. */
    private static final int EXTRA_ENTRIES = 50;

    /** What strata needs to use the Debian archive: the mirror, no keyring, the limits. */
    final Map<String, String> debianEnv;
    /** What strata needs to use the LXC image server: its address, the corpus's limits. */
    final Map<String, String> lxcEnv;
    private final Process server;

    private HostileServer(Map<String, String> debianEnv, Map<String, String> lxcEnv, Process server) {
        this.debianEnv = debianEnv;
        this.lxcEnv = lxcEnv;
        this.server = server;
    }

    /** Builds the image server and the archive for {@code cases} in {@code dir} and serves them on 127.0.0.1. */
    static HostileServer serve(Path dir, List<Case> cases) throws Exception {
        String arch = new String(new ProcessBuilder("dpkg", "--print-architecture").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        Path busybox = Path.of("/bin/busybox");
        byte[] shellDeb = deb("shell", new Tar().dir("usr").dir("usr/bin")
                .entry("usr/bin/busybox", '0', 0755, 0, Files.readAllBytes(busybox), "", 0, 0)
                .symlink("usr/bin/sh", "busybox").symlink("usr/bin/umount", "busybox")
                .entry("usr/bin/dpkg", '0', 0755, 0, "#!/bin/sh\n# stand-in for dpkg --configure -a: nothing to configure\nexit 0\n"
                        .getBytes(StandardCharsets.UTF_8), "", 0, 0).bytes());
        Files.createDirectories(dir.resolve("pool"));
        Files.write(dir.resolve("pool/shell.deb"), shellDeb);
        String shellStanza = stanza("shell", "pool/shell.deb", shellDeb);
        for (Case c : cases) {
            byte[] hostile = deb("hostile", c.tar());
            Path pool = Files.createDirectories(dir.resolve("pool/" + c.name()));
            Files.write(pool.resolve("hostile.deb"), hostile);
            Path index = Files.createDirectories(dir.resolve("dists/" + c.name() + "/main/binary-" + arch));
            byte[] packages = (shellStanza + "\n" + stanza("hostile", "pool/" + c.name() + "/hostile.deb", hostile))
                    .getBytes(StandardCharsets.UTF_8);
            Files.write(index.resolve("Packages"), packages);
            Files.writeString(dir.resolve("dists/" + c.name() + "/Release"), "Suite: " + c.name() + "\nArchitectures: " + arch
                    + "\nComponents: main\nSHA256:\n " + HostileArchives.sha256(packages).substring(7) + " " + packages.length
                    + " main/binary-" + arch + "/Packages\n");
        }
        lxcImages(dir.resolve("lxc"), cases, arch);
        Map<String, String> env = new HashMap<>();
        env.put("STRATA_MAX_LAYER_SIZE", Long.toString((1 << 20) + Files.size(busybox) + (64 << 10)));
        env.put("STRATA_MAX_LAYER_ENTRIES", Integer.toString(1000 + EXTRA_ENTRIES));
        // Unsigned on purpose, taken with the insecure option: the signature is ReleaseSignatureTest's and
        // SourcesIT's business.
        env.put("STRATA_DEBIAN_KEYRING", "/nonexistent-keyring.gpg");
        env.put("STRATA_INSECURE_ARCHIVE", "1");
        Installation.exec(List.of("chmod", "-R", "a+rX", dir.toString()));
        Process server = new ProcessBuilder("python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir.toString(), "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Matcher m = Pattern.compile("port (\\d+)").matcher(String.valueOf(out.readLine()));
        if (!m.find()) {
            server.destroy();
            throw new IllegalStateException("python3 http.server did not say its port");
        }
        String base = "http://127.0.0.1:" + m.group(1);
        env.put("STRATA_DEBIAN_MIRROR", base);
        Map<String, String> lxc = new HashMap<>(HostileArchives.LIMIT_ENV);
        lxc.put("STRATA_LXC_SERVER", base + "/lxc");
        return new HostileServer(Map.copyOf(env), Map.copyOf(lxc), server);
    }

    /** The debian: reference of a case's suite. */
    static String debian(Case c) {
        return "debian:" + c.name();
    }

    /** The lxc: reference of a case's image. */
    static String lxc(Case c) {
        return "lxc:hostile:" + c.name();
    }

    /** A simplestreams index with one image per case, checksums and sizes included (as a real server gives them). */
    private static void lxcImages(Path server, List<Case> cases, String arch) throws Exception {
        StringBuilder products = new StringBuilder("{\"format\": \"products:1.0\", \"products\": {");
        String sep = "";
        for (Case c : cases) {
            Path rootfs = Files.createDirectories(server.resolve("images/" + c.name())).resolve("rootfs.tar.xz");
            Files.write(rootfs, c.tar());
            products.append(sep).append("\"hostile:").append(c.name()).append(':').append(arch).append(":default\": {\"versions\": {")
                    .append("\"20240101_00:00\": {\"items\": {\"root.tar.xz\": {\"ftype\": \"root.tar.xz\", \"path\": \"images/")
                    .append(c.name()).append("/rootfs.tar.xz\", \"sha256\": \"").append(HostileArchives.sha256(c.tar()).substring(7))
                    .append("\", \"size\": ").append(c.tar().length).append("}}}}}");
            sep = ", ";
        }
        Path streams = Files.createDirectories(server.resolve("streams/v1"));
        Files.writeString(streams.resolve("images.json"), products.append("}}").toString());
        Files.writeString(streams.resolve("index.json"), "{\"format\": \"index:1.0\", \"index\": {\"images\": {\"datatype\": "
                + "\"image-downloads\", \"path\": \"streams/v1/images.json\", \"products\": []}}}");
    }

    /** A .deb: debian-binary, control.tar.gz, and {@code data} as data.tar or data.tar.gz (by its magic). */
    private static byte[] deb(String name, byte[] data) throws IOException {
        byte[] control = gzip(new Tar().file("./control", "Package: " + name + "\nVersion: 1.0\nArchitecture: all\nPriority: required\n"
                + "Maintainer: strata tests <test@example.org>\nDescription: " + name + " for strata's hostile-input tests\n").bytes());
        boolean gz = data.length > 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(bytes)) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
            member(ar, "control.tar.gz", control);
            member(ar, gz ? "data.tar.gz" : "data.tar", data);
        }
        return bytes.toByteArray();
    }

    private static void member(ArArchiveOutputStream ar, String name, byte[] content) throws IOException {
        ar.putArchiveEntry(new ArArchiveEntry(name, content.length));
        ar.write(content);
        ar.closeArchiveEntry();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(z)) {
            g.write(bytes);
        }
        return z.toByteArray();
    }

    private static String stanza(String name, String filename, byte[] deb) throws Exception {
        return "Package: " + name + "\nVersion: 1.0\nArchitecture: all\nPriority: required\nFilename: " + filename + "\nSize: "
                + deb.length + "\nSHA256: " + HostileArchives.sha256(deb).substring(7) + "\n";
    }

    @Override
    public void close() throws Exception {
        server.destroy();
        server.waitFor(10, TimeUnit.SECONDS);
    }
}
