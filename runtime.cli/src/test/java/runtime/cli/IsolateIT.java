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

/** strata run --isolate: squish-style containers, as root and rootless. */
class IsolateIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void namespacesAndFilesystemsArePrivate(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Result r = strata.strata(mode, data, wd, Map.of("LEAK", "host-value"), null, "run", "--isolate", "--hostname", "box",
                "-e", "MINE=set", id, "sh", "-c",
                "echo $$; hostname; set -- /proc/[0-9]*; echo $#; ls -A /home | wc -l; ip -o link | wc -l; echo ${LEAK:-clean} $MINE;"
                        + " pwd; touch /tmp/private; test -c /dev/null && test -e /dev/pts/ptmx && echo devices");
        assertEquals(0, r.exitCode(), r.err());
        // The shell is pid 2 (the helper is init), sees only init and itself, no host homes, only loopback.
        assertEquals(List.of("2", "box", "2", "0", "1", "clean set", "/", "devices"), r.out().lines().toList());
        assertTrue(Files.notExists(Path.of("/tmp/private")), "/tmp is the container's own");
        Result host = strata.strata(mode, data, wd, Map.of(), null, "run", "--isolate", "--net", "host", id, "sh", "-c", "ip -o link | wc -l");
        long hostInterfaces;
        try (var s = Files.list(Path.of("/sys/class/net"))) {
            hostInterfaces = s.count();
        }
        assertEquals(Long.toString(hostInterfaces), host.line(), host.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readOnlyRootAndWorkdir(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result r = strata.strata(mode, data, "run", "-I", "--read-only", "-w", "/etc", id, "sh", "-c",
                "pwd; touch /etc/x 2>/dev/null && echo writable || echo read-only; touch /tmp/ok && echo tmp-writable");
        assertEquals(List.of("/etc", "read-only", "tmp-writable"), r.out().lines().toList(), r.err());
        Result misuse = strata.strata(mode, data, "run", "--read-only", id, "true");
        assertEquals(2, misuse.exitCode(), "wrong usage");
        assertEquals("strata run: --hostname, --read-only, --name, --publish, --seccomp, --cap-* and limits go with --isolate\n", misuse.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void initReapsOrphansAndPassesSignals(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        // An orphan that exits must not stay a zombie: pid 1 reaps it.
        Result zombies = strata.strata(mode, data, "run", "-I", id, "sh", "-c",
                "sh -c 'sleep 0.2 & exit 0'; sleep 0.6; ps -o stat | grep -c '^Z' || true");
        assertEquals("0", zombies.line(), zombies.err());
        Path wd = strata.newWorkDirectory(mode);
        Process p = strata.start(mode, data, wd, Map.of(), "run", "-I", id, "sh", "-c",
                "trap 'echo got-term; exit 3' TERM; echo started; sleep 30 & wait");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readString(wd.resolve("out")).contains("started") && System.nanoTime() < deadline) Thread.sleep(20);
        new ProcessBuilder("kill", "-TERM", Long.toString(Installation.jvm(p).pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), Files.readString(wd.resolve("err")));
        assertEquals(List.of("started", "got-term"), Files.readString(wd.resolve("out")).lines().toList());
    }

    /**
     * SIGKILL to the relay (the helper strata started, which it waits for and stops containers through)
     * cannot be passed on: init must die with it and take the namespace down, not run on orphaned.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void killingTheRelayEndsTheWholeContainer(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Process p = strata.start(mode, data, wd, Map.of(), "run", "-I", id, "sh", "-c", "sleep 60 & echo started; wait");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readString(wd.resolve("out")).contains("started") && System.nanoTime() < deadline) Thread.sleep(20);
        ProcessHandle jvm = Installation.jvm(p);
        ProcessHandle relay = jvm.children().findFirst().orElseThrow();
        List<ProcessHandle> container = relay.descendants().toList();
        assertTrue(container.size() >= 3, "init, the shell and sleep: " + container.size());
        new ProcessBuilder("kill", "-KILL", Long.toString(relay.pid())).start().waitFor();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (container.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(List.of(), container.stream().filter(ProcessHandle::isAlive).map(h -> h.pid() + " " + h.info().commandLine().orElse(""))
                .toList(), "processes of the container still running");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "strata run ends");
        assertEquals(137, p.exitValue(), "killed: 128 + 9");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void seccompNoNewPrivsAndCapabilities(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result confined = strata.strata(mode, data, "run", "-I", id, "sh", "-c",
                "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status | tr -d '\\t'; unshare -r true 2>&1 | grep -o 'Operation not permitted'");
        assertEquals(List.of("CapEff:00000000800405fb", "NoNewPrivs:1", "Seccomp:2", "Operation not permitted"),
                confined.out().lines().toList(), confined.err());
        Result unconfined = strata.strata(mode, data, "run", "-I", "--seccomp=unconfined", "--cap-drop", "ALL", id, "sh", "-c",
                "grep -E '^(Seccomp|CapEff):' /proc/self/status | tr -d '\\t'");
        assertEquals(List.of("CapEff:0000000000000000", "Seccomp:0"), unconfined.out().lines().toList(), unconfined.err());
        Path wd = strata.newWorkDirectory(mode);
        Path profile = Files.writeString(wd.resolve("profile.json"), """
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
                """);
        Result custom = strata.strata(mode, data, wd, Map.of(), null, "run", "-I", "--seccomp", profile.toString(), id, "sh", "-c",
                "mkdir /tmp/d 2>&1 | grep -o 'Permission denied'; touch /tmp/f && echo other-calls-work");
        assertEquals(List.of("Permission denied", "other-calls-work"), custom.out().lines().toList(), custom.err());
        Files.writeString(profile, "{ not json");
        Result bad = strata.strata(mode, data, wd, Map.of(), null, "run", "-I", "--seccomp", profile.toString(), id, "true");
        assertEquals(2, bad.exitCode(), "a bad --seccomp profile is a bad value, refused before any work");
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertTrue(bad.err().contains("not valid JSON"), bad.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void cgroupLimitsAreEnforcedOrRefusedClearly(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        boolean delegated = mode == Mode.ROOT || Files.isWritable(Path.of("/sys/fs/cgroup/cgroup.subtree_control"));
        Result bomb = strata.strata(mode, data, "run", "-I", "--pids", "12", id, "sh", "-c",
                // The fork loop runs in a subshell (busybox sh gives up at the first failed fork); counting uses
                // builtins only, since no fork is possible while the sleeps hold every pid.
                "(i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done) 2>/tmp/err; n=0;"
                        + " while read -r l; do case \"$l\" in *fork*) n=$((n+1));; esac; done </tmp/err; echo $n");
        if (!delegated) {
            assertEquals(125, bomb.exitCode());
            assertTrue(bomb.err().startsWith("strata: resource limits need root or a delegated cgroup v2 subtree"), bomb.err());
            return;
        }
        assertEquals(0, bomb.exitCode(), bomb.err());
        assertTrue(Integer.parseInt(bomb.line()) > 0, "the pids limit stopped the fork loop: " + bomb.out());
        Result oom = strata.strata(mode, data, "run", "-I", "--memory", "32m", id, "sh", "-c",
                "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}");
        assertEquals(137, oom.exitCode(), "killed by the OOM killer: " + oom.out() + oom.err());
        Result bad = strata.strata(mode, data, "run", "-I", "--memory", "lots", id, "true");
        assertEquals("strata run: --memory: bad memory size 'lots': want a number with k, m or g\n", bad.err());
        assertEquals(2, bad.exitCode(), "a bad value is a usage error");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void manifestsValidateAndRun(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Files.createDirectories(wd.resolve("site"));
        Files.writeString(wd.resolve("site/index.html"), "site-content\n");
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", wd.toString()));
        Path good = Files.writeString(wd.resolve("app.toml"), """
                image = "%s"
                command = ["sh", "-c", "cat index.html; echo $GREETING; hostname; touch /srv/x 2>/dev/null || echo ro"]
                hostname = "app"
                workdir = "/srv"
                env = { GREETING = "hello" }
                [[layer]]
                source = "site"
                target = "/srv"
                """.formatted(id));
        Result ok = strata.strata(mode, data, wd, Map.of(), null, "validate", good.toString());
        assertEquals(0, ok.exitCode(), ok.err());
        Result run = strata.strata(mode, data, wd, Map.of(), null, "run", "-f", good.toString());
        assertEquals(List.of("site-content", "hello", "app", "ro"), run.out().lines().toList(), run.err());
        Result override = strata.strata(mode, data, wd, Map.of(), null, "run", "-f", good.toString(), "echo", "replaced");
        assertEquals("replaced", override.line(), override.err());
        Path bad = Files.writeString(wd.resolve("bad.toml"), "image = \"x\"\nnetwork = \"pigeon/1\"\n[limits]\nmemory = \"lots\"\n");
        Result invalid = strata.strata(mode, data, wd, Map.of(), null, "validate", bad.toString());
        assertEquals(1, invalid.exitCode());
        assertEquals(List.of(bad + ":2:1: network: 'pigeon/1' is not none, host, slirp4netns or a network's name (strata network create)",
                bad + ":4:1: limits.memory: bad memory size 'lots': want a number with k, m or g"), invalid.err().lines().toList());
    }
}
