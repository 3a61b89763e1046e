package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;
import runtime.core.store.Decompress;
import runtime.core.store.StoreException;

/**
 * {@code debian:SUITE[:ARCH]}: a minimal Debian system bootstrapped straight from a package archive,
 * without debootstrap, so it works on a machine that can reach only a Debian mirror.
 *
 * <ol>
 *   <li>dists/SUITE/Release, its OpenPGP signature checked against the archive keyring (an archive that
 *   cannot be verified is refused unless $STRATA_INSECURE_ARCHIVE=1);</li>
 *   <li>main/binary-ARCH/Packages, checked against the Release's SHA-256;</li>
 *   <li>Essential and required packages and their dependencies, each .deb checked against the
 *   Packages' SHA-256;</li>
 *   <li>all unpacked into one layer, with a dpkg database that lists them as unpacked;</li>
 *   <li>their preinst scripts and {@code dpkg --configure -a} run as root in an isolated container on it
 *   (its own user namespace even as root, see {@link SourceContext#runAndCommit}), kept as a second layer.</li>
 * </ol>
 * The result is remembered by mirror, suite, architecture and the Packages index's SHA-256: while the
 * archive is unchanged, a second pull downloads only the Release and Packages.
 */
public class DebianSource implements ImageSource {
    /** Bump when the bootstrap's result would differ for the same packages (the layers' cache key). */
    private static final String FORMAT = "v3";

    private final String scheme;
    private final String distribution;
    private final String defaultMirror;
    private final String defaultKeyring;

    public DebianSource() {
        this("debian", "debian", "http://deb.debian.org/debian", "/usr/share/keyrings/debian-archive-keyring.gpg");
    }

    protected DebianSource(String scheme, String distribution, String defaultMirror, String defaultKeyring) {
        this.scheme = scheme;
        this.distribution = distribution;
        this.defaultMirror = defaultMirror;
        this.defaultKeyring = defaultKeyring;
    }

    @Override
    public String scheme() {
        return scheme;
    }

    @Override
    public String description() {
        return "a minimal " + distribution + " bootstrapped from a package archive ($STRATA_" + envName()
                + "_MIRROR): " + scheme + ":SUITE[:ARCH]";
    }

    private String envName() {
        return distribution.toUpperCase(java.util.Locale.ROOT);
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        String[] parts = reference.split(":", -1);
        if (parts.length > 2 || !parts[0].matches("[A-Za-z0-9][A-Za-z0-9._-]*")
                || (parts.length == 2 && !parts[1].matches("[a-z0-9]+"))) {
            throw new IllegalArgumentException(scheme + ":" + reference + ": expected " + scheme + ":SUITE[:ARCH], e.g. "
                    + scheme + ":" + (scheme.equals("ubuntu") ? "noble" : "bookworm"));
        }
        String suite = parts[0];
        String arch = parts.length == 2 ? parts[1] : LxcIndex.hostArch();
        String mirror = mirror(context.environment());
        Path scratch = context.scratch();

        byte[] release = release(context, mirror, suite);
        Map<String, DebianArchive.IndexFile> files = DebianArchive.releaseSha256(new String(release, StandardCharsets.UTF_8));
        DebianArchive.IndexFile index = DebianArchive.packagesIndex(files, "main", arch);
        URI packagesUri = Downloads.resolve(mirror, "dists/" + suite + "/" + index.path());
        String key = scheme + " " + mirror + " " + suite + " " + arch + " packages-sha256:" + index.sha256() + " " + FORMAT;
        Optional<String> known = context.recall(key);
        if (known.isPresent()) return known.get();

        Path packagesFile = scratch.resolve("Packages");
        Downloads.fetchVerified(context, packagesUri, packagesFile, "Packages", index.sha256(), index.size());
        String packagesText;
        try (InputStream in = Decompress.open(Files.newInputStream(packagesFile))) {
            // Signed, but compressed: a bomb must not take the memory (Debian's main is under 100 MiB).
            byte[] text = in.readNBytes(MAX_PACKAGES_INDEX + 1);
            if (text.length > MAX_PACKAGES_INDEX) {
                throw new StoreException(packagesUri + ": unpacks to more than " + MAX_PACKAGES_INDEX + " bytes (refused)");
            }
            packagesText = new String(text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StoreException(packagesUri + ": cannot decompress: " + Downloads.oneLine(e), e);
        }
        List<DebianArchive.Package> chosen = DebianArchive.resolve(DebianArchive.parsePackages(packagesText, arch));

        String baseInstruction = "debian-bootstrap " + key;
        String base;
        if (context.hasLayer(Optional.empty(), baseInstruction)) {
            base = context.importLayer(Optional.empty(), baseInstruction, InputStream.nullInputStream());
        } else {
            List<Path> debs = download(context, mirror, chosen, scratch);
            base = unpack(context, baseInstruction, chosen, debs, arch);
            for (Path d : debs) LxcSource.deleteQuietly(d);
        }
        String id;
        try {
            id = context.runAndCommit(base, List.of("/bin/sh", "-c", configureScript(chosen)), "debian-configure " + FORMAT);
        } catch (IOException | RuntimeException e) {
            // The unpacked layer stays (a retry need not download again); the message says what failed, in one line.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("exited with \\d+").matcher(String.valueOf(e.getMessage()));
            throw new StoreException(scheme + ":" + reference + ": configuring the packages (preinst, dpkg --configure -a) "
                    + (m.find() ? m.group() : "failed: " + Downloads.oneLine(e)), e);
        }
        context.remember(key, id);
        return id;
    }

    /** $STRATA_DEBIAN_MIRROR, else the machine's apt mirror for this distribution, else the public one. */
    String mirror(Map<String, String> env) {
        String explicit = env.getOrDefault("STRATA_" + envName() + "_MIRROR", "");
        if (!explicit.isBlank()) return explicit.endsWith("/") ? explicit.substring(0, explicit.length() - 1) : explicit;
        List<String> lines = new ArrayList<>();
        List<String> deb822 = new ArrayList<>();
        try {
            Path list = Path.of("/etc/apt/sources.list");
            if (Files.isRegularFile(list)) lines.addAll(Files.readAllLines(list));
            Path dir = Path.of("/etc/apt/sources.list.d");
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : s.sorted().toList()) {
                        String name = p.getFileName().toString();
                        if (name.endsWith(".list")) lines.addAll(Files.readAllLines(p));
                        if (name.endsWith(".sources")) deb822.add(Files.readString(p));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable apt configuration just means the default mirror
        }
        return DebianArchive.aptMirror(lines, deb822, distribution).orElse(defaultMirror);
    }

    /** The largest Packages index taken, uncompressed. */
    private static final int MAX_PACKAGES_INDEX = 512 << 20;

    /** Set to 1 to accept an archive whose Release cannot be verified (no keyring, no or a bad signature). */
    public static final String INSECURE_VARIABLE = "STRATA_INSECURE_ARCHIVE";

    /**
     * The suite's Release, its OpenPGP signature checked against the keyring: Release with Release.gpg,
     * else InRelease. An archive that cannot be verified (no keyring here, no signature, or none by a key
     * in the keyring) is refused, unless $STRATA_INSECURE_ARCHIVE=1 says to take it as fetched (said in
     * one line on stderr): everything downloaded later is trusted because the Release vouches for it, and
     * the packages' scripts run as root in the image.
     */
    private byte[] release(SourceContext context, String mirror, String suite) throws IOException {
        String dists = "dists/" + suite + "/";
        Path keyring = context.workingDirectory().resolve(context.environment().getOrDefault("STRATA_" + envName() + "_KEYRING", defaultKeyring));
        boolean insecure = "1".equals(context.environment().get(INSECURE_VARIABLE));
        Optional<byte[]> release = Downloads.getSmall(context, Downloads.resolve(mirror, dists + "Release"));
        Optional<byte[]> signature = release.isPresent()
                ? Downloads.getSmall(context, Downloads.resolve(mirror, dists + "Release.gpg")) : Optional.empty();
        Optional<byte[]> inRelease = signature.isPresent()
                ? Optional.empty() : Downloads.getSmall(context, Downloads.resolve(mirror, dists + "InRelease"));
        if (release.isEmpty() && inRelease.isEmpty()) throw new StoreException(scheme + ":" + suite + ": no such suite on " + mirror);
        String problem;
        if (!Files.isRegularFile(keyring)) {
            problem = "no keyring " + keyring + " to check it (set STRATA_" + envName() + "_KEYRING=FILE)";
        } else if (signature.isEmpty() && inRelease.isEmpty()) {
            problem = "its Release is not signed (no Release.gpg or InRelease)";
        } else {
            try {
                if (signature.isPresent()) {
                    ReleaseSignature.verifyDetached(release.get(), signature.get(), keyring);
                    return release.get();
                }
                return ReleaseSignature.verifyClearSigned(inRelease.get(), keyring);
            } catch (StoreException e) {
                problem = e.getMessage();
            }
        }
        String archive = scheme + ":" + suite + " from " + mirror;
        if (!insecure) {
            throw new StoreException(archive + " cannot be verified: " + problem + "; " + INSECURE_VARIABLE
                    + "=1 accepts an unverified archive");
        }
        context.warn("warning: " + INSECURE_VARIABLE + "=1: " + archive + " is not verified: " + problem);
        return signature.isPresent() || inRelease.isEmpty() ? release.get() : stripClearSignature(inRelease.get());
    }

    private static byte[] stripClearSignature(byte[] inRelease) {
        String text = new String(inRelease, StandardCharsets.UTF_8);
        int start = text.indexOf("\n\n");
        int end = text.indexOf("-----BEGIN PGP SIGNATURE-----");
        if (!text.startsWith("-----BEGIN PGP SIGNED MESSAGE-----") || start < 0 || end < start) return inRelease;
        return text.substring(start + 2, end).replaceAll("(?m)^- ", "").getBytes(StandardCharsets.UTF_8);
    }

    private static List<Path> download(SourceContext context, String mirror, List<DebianArchive.Package> chosen, Path scratch)
            throws IOException {
        Path dir = Files.createDirectories(scratch.resolve("debs"));
        List<Path> result = new ArrayList<>();
        int n = 0;
        for (DebianArchive.Package p : chosen) {
            n++;
            Path file = dir.resolve(p.name() + ".deb");
            Downloads.fetchVerified(context, Downloads.resolve(mirror, p.filename()), file,
                    "[" + n + "/" + chosen.size() + "] " + p.name(), p.sha256(), p.size());
            result.add(file);
        }
        return result;
    }

    /**
     * Streams every package into the store's safe extraction through a pipe. A failure on the writing
     * side is rethrown to the reader, so a bad .deb never leaves a half-made layer behind.
     */
    private static String unpack(SourceContext context, String instruction, List<DebianArchive.Package> chosen,
                                 List<Path> debs, String arch) throws IOException {
        PipedInputStream pipeIn = new PipedInputStream(1 << 20);
        PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().daemon().name("deb-unpack").start(() -> {
            try {
                DebUnpacker unpacker = new DebUnpacker(pipeOut, arch);
                for (int i = 0; i < chosen.size(); i++) unpacker.add(chosen.get(i), debs.get(i));
                unpacker.finish();
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                // Only now: the reader must find the failure when it sees the end of the stream, or a stream
                // cut at an entry boundary would pass for a whole (shorter) layer.
                try {
                    pipeOut.close();
                } catch (IOException e) {
                    // the reader has gone
                }
            }
        });
        InputStream checked = new java.io.FilterInputStream(pipeIn) {
            private void check() throws IOException {
                Throwable t = failure.get();
                if (t instanceof StoreException s) throw s;
                if (t != null) throw new StoreException("cannot unpack packages: " + Downloads.oneLine(t), t);
            }

            @Override
            public int read() throws IOException {
                int b = readOrFail(() -> super.read());
                if (b < 0) check();
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = readOrFail(() -> super.read(buf, off, len));
                if (n < 0) check();
                return n;
            }

            private int readOrFail(IoRead r) throws IOException {
                try {
                    return r.read();
                } catch (IOException e) {
                    check();
                    throw e;
                }
            }
        };
        try {
            return context.importLayer(Optional.empty(), instruction, checked);
        } finally {
            pipeIn.close();
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private interface IoRead {
        int read() throws IOException;
    }

    /**
     * What debootstrap does after unpacking: each package's preinst (base-passwd's makes /etc/passwd),
     * dependencies first, then dpkg configures everything in dependency order.
     */
    static String configureScript(List<DebianArchive.Package> chosen) {
        StringBuilder s = new StringBuilder();
        s.append("set -e\n");
        s.append("export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C.UTF-8\n");
        s.append("cd /\n");
        s.append("for p in");
        for (DebianArchive.Package p : chosen) s.append(' ').append(p.multiArchSame() ? p.name() + ":" + p.arch() : p.name());
        s.append("; do\n");
        s.append("  f=/var/lib/dpkg/info/$p.preinst\n");
        s.append("  if [ -x \"$f\" ]; then DPKG_MAINTSCRIPT_PACKAGE=${p%%:*} DPKG_MAINTSCRIPT_NAME=preinst \"$f\" install; fi\n");
        s.append("done\n");
        // By path: a busybox shell may prefer its own dpkg applet to the one on PATH.
        s.append("/usr/bin/dpkg --configure -a\n");
        return s.toString();
    }
}
