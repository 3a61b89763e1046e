package runtime.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny Debian-style archive for the debian: source, built with dpkg-deb:
 * <ul>
 *   <li>bb-base (Essential): the busybox root filesystem and a conffile; pre-depends on libtiny and
 *   depends on the virtual awk-virtual;</li>
 *   <li>dpkg (required): a stand-in for dpkg that runs postinst scripts and marks packages installed
 *   (real dpkg is the opt-in bookworm test's job);</li>
 *   <li>libtiny (optional, pulled in): preinst and postinst scripts that leave marks;</li>
 *   <li>tinyawk and zawk provide awk-virtual (the first by name is taken); unused is needed by nobody.</li>
 * </ul>
 * {@code deb/} is the good archive, {@code deb-bad/} has a corrupted libtiny.deb, {@code deb-badindex/}
 * a Release whose Packages checksum is wrong.
 */
final class DebianFixture {
    private DebianFixture() {}

    static void build(Path srv, Path busyboxTar, String arch) throws Exception {
        Path work = Files.createDirectories(srv.getParent().resolve("deb-work"));
        Path pool = Files.createDirectories(srv.resolve("deb/pool/main"));
        List<String> stanzas = new ArrayList<>();

        Path bb = pkg(work, "bb-base", "Essential: yes\nPriority: required\nPre-Depends: libtiny (>= 1.0)\nDepends: awk-virtual\n");
        SourcesIT.sh("tar -C " + bb + " -xf " + busyboxTar + " && echo setting=1 > " + bb + "/etc/bb.conf"
                + " && rm -f " + bb + "/usr/bin/dpkg " + bb + "/usr/bin/dpkg-deb"); // the dpkg package brings dpkg
        Files.writeString(bb.resolve("DEBIAN/conffiles"), "/etc/bb.conf\n");
        stanzas.add(deb(bb, pool, "gzip"));

        Path dpkg = pkg(work, "dpkg", "Priority: required\nDepends: bb-base\n");
        script(dpkg.resolve("usr/bin/dpkg"), """
                #!/bin/sh
                # Test stand-in for dpkg --configure -a: postinst configure for each package, then mark all installed.
                [ "$1" = --configure ] && [ "$2" = -a ] || { echo "fake dpkg: $*" >&2; exit 2; }
                for f in /var/lib/dpkg/info/*.postinst; do
                    [ -e "$f" ] || continue
                    "$f" configure || exit 1
                done
                sed -i 's/^Status: install ok unpacked$/Status: install ok installed/' /var/lib/dpkg/status
                """);
        stanzas.add(deb(dpkg, pool, "zstd"));

        Path lib = pkg(work, "libtiny", "Priority: optional\n");
        Files.createDirectories(lib.resolve("usr/lib/tiny"));
        Files.writeString(lib.resolve("usr/lib/tiny/lib.txt"), "tiny\n");
        script(lib.resolve("DEBIAN/preinst"), "#!/bin/sh\necho 'preinst ran' > /etc/tiny-preinst\n");
        script(lib.resolve("DEBIAN/postinst"), "#!/bin/sh\necho \"postinst $1\" > /etc/tiny-postinst\n");
        stanzas.add(deb(lib, pool, "xz"));

        for (String awk : List.of("tinyawk", "zawk")) {
            Path a = pkg(work, awk, "Priority: optional\nProvides: awk-virtual\n");
            Files.createDirectories(a.resolve("usr/share/doc/" + awk));
            Files.writeString(a.resolve("usr/share/doc/" + awk + "/README"), awk + "\n");
            stanzas.add(deb(a, pool, "xz"));
        }
        Path unused = pkg(work, "unused", "Priority: optional\nDepends: no-such-package\n");
        Files.createDirectories(unused.resolve("usr/share/unused"));
        stanzas.add(deb(unused, pool, "xz"));

        Path dists = Files.createDirectories(srv.resolve("deb/dists/tiny/main/binary-" + arch));
        Files.writeString(dists.resolve("Packages"), String.join("\n", stanzas));
        SourcesIT.sh("gzip -9 -k " + dists.resolve("Packages"));
        Files.writeString(srv.resolve("deb/dists/tiny/Release"), release(arch, dists, false));

        // A corrupted .deb the Packages index still vouches for.
        SourcesIT.sh("cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-bad") + " && printf X | dd of="
                + srv.resolve("deb-bad/pool/main/libtiny.deb") + " bs=1 seek=200 conv=notrunc 2>/dev/null");
        // A Packages index that does not match its Release.
        SourcesIT.sh("cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-badindex"));
        Files.writeString(srv.resolve("deb-badindex/dists/tiny/Release"), release(arch, dists, true));
    }

    private static String release(String arch, Path dists, boolean wrong) throws Exception {
        StringBuilder r = new StringBuilder("Origin: strata-test\nSuite: tiny\nCodename: tiny\nArchitectures: " + arch
                + "\nComponents: main\nSHA256:\n");
        Path plain = dists.resolve("Packages");
        String sha = wrong ? "f".repeat(64) : SourcesIT.sha256(plain);
        r.append(' ').append(sha).append(' ').append(Files.size(plain)).append(" main/binary-").append(arch).append("/Packages\n");
        if (!wrong) {
            Path gz = dists.resolve("Packages.gz");
            r.append(' ').append(SourcesIT.sha256(gz)).append(' ').append(Files.size(gz))
                    .append(" main/binary-").append(arch).append("/Packages.gz\n");
        }
        return r.toString();
    }

    private static Path pkg(Path work, String name, String fields) throws Exception {
        Path dir = Files.createDirectories(work.resolve(name));
        Files.createDirectories(dir.resolve("DEBIAN"));
        Files.writeString(dir.resolve("DEBIAN/control"), "Package: " + name + "\nVersion: 1.0\nArchitecture: all\n"
                + "Maintainer: strata tests <test@example.org>\n" + fields + "Description: " + name + " for strata's tests\n");
        return dir;
    }

    private static void script(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Builds the .deb into the pool and returns its Packages stanza (control fields plus file, size, SHA-256). */
    private static String deb(Path dir, Path pool, String compression) throws Exception {
        String name = dir.getFileName().toString();
        Path deb = pool.resolve(name + ".deb");
        SourcesIT.sh("dpkg-deb --root-owner-group -Z" + compression + " --build " + dir + " " + deb + " >/dev/null");
        String control = Files.readString(dir.resolve("DEBIAN/control"));
        return control + "Filename: pool/main/" + name + ".deb\nSize: " + Files.size(deb) + "\nSHA256: "
                + SourcesIT.sha256(deb) + "\n";
    }
}
