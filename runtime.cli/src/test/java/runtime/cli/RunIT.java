package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** `strata import-tar` and `strata run` end to end, as root and as an unprivileged user with subuid ranges. */
class RunIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runsAsRootInsideAndWritesToTheSharedTmp(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertTrue(id.matches("[0-9a-f]{64}"), id);
        Path wd = strata.newWorkDirectory(mode);
        Result r = strata.strata(mode, data, wd, Map.of(), null, "run", id, "sh", "-c", "id -u; echo hi > x; pwd");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("0", wd.toString()), r.out().lines().toList());
        assertEquals("hi\n", Files.readString(wd.resolve("x")), "the container wrote into the caller's working directory");
        String owner = Files.getOwner(wd.resolve("x")).getName();
        assertEquals(mode == Mode.ROOT ? "root" : Installation.TEST_USER, owner);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void importIsCachedByContent(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String first = strata.importBusybox(mode, data);
        Result again = strata.strata(mode, data, "import-tar", strata.rootfsTar.toString());
        assertEquals(first, again.line());
        Result images = strata.strata(mode, data, "images");
        assertEquals(0, images.exitCode(), images.err());
        assertEquals(2, images.out().lines().count(), images.out());
        assertTrue(images.out().contains(first.substring(0, 12)));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void exitCodesAndErrorsPropagate(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(42, strata.strata(mode, data, "run", id, "sh", "-c", "exit 42").exitCode());

        Result missingCommand = strata.strata(mode, data, "run", id, "no-such-command");
        assertEquals(127, missingCommand.exitCode());
        assertEquals("strata: no-such-command: command not found\n", missingCommand.err());

        Result badImage = strata.strata(mode, data, "run", "deadbeef", "true");
        assertEquals(125, badImage.exitCode());
        assertEquals("strata: no image 'deadbeef' (strata images lists them)\n", badImage.err());

        Result badFile = strata.strata(mode, data, "import-tar", "/nonexistent.tar");
        assertTrue(badFile.exitCode() != 0);
        assertEquals(1, badFile.err().lines().count(), badFile.err());

        Result unknown = strata.strata(mode, data, "frobnicate");
        assertEquals(2, unknown.exitCode());
        assertEquals("strata: unknown command 'frobnicate' (strata help lists them)\n", unknown.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void environmentAndDefaultShellAndStdin(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result env = strata.strata(mode, data, strata.home, Map.of("GREETING", "hello there"), null, "run", id, "sh", "-c", "echo $GREETING");
        assertEquals("hello there", env.line(), env.err());
        // No command: the image's root shell (from its /etc/passwd) reads the script from stdin.
        Result shell = strata.strata(mode, data, strata.home, Map.of(), "echo from-stdin; exit 5\n", "run", id);
        assertEquals(5, shell.exitCode(), shell.err());
        assertEquals("from-stdin", shell.line());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void hostHomeProcAndNetworkAreShared(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result r = strata.strata(mode, data, "run", id, "sh", "-c",
                "test -d /home && test -e /proc/1/status && test -c /dev/null && ip -o link | wc -l && cat /etc/resolv.conf");
        assertEquals(0, r.exitCode(), r.err());
        long hostInterfaces;
        try (var s = Files.list(Path.of("/sys/class/net"))) {
            hostInterfaces = s.count();
        }
        String resolv = Files.exists(Path.of("/etc/resolv.conf")) ? Files.readString(Path.of("/etc/resolv.conf")) : "";
        assertEquals(hostInterfaces + "\n" + resolv, r.out(), "the host's network and resolver");
        Result none = strata.strata(mode, data, "run", "--net", "none", id, "sh", "-c", "ip -o link | wc -l");
        assertEquals(0, none.exitCode(), none.err());
        assertEquals("1", none.line(), "only loopback in a private network namespace");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void bindMountsAndReadOnly(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Files.writeString(wd.resolve("in"), "bound");
        Result r = strata.strata(mode, data, wd, Map.of(), null, "run", "--bind", wd + ":/srv/data:ro", id, "sh", "-c",
                "cat /srv/data/in; echo; touch /srv/data/new 2>/dev/null && echo writable || echo read-only");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("bound", "read-only"), r.out().lines().toList());
        Result bad = strata.strata(mode, data, "run", "--bind", "rel:ative:x", id, "true");
        assertEquals(2, bad.exitCode(), "a bad value is wrong usage");
        assertTrue(bad.err().startsWith("strata run: bad --bind"), bad.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void changesToTheImageAreDiscarded(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "run", id, "sh", "-c", "echo x > /etc/added && rm /bin/ls").exitCode());
        Result after = strata.strata(mode, data, "run", id, "sh", "-c", "test ! -e /etc/added && test -e /bin/ls");
        assertEquals(0, after.exitCode(), "a plain run leaves the image as it was");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sigtermReachesTheContainer(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        // The container marks when it is running, then waits; strata must pass SIGTERM on and exit 143.
        ProcessBuilder pb = new ProcessBuilder(strata.command(mode, data, Map.of(),
                List.of("run", id, "sh", "-c", "trap 'echo got-term > term; exit 143' TERM; touch started; while true; do sleep 0.1; done")))
                .directory(wd.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(wd.resolve("started")) && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(Files.exists(wd.resolve("started")), "container started");
        ProcessHandle jvm = Installation.jvm(p);
        new ProcessBuilder("kill", "-TERM", Long.toString(jvm.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "strata ended after SIGTERM");
        assertEquals(143, p.exitValue());
        assertEquals("got-term\n", Files.readString(wd.resolve("term")));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTerminalStdinGivesTheContainerATty(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        // script(1) runs strata on a new pseudo-terminal.
        String cmd = String.join(" ", strata.command(mode, data, Map.of(), List.of("run", id, "sh", "-c", "tty; test -t 0 && echo is-a-tty")));
        Process p = new ProcessBuilder("script", "-qec", cmd, "/dev/null").directory(strata.home.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("/dev/pts/"), out);
        assertTrue(out.contains("is-a-tty"), out);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void debugPrintsPhaseTimings(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result r = strata.strata(mode, data, "run", "--debug", id, "true");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().matches("(?s)strata: started pid \\d+: .*spawn [0-9.]+ ms, setup\\+exec [0-9.]+ ms.*"), r.err());
    }

    /**
     * The launcher records run's and build's AOT caches from these exact commands on the training image: they
     * must succeed, or the cache holds the error path (logging, exit) instead of what a real run does.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aotTrainingCommandsSucceed(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Result sample = strata.strata(mode, data, "__aot-sample");
        assertEquals(0, sample.exitCode(), sample.err());
        String image = sample.line();
        Result run = strata.strata(mode, data, "__aot-train-run", image.substring(0, 12));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        Result build = strata.strata(mode, data, "build", "--from", image, "--run", "true");
        assertEquals(0, build.exitCode(), build.err());
        assertTrue(build.line().matches("[0-9a-f]{64}"), build.out());
        assertTrue(!build.err().contains("step 1/1"), "the training build step is cached: " + build.err());
    }
}
