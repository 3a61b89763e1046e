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
 * a Release whose Packages checksum is wrong; these are signed by a throwaway key in {@link #keyring},
 * {@code deb-inrelease/} is clear-signed only. {@code deb-unsigned/} has no signature, {@code deb-otherkey/}
 * one by a key not in the keyring, and {@code deb-evil/} (unsigned) adds a package whose postinst attacks
 * the host.
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
        // The byte is inverted, not overwritten: writing a fixed 'X' left the file unchanged whenever its
        // compressed byte 200 was already an 'X' (1 run in 256; CI met one, and the "corrupt" pull passed).
        SourcesIT.sh("cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-bad"));
        Path corrupted = srv.resolve("deb-bad/pool/main/libtiny.deb");
        byte[] deb = Files.readAllBytes(corrupted);
        deb[200] ^= (byte) 0xff;
        Files.write(corrupted, deb);
        // A Packages index that does not match its Release.
        SourcesIT.sh("cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-badindex"));
        Files.writeString(srv.resolve("deb-badindex/dists/tiny/Release"), release(arch, dists, true));

        // The same archive unsigned, and signed by a key nobody trusts; then the good ones signed (detached,
        // and clear-signed only) by the key in keyring().
        SourcesIT.sh("cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-unsigned")
                + " && cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-otherkey")
                + " && cp -a " + srv.resolve("deb") + " " + srv.resolve("deb-inrelease"));
        Path trusted = gpgKey(work.resolve("gnupg-trusted"));
        Path other = gpgKey(work.resolve("gnupg-other"));
        Files.createDirectories(keyring(srv).getParent());
        SourcesIT.sh("gpg --batch --homedir " + trusted + " --export > " + keyring(srv));
        sign(other, srv.resolve("deb-otherkey"), false);
        for (String d : List.of("deb", "deb-bad", "deb-badindex")) sign(trusted, srv.resolve(d), false);
        sign(trusted, srv.resolve("deb-inrelease"), true);

        // deb-evil: the good archive plus a required package whose postinst tries to write the host's /root
        // (through /proc/1/root, every /proc/PID/root, and directly), unsigned.
        Path evilPool = Files.createDirectories(srv.resolve("deb-evil/pool/main"));
        SourcesIT.sh("cp " + pool + "/*.deb " + evilPool);
        Path evil = pkg(work, "evil", "Priority: required\n");
        script(evil.resolve("DEBIAN/postinst"), """
                #!/bin/sh
                # The attack: reach the host's root directory from a maintainer script.
                for p in /proc/1/root /proc/[0-9]*/root; do
                    echo pwned > "$p/root/PWNED" 2>/dev/null && echo "$p" >> /etc/evil-reached
                done
                echo pwned > /root/PWNED
                readlink /proc/self/ns/user > /etc/evil-userns
                ls -d /proc/[0-9]* | wc -l > /etc/evil-processes
                echo ran > /etc/evil-ran
                """);
        List<String> evilStanzas = new ArrayList<>(stanzas);
        evilStanzas.add(deb(evil, evilPool, "xz"));
        Path evilDists = Files.createDirectories(srv.resolve("deb-evil/dists/tiny/main/binary-" + arch));
        Files.writeString(evilDists.resolve("Packages"), String.join("\n", evilStanzas));
        SourcesIT.sh("gzip -9 -k " + evilDists.resolve("Packages"));
        Files.writeString(srv.resolve("deb-evil/dists/tiny/Release"), release(arch, evilDists, false));
    }

    /** The public keyring that vouches for the signed archives. */
    static Path keyring(Path srv) {
        return srv.resolve("keys/archive-keyring.gpg");
    }

    /** A throwaway OpenPGP signing key in a new GnuPG home. */
    private static Path gpgKey(Path home) throws Exception {
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        SourcesIT.sh("gpg --batch --quiet --homedir " + home + " --passphrase '' --quick-gen-key"
                + " 'strata test archive <test@example.org>' rsa2048 sign never 2>/dev/null");
        return home;
    }

    /** Signs the archive's Release: Release.gpg beside it, or (clearSigned) InRelease instead of Release. */
    private static void sign(Path home, Path archive, boolean clearSigned) throws Exception {
        Path release = archive.resolve("dists/tiny/Release");
        if (clearSigned) {
            SourcesIT.sh("gpg --batch --quiet --homedir " + home + " --clearsign -o " + release.resolveSibling("InRelease")
                    + " " + release + " && rm " + release);
        } else {
            SourcesIT.sh("gpg --batch --quiet --homedir " + home + " --armor --detach-sign -o " + release.resolveSibling("Release.gpg")
                    + " " + release);
        }
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
