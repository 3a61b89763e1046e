package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * Attacks on the host's files from inside a container (issue 17, items 2, 5 and 6), each performed for
 * real: the helper's binary, the state directories strata falls back to without XDG_RUNTIME_DIR, and
 * setuid files or devices a container leaves in host-visible image trees.
 */
class SecurityHostIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    /** The attack script (resources/runtime/cli/helper-exe-attack.sh) written into {@code dir} as attack.sh. */
    private static Path attackScript(Path dir) throws Exception {
        Path script = dir.resolve("attack.sh");
        try (InputStream in = SecurityHostIT.class.getResourceAsStream("helper-exe-attack.sh")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    /** A copy of the helper that the mode's user owns, as an installation in a user's home would be: writable by the container's root, were it reachable. */
    private static Path helperOwnedBy(Mode mode, Path dir) throws Exception {
        Path copy = dir.resolve("strata-helper");
        Files.copy(strata.home.resolve("runtime.cli/target/dist/libexec/strata-helper"), copy, StandardCopyOption.COPY_ATTRIBUTES);
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", Installation.TEST_USER + ":", copy.toString()));
        return copy;
    }

    private static void assertNoWriteAndHelperUntouched(String out, Path helper, byte[] before) throws Exception {
        List<String> wrote = out.lines().filter(l -> l.contains("WROTE")).toList();
        assertEquals(List.of(), wrote, "no write through a helper's /proc/PID/exe or descriptors: " + out);
        assertArrayEquals(before, Files.readAllBytes(helper), "the host's helper binary is byte-identical");
    }

    /** A store with busybox, a work directory holding the attack script and a helper copy the mode's user owns, and that copy's bytes. */
    private record Victim(Path data, String image, Path wd, Path helper, byte[] before) {}

    private static Victim victim(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path helper = helperOwnedBy(mode, wd);
        attackScript(wd);
        return new Victim(data, image, wd, helper, Files.readAllBytes(helper));
    }

    /** The attack script ran to its end, could not even look at init (the helper: not dumpable), and wrote nothing. */
    private static void assertInitRefusedTheAttack(String out, Path helper, byte[] before) throws Exception {
        assertTrue(out.lines().anyMatch("done"::equals), out);
        assertTrue(out.lines().anyMatch("refused /proc/1/exe"::equals), "init (the helper) is not dumpable: " + out);
        assertNoWriteAndHelperUntouched(out, helper, before);
    }

    /**
     * CVE-2019-5736 against `run -I`: the container's init is the helper; the container tries to write
     * its /proc/1/exe (directly, in place, and through a descriptor held until nothing runs the binary)
     * and its descriptors. The helper runs from a sealed copy and is not dumpable: the container cannot
     * even read the link, and the host's binary (owned by the container's root, rootless) is untouched.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anIsolatedContainerCannotReachOrRewriteTheHelperBinary(Mode mode) throws Exception {
        Victim v = victim(mode);
        Result r = strata.strata(mode, v.data, v.wd, Map.of("STRATA_HELPER", v.helper.toString()), null,
                "run", "-I", "--bind", v.wd.resolve("attack.sh") + ":/attack.sh:ro", v.image, "sh", "/attack.sh", "3", "/nonexistent");
        assertEquals(0, r.exitCode(), r.err());
        assertInitRefusedTheAttack(r.out() + r.err(), v.helper, v.before);
    }

    /**
     * A FUSE driver's daemon (fuse-overlayfs, unionfs-fuse) is an exec'd host program: dumpable, with full
     * capabilities, holding descriptors of the store's layer directories. Were it in the container's pid
     * namespace, a container given the capabilities (--cap-add ALL) could follow its /proc/PID/fd and
     * /proc/PID/root out to the host. The image is mounted before the pid namespace exists, so the
     * container's /proc shows no such process; the container looks for one by its command line and tries
     * every visible process's root and descriptors for the store.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFuseDriversDaemonIsNotReachableFromTheContainer(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        String probe = "for p in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null); echo \"PROC $p $c\";"
                + " ls $p/root" + data + "/layers >/dev/null 2>&1 && echo \"REACHED $p/root\";"
                + " for f in $p/fd/*; do ls $f/ 2>/dev/null | grep -q . && echo \"REACHED $f\"; done; done; echo done";
        for (String fs : List.of("fuse-overlayfs", "unionfs-fuse")) {
            Result r = strata.strata(mode, data, wd, Map.of(), null, "run", "-I", "--fs", fs, "--cap-add", "ALL", image, "sh", "-c", probe);
            assertEquals(0, r.exitCode(), fs + ": " + r.err());
            String out = r.out();
            assertTrue(out.lines().anyMatch("done"::equals), fs + ": " + out);
            assertTrue(out.lines().anyMatch(l -> l.startsWith("PROC /proc/1 ")), fs + ": the probe sees its own init: " + out);
            assertEquals(List.of(), out.lines().filter(l -> l.startsWith("PROC") && (l.contains("fuse-overlayfs") || l.contains("unionfs"))).toList(),
                    fs + ": the daemon is not in the container's pid namespace");
            assertEquals(List.of(), out.lines().filter(l -> l.startsWith("REACHED")).toList(), fs + ": nothing of the host through /proc");
        }
    }

    /** The same attack from a container the daemon started (`strata start` of a manifest): its init is the daemon's helper. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDaemonContainerCannotReachOrRewriteTheHelperBinary(Mode mode) throws Exception {
        Victim v = victim(mode);
        Path data = v.data, wd = v.wd, helper = v.helper;
        String id = v.image;
        Path socket = data.resolve("d.sock");
        Map<String, String> env = Map.of("STRATA_SOCKET", socket.toString(), "STRATA_HELPER", helper.toString());
        Process daemon = strata.start(mode, data, wd, env, "serve", "--socket", socket.toString());
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(socket), "the daemon listens: " + Files.readString(wd.resolve("err")));
            Path manifest = Files.writeString(wd.resolve("attack.toml"), """
                    image = "%s"
                    name = "attack"
                    command = ["sh", "/x/attack.sh", "3", "/nonexistent"]
                    [[mount]]
                    source = "%s"
                    target = "/x"
                    read_only = true
                    """.formatted(id, wd));
            Result started = strata.strata(mode, data, wd, env, null, "start", manifest.toString());
            assertEquals(0, started.exitCode(), started.err());
            Result waited = strata.strata(mode, data, wd, env, null, "wait", "attack");
            assertEquals(0, waited.exitCode(), waited.out() + waited.err());
            String logs = strata.strata(mode, data, wd, env, null, "logs", "attack").out();
            assertInitRefusedTheAttack(logs, helper, v.before);
        } finally {
            new ProcessBuilder("kill", "-TERM", Long.toString(Installation.jvm(daemon).pid())).start().waitFor();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * CVE-2019-5736 against `podman exec` with strata-oci: the container (its pid 1 runs the attack in a
     * loop) has podman exec run {@code /x/evil}, a script whose interpreter is {@code /proc/self/exe}, so
     * the helper's binary itself runs inside the container, waiting for a plan on the descriptor podman
     * preserved (a pipe that ends after seconds). The attacker looks at it, holds what it can and tries to
     * write once it has ended.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void podmanExecCannotBeTurnedIntoAWriteOfTheHelperBinary(Mode mode) throws Exception {
        strata.assumeMode(mode);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed");
        Path helper = strata.home.resolve("runtime.cli/target/dist/libexec/strata-helper");
        byte[] before = Files.readAllBytes(helper);
        String runtime = strata.home.resolve("strata-oci").toString();
        try (Podman podman = Podman.create(strata, mode)) {
            Path x = podman.newDirectory("x");
            attackScript(x);
            Files.writeString(x.resolve("evil"), "#!/proc/self/exe\n");
            Files.setPosixFilePermissions(x.resolve("evil"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Installation.exec(List.of("chmod", "a+r", x.resolve("attack.sh").toString()));
            String name = "helper-exe-" + mode.name().toLowerCase();
            Result started = podman.run(List.of("run", "-d", "--name", name, "-v", x + ":/x", Podman.IMAGE,
                    "sh", "/x/attack.sh", "100000", "/x/stop"), runtime);
            assertEquals(0, started.exitCode(), started.err());
            try {
                // fd 3 of the exec'd process: a pipe from `sleep 4`, which the helper reads its "plan" from.
                List<String> exec = podman.command(runtime, Map.of(), List.of("exec", "--preserve-fds", "1", name, "/x/evil"));
                List<String> piped = new java.util.ArrayList<>(List.of("sh", "-c", "sleep 4 | \"$@\" 3<&0", "sh"));
                piped.addAll(exec);
                Result evil = Installation.run(piped, podman.dir, null, 60);
                Thread.sleep(12_000); // the holders' retries (10 s) after the exec'd helper ended
                Files.writeString(x.resolve("stop"), "");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String logs = "";
                while (System.nanoTime() < deadline && !logs.lines().anyMatch("done"::equals)) {
                    logs = podman.run(List.of("logs", name), runtime).out();
                    Thread.sleep(200);
                }
                assertTrue(logs.lines().anyMatch("done"::equals), "the attacker finished: " + logs);
                assertTrue(logs.lines().anyMatch(l -> l.startsWith("refused /proc/")),
                        "the attacker saw the helper run through #!/proc/self/exe, and could not look at it (exec: "
                                + evil.exitCode() + " " + evil.err() + "): " + logs);
                assertNoWriteAndHelperUntouched(logs, helper, before);
            } finally {
                podman.run(List.of("rm", "-f", "-t", "0", name), runtime);
            }
        }
    }
    /** Only ever the victim of these attacks (scripts/test-setup makes it): its /tmp/strata-UID names are no other test's. */
    static final String VICTIM = "strata-test2";

    /** strata as {@code user} (root: as is), with no XDG_RUNTIME_DIR unless {@code env} gives one, as under su, runuser or cron. */
    private static Result strataAs(String user, Path data, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        if (!user.equals("root")) cmd.addAll(List.of("runuser", "-u", user, "--"));
        cmd.addAll(List.of("env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8", "STRATA_NO_BUILD=1",
                "HOME=/", "STRATA_DATA=" + data));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(strata.launcher.toString());
        cmd.addAll(List.of(args));
        return Installation.run(cmd, Path.of("/"), null, 120);
    }

    private static Path directoryOf(String user, String prefix) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        if (!user.equals("root")) Installation.exec(List.of("chown", user + ":", dir.toString()));
        return dir;
    }

    private static int uidOf(String user) throws Exception {
        return Integer.parseInt(Installation.run(List.of("id", "-u", user), Path.of("/"), null, 10).line());
    }

    /**
     * What the victim's `strata ps` would take for a stale container record (its process is gone) and
     * delete, and a forged OCI container (stopped; its config.json's poststop hook would leave a mark)
     * that the victim's `strata oci delete` would run: both made in {@code dir} by whoever owns it.
     */
    private static void forgeState(Path containers, Path ociRoot, Path mark) throws Exception {
        Path record = Files.createDirectories(containers.resolve("0123456789ab"));
        Files.writeString(record.resolve("state"), "id=0123456789ab\nname=precious\nimage=x\nnetwork=none\npid=2147483000\n");
        Files.writeString(record.resolve("precious"), "the victim's");
        Path evil = Files.createDirectories(ociRoot.resolve("evil"));
        Files.writeString(evil.resolve("state.json"), "{\"ociVersion\":\"1.0.2\",\"id\":\"evil\",\"pid\":0,\"startTime\":0,"
                + "\"bundle\":\"/tmp\",\"rootfs\":\"/tmp\",\"created\":\"2026-01-01T00:00:00Z\"}");
        Files.writeString(evil.resolve("config.json"), "{\"process\":{\"args\":[\"true\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
                + "\"hooks\":{\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"id -u > " + mark + "\"]}]}}");
    }

    /**
     * Issue 17 item 5, rootless: strata-test (the attacker) makes the victim's fallbacks first: /tmp/strata-UID a
     * symlink to a directory of the victim's holding a container record `strata ps` would drop as stale,
     * then (second round) a directory of its own with that record; /tmp/strata-oci-UID a directory of its own with a
     * forged stopped container whose poststop hook would run as the victim, then a symlink to the victim's. The victim's
     * `strata ps`, `strata oci list` and `strata oci delete evil` refuse with one line naming the directory; nothing
     * of the victim's is deleted and no hook runs.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void anotherUsersPreMadeStateDirectoriesAreRefused(boolean symlinked) throws Exception {
        strata.assumeMode(Mode.ROOT); // to act as two users
        org.junit.jupiter.api.Assumptions.assumeTrue(Installation.run(List.of("id", VICTIM), Path.of("/"), null, 10).exitCode() == 0,
                "needs the user " + VICTIM + " (scripts/test-setup makes it)");
        int victim = uidOf(VICTIM);
        Path runtime = Path.of("/tmp/strata-" + victim), oci = Path.of("/tmp/strata-oci-" + victim);
        // A server an earlier command of the victim's started (the front starts one after a command that found
        // none, and its JVM may still be starting) would make its runtime directory again under the forgery.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (Installation.run(List.of("pkill", "-KILL", "-u", VICTIM), Path.of("/"), null, 10).exitCode() == 0
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Installation.exec(List.of("rm", "-rf", runtime.toString(), oci.toString()));
        Path victimData = directoryOf(VICTIM, "strata-victim-data-");
        Path victimDir = directoryOf(VICTIM, "strata-victim-");
        Path attackerDir = directoryOf(Installation.TEST_USER, "strata-attacker-");
        Path mark = attackerDir.resolve("hook-ran");
        Installation.exec(List.of("chmod", "1777", attackerDir.toString()));
        try {
            Path records, ociRoot;
            if (symlinked) {
                records = victimDir.resolve("containers");
                ociRoot = victimDir.resolve("strata-oci");
                forgeState(records, ociRoot, mark);
                Installation.exec(List.of("chown", "-R", VICTIM + ":", victimDir.toString()));
                for (Path link : List.of(runtime, oci)) {
                    Installation.exec(List.of("runuser", "-u", Installation.TEST_USER, "--", "ln", "-s", victimDir.toString(), link.toString()));
                }
            } else {
                records = Files.createDirectory(runtime).resolve("containers");
                ociRoot = Files.createDirectory(oci).resolve("strata-oci");
                forgeState(records, ociRoot, mark);
                Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", runtime.toString(), oci.toString()));
                Installation.exec(List.of("chmod", "0700", runtime.toString(), oci.toString()));
            }
            for (List<String> command : List.of(List.of("ps"), List.of("oci", "list"), List.of("oci", "delete", "evil"))) {
                Result r = strataAs(VICTIM, victimData, Map.of(), command.toArray(String[]::new));
                Path named = command.getFirst().equals("ps") ? runtime : oci;
                assertTrue(r.exitCode() != 0, command + " refuses: " + r.out() + r.err());
                assertEquals(1, r.err().lines().count(), "one line: " + r.err());
                assertTrue(r.err().contains(named.toString()) && r.err().contains("remove it, or set XDG_RUNTIME_DIR"),
                        command + " names the directory and what to do: " + r.err());
            }
            assertTrue(Files.exists(records.resolve("0123456789ab/precious")), "the record was not deleted");
            assertTrue(Files.exists(ociRoot.resolve("evil/config.json")), "the forged container was not deleted either");
            assertTrue(Files.notExists(mark), "no poststop hook ran as the victim");
        } finally {
            Installation.exec(List.of("rm", "-rf", runtime.toString(), oci.toString(), victimData.toString(), victimDir.toString(),
                    attackerDir.toString()));
        }
    }

    /**
     * Item 5 as root: the /tmp names are not root's (root's runtime directories are /run/strata and
     * /run/strata-oci), so an unprivileged user's symlinks there change nothing; and a runtime directory
     * below an XDG_RUNTIME_DIR that another user made is refused like any other.
     */
    @org.junit.jupiter.api.Test
    void rootIgnoresTmpFallbacksAndRefusesAnotherUsersRuntimeDirectory() throws Exception {
        strata.assumeMode(Mode.ROOT);
        Path runtime = Path.of("/tmp/strata-0"), oci = Path.of("/tmp/strata-oci-0");
        Path data = directoryOf("root", "strata-root-data-");
        Path victimDir = directoryOf("root", "strata-root-victim-");
        Path attackerDir = directoryOf(Installation.TEST_USER, "strata-attacker-");
        Path mark = attackerDir.resolve("hook-ran");
        boolean hadRuntime = Files.exists(runtime, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        boolean hadOci = Files.exists(oci, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        try {
            forgeState(victimDir.resolve("containers"), victimDir.resolve("strata-oci"), mark);
            if (!hadRuntime) Installation.exec(List.of("runuser", "-u", Installation.TEST_USER, "--", "ln", "-s", victimDir.toString(), runtime.toString()));
            if (!hadOci) Installation.exec(List.of("runuser", "-u", Installation.TEST_USER, "--", "ln", "-s", victimDir.toString(), oci.toString()));
            assertEquals(0, strataAs("root", data, Map.of(), "ps").exitCode());
            assertEquals(0, strataAs("root", data, Map.of(), "oci", "list").exitCode());
            assertTrue(Files.exists(victimDir.resolve("containers/0123456789ab/precious")), "nothing of root's deleted through /tmp");
            // XDG_RUNTIME_DIR given, its strata directory made first by strata-test:
            Path attackerRuntime = Files.createDirectory(attackerDir.resolve("strata"));
            forgeState(attackerRuntime.resolve("containers"), attackerDir.resolve("unused"), mark);
            Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", attackerDir.toString()));
            Result ps = strataAs("root", data, Map.of("XDG_RUNTIME_DIR", attackerDir.toString()), "ps");
            assertEquals(125, ps.exitCode(), ps.out() + ps.err());
            assertEquals("strata: " + attackerRuntime + " belongs to uid " + uidOf(Installation.TEST_USER) + ", not to you (uid 0): another user"
                    + " may have made it; remove it, or set XDG_RUNTIME_DIR to a directory of your own", ps.err().strip());
            assertTrue(Files.notExists(mark), "no hook ran");
        } finally {
            if (!hadRuntime) Files.deleteIfExists(runtime);
            if (!hadOci) Files.deleteIfExists(oci);
            Installation.exec(List.of("rm", "-rf", data.toString(), victimDir.toString(), attackerDir.toString()));
        }
    }
    /**
     * Leaves a setuid copy of bash (owned by the container's root) at /suid and, as real root, a device node
     * /nulldev (mode 666). bash, not busybox: busybox drops a setuid privilege itself, bash -p keeps it.
     */
    private static String plant(String bash) {
        return "cp " + bash + " /suid && chown 0:0 /suid && chmod 4755 /suid && echo planted;"
                + " mknod /nulldev c 1 3 2>/dev/null && chmod 666 /nulldev && echo device; true";
    }

    /** A copy of the host's bash in {@code dir}, for a container to plant. */
    private static Path bashIn(Path dir) throws Exception {
        Path copy = dir.resolve("bash");
        Files.copy(Path.of("/bin/bash"), copy);
        Installation.exec(List.of("chmod", "755", copy.toString()));
        return copy;
    }

    /** {@code user} runs {@code file} as `-p -c 'echo $EUID'` (then opens {@code device} for writing); "EXIT OUTPUT". */
    private static String reachAs(String user, Path file, Path device) throws Exception {
        Result r = Installation.run(List.of("runuser", "-u", user, "--", "sh", "-c",
                "'" + file + "' -p -c 'echo $EUID' 2>&1; (echo x > '" + device + "') 2>/dev/null && echo wrote-device; true"), Path.of("/"), null, 30);
        return r.exitCode() + " " + r.out().strip();
    }

    private static void assertNoPrivilegeFrom(String user, int victimUid, Path file, Path device) throws Exception {
        String seen = reachAs(user, file, device);
        assertTrue(!seen.contains("wrote-device"), user + " wrote to the container's device node " + device + ": " + seen);
        int attacker = uidOf(user);
        for (String line : seen.substring(seen.indexOf(' ') + 1).lines().toList()) {
            assertTrue(!line.strip().matches("\\d+") || Integer.parseInt(line.strip()) == attacker,
                    user + " ran " + file + " with another euid (victim " + victimUid + "): " + seen);
        }
    }

    /**
     * Issue 17 item 6: a container (isolated, as root and rootless) leaves a setuid copy of busybox and a device
     * node in its --persist directory; the image made by `strata create` keeps them in the store, and export-dir
     * copies them out. Another user (rootless: another unprivileged one) then runs each from the host: it never
     * gets the victim's euid (root, or the rootless caller) and cannot open the device, because these directories
     * are 0700.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void setuidFilesAContainerLeavesGrantNothingToOtherUsers(Mode mode) throws Exception {
        strata.assumeMode(mode);
        strata.assumeMode(Mode.ROOT); // to act as the other user
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        String attacker = mode == Mode.ROOT ? Installation.TEST_USER : "nobody";
        int victim = mode == Mode.ROOT ? 0 : uidOf(Installation.TEST_USER);
        Path persist = wd.resolve("persist");
        Path bash = bashIn(wd);
        Result run = strata.strata(mode, data, wd, Map.of(), null, "run", "-I", "--persist", persist.toString(),
                "--bind", bash + ":/hostbash:ro", id, "sh", "-c", plant("/hostbash"));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("planted"), run.out() + run.err());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(persist)));
        assertNoPrivilegeFrom(attacker, victim, persist.resolve("data/suid"), persist.resolve("data/nulldev"));

        Result created = strata.strata(mode, data, wd, Map.of(), null, "create", id, "sh", "-c", plant(bash.toString())); // plash: /tmp is shared
        assertEquals(0, created.exitCode(), created.err());
        String image = created.out().lines().reduce((a, b) -> b).orElseThrow().strip();
        Path layer = Path.of(strata.strata(mode, data, "nodepath", image).line());
        assertTrue(Files.exists(layer.resolve("suid")), "the store's layer holds the setuid file: " + layer);
        assertNoPrivilegeFrom(attacker, victim, layer.resolve("suid"), layer.resolve("nulldev"));

        Path exported = wd.resolve("exported");
        Result export = strata.strata(mode, data, wd, Map.of(), null, "export-dir", image, exported.toString());
        assertEquals(0, export.exitCode(), export.err());
        assertTrue(Files.exists(exported.resolve("suid")) && Files.exists(exported.resolve("bin/busybox")), "the whole image is copied");
        assertNoPrivilegeFrom(attacker, victim, exported.resolve("suid"), exported.resolve("nulldev"));
        Installation.exec(List.of("rm", "-rf", wd.toString()));
    }

    /**
     * Issue 17 item 6: `strata mount` shares an image with every user at its mount point, so the mount is
     * nosuid,nodev: the image's setuid-root busybox runs as the caller, and its device node cannot be opened.
     */
    @org.junit.jupiter.api.Test
    void strataMountIsNosuidAndNodev() throws Exception {
        strata.assumeMode(Mode.ROOT);
        Path data = strata.newStore(Mode.ROOT);
        String id = strata.importBusybox(Mode.ROOT, data);
        Path target = strata.newWorkDirectory(Mode.ROOT);
        Path bash = bashIn(Files.createTempDirectory(Path.of("/tmp"), "strata-bash-"));
        Result created = strata.strata(Mode.ROOT, data, strata.home, Map.of(), null, "create", id, "sh", "-c", plant(bash.toString()));
        assertEquals(0, created.exitCode(), created.err());
        String image = created.out().lines().reduce((a, b) -> b).orElseThrow().strip();
        Result mount = strata.strata(Mode.ROOT, data, "mount", image, target.toString());
        assertEquals(0, mount.exitCode(), mount.err());
        try {
            String options = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.split(" ")[4].equals(target.toString()))
                    .map(l -> l.split(" ")[5]).reduce((a, b) -> b).orElse("");
            assertTrue(options.contains("nosuid") && options.contains("nodev"), "mount options of " + target + ": " + options);
            String seen = reachAs(Installation.TEST_USER, target.resolve("suid"), target.resolve("nulldev"));
            assertEquals("0 " + uidOf(Installation.TEST_USER), seen, "the setuid file runs, as the caller; the device does not open");
        } finally {
            assertEquals(0, strata.strata(Mode.ROOT, data, "umount", target.toString()).exitCode());
            Installation.exec(List.of("rm", "-rf", target.toString(), bash.getParent().toString()));
        }
    }
}
