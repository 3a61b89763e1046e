package runtime.core.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import runtime.core.store.StoreException;

class DebianArchiveTest {
    static final String SHA_A = "a".repeat(64);
    static final String SHA_B = "b".repeat(64);

    static final String RELEASE = """
            Origin: Debian
            Suite: stable
            Codename: bookworm
            Architectures: amd64 arm64
            Components: main
            MD5Sum:
             0123456789abcdef0123456789abcdef 100 main/binary-amd64/Packages
            SHA256:
             %s 1000 main/binary-amd64/Packages
             %s 300 main/binary-amd64/Packages.xz
             %s 400 main/binary-arm64/Packages.gz
            """.formatted(SHA_A, SHA_B, SHA_A);

    @Test
    void stanzasJoinContinuationLines() {
        List<DebianArchive.Stanza> s = DebianArchive.parseStanzas("A: 1\nB: x\n  y\n\n\nc: 3\r\n");
        assertEquals(2, s.size());
        assertEquals(Optional.of("x\n y"), s.get(0).get("b"));
        assertEquals(Optional.of("3"), s.get(1).get("C"));
        assertThrows(StoreException.class, () -> DebianArchive.parseStanzas(" orphan\n"));
    }

    @Test
    void releaseListsSha256AndThePackagesIndexPrefersCompressed() {
        Map<String, DebianArchive.IndexFile> files = DebianArchive.releaseSha256(RELEASE);
        assertEquals(3, files.size());
        assertEquals(new DebianArchive.IndexFile("main/binary-amd64/Packages.xz", 300, SHA_B),
                DebianArchive.packagesIndex(files, "main", "amd64"));
        assertEquals("main/binary-arm64/Packages.gz", DebianArchive.packagesIndex(files, "main", "arm64").path());
        StoreException e = assertThrows(StoreException.class, () -> DebianArchive.packagesIndex(files, "main", "riscv64"));
        assertTrue(e.getMessage().contains("main/binary-riscv64/Packages"), e.getMessage());
        assertThrows(StoreException.class, () -> DebianArchive.releaseSha256("Origin: x\n"));
        assertThrows(StoreException.class, () -> DebianArchive.releaseSha256("SHA256:\n nothex 1 main/x\n"));
    }

    @Test
    void relationsDropVersionsArchQualifiersAndRestrictions() {
        assertEquals(List.of(List.of("libc6"), List.of("awk", "mawk"), List.of("perl-base"), List.of("foo")),
                DebianArchive.relations("libc6 (>= 2.36), awk | mawk:any (>> 1), perl-base [amd64],\n foo <!nocheck>"));
        assertEquals(List.of(), DebianArchive.relations(""));
    }

    static String stanza(String name, String extra) {
        return "Package: " + name + "\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/main/" + name + ".deb\nSize: 10\nSHA256: "
                + SHA_A + "\n" + extra + "\n";
    }

    static final String PACKAGES = String.join("\n",
            stanza("base", "Essential: yes\nPriority: required\nPre-Depends: libc (>= 1)\nDepends: awk | gawk, shell"),
            stanza("libc", "Priority: optional"),
            stanza("mawk", "Priority: optional\nProvides: awk"),
            stanza("gawk", "Priority: optional\nProvides: awk"),
            stanza("dash", "Priority: optional\nProvides: shell\nDepends: libc"),
            stanza("tool", "Priority: required\nDepends: gawk | mawk"),
            stanza("unrelated", "Priority: optional\nDepends: nothing-at-all"),
            "Package: armonly\nArchitecture: arm64\nFilename: pool/a.deb\nSHA256: " + SHA_A + "\n");

    @Test
    void packagesAreFilteredByArchitecture() {
        List<DebianArchive.Package> all = DebianArchive.parsePackages(PACKAGES, "amd64");
        assertEquals(7, all.size());
        DebianArchive.Package base = all.getFirst();
        assertTrue(base.essential());
        assertEquals(List.of(List.of("libc"), List.of("awk", "gawk"), List.of("shell")), base.depends());
        assertEquals(List.of("awk"), all.get(2).provides());
        assertThrows(StoreException.class, () -> DebianArchive.parsePackages(
                "Package: x\nFilename: ../../etc/passwd\nSHA256: " + SHA_A + "\n", "amd64"));
        assertThrows(StoreException.class, () -> DebianArchive.parsePackages("Package: x\nFilename: a.deb\n", "amd64"));
    }

    @Test
    void resolutionTakesEssentialRequiredAndDependenciesFirstAlternativeAndProviders() {
        List<DebianArchive.Package> chosen = DebianArchive.resolve(DebianArchive.parsePackages(PACKAGES, "amd64"));
        List<String> names = chosen.stream().map(DebianArchive.Package::name).toList();
        // awk is virtual: its first provider by name (gawk) wins, and tool's "gawk | mawk" keeps gawk;
        // shell is provided by dash; unrelated is optional and nobody needs it.
        assertEquals(List.of("base", "dash", "gawk", "libc", "tool"), names.stream().sorted().toList());
        assertFalse(names.contains("mawk"));
        // Dependencies come before their dependents.
        assertTrue(names.indexOf("libc") < names.indexOf("base"));
        assertTrue(names.indexOf("libc") < names.indexOf("dash"));
        assertTrue(names.indexOf("dash") < names.indexOf("base"));
    }

    @Test
    void alreadyChosenAlternativeIsPreferred() {
        String p = String.join("\n",
                stanza("a", "Priority: required\nDepends: x | y"),
                stanza("b", "Priority: required\nDepends: y"),
                stanza("x", ""), stanza("y", ""));
        List<String> names = DebianArchive.resolve(DebianArchive.parsePackages(p, "amd64")).stream()
                .map(DebianArchive.Package::name).sorted().toList();
        assertEquals(List.of("a", "b", "y"), names);
    }

    @Test
    void unresolvableDependencyNamesIt() {
        String p = stanza("a", "Essential: yes\nDepends: ghost | phantom (>= 2)");
        StoreException e = assertThrows(StoreException.class,
                () -> DebianArchive.resolve(DebianArchive.parsePackages(p, "amd64")));
        assertEquals("cannot resolve dependency 'ghost | phantom' of a: not in the archive", e.getMessage());
        assertThrows(StoreException.class, () -> DebianArchive.resolve(DebianArchive.parsePackages(stanza("z", ""), "amd64")));
    }

    @Test
    void dependencyCyclesAreCut() {
        String p = String.join("\n", stanza("a", "Priority: required\nDepends: b"), stanza("b", "Depends: a"));
        assertEquals(2, DebianArchive.resolve(DebianArchive.parsePackages(p, "amd64")).size());
    }

    @Test
    void aptMirrorFromOneLineAndDeb822Sources() {
        List<String> list = List.of("# deb http://commented/debian bookworm main",
                "deb [signed-by=/x.gpg arch=amd64] http://mirror.example/debian/ bookworm main",
                "deb http://other.example/debian bookworm main");
        assertEquals(Optional.of("http://mirror.example/debian"), DebianArchive.aptMirror(list, List.of(), "debian"));
        String deb822 = """
                Types: deb
                URIs: http://deb.example.org/debian-security
                Suites: bookworm-security

                Types: deb-src deb
                URIs: https://deb.example.org/debian/
                Suites: bookworm
                """;
        assertEquals(Optional.of("https://deb.example.org/debian"), DebianArchive.aptMirror(List.of(), List.of(deb822), "debian"));
        assertEquals(Optional.empty(), DebianArchive.aptMirror(List.of(), List.of(deb822), "ubuntu"));
    }

    @Test
    void statusStanzaMarksUnpackedAndNewConffiles() {
        String control = "Package: foo\nVersion: 1\nArchitecture: amd64\nDescription: x\n more\n";
        assertEquals("Package: foo\nStatus: install ok unpacked\nVersion: 1\nArchitecture: amd64\nDescription: x\n more\n"
                        + "Conffiles:\n /etc/foo.conf newconffile\n\n",
                DebUnpacker.statusStanza(control, "/etc/foo.conf\n\n"));
        assertThrows(StoreException.class, () -> DebUnpacker.statusStanza("Version: 1\n", ""));
        assertEquals("usr/bin/sh", DebUnpacker.merged("bin/sh"));
        assertEquals("usr/lib64", DebUnpacker.merged("lib64"));
        assertEquals("etc/bin", DebUnpacker.merged("etc/bin"));
        assertEquals("binaries/x", DebUnpacker.merged("binaries/x"));
    }
}
