package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * One image, built by podman from the busybox root filesystem with USER (a name of its own passwd, with
 * a supplementary group), ENTRYPOINT, CMD, WORKDIR and ENV, run by podman (with runc) and by strata from
 * podman's own export of it (docker-archive and OCI layout), with and without run's overrides: what the
 * process sees (uid, gid, groups, argv, cwd, the image's env) must be the same. Podman is the reference,
 * measured in the same run; each case states nothing about the expected values itself.
 */
class ImageConfigDifferentialIT {
    /** The entrypoint prints what the OCI config decides, one fact a line. */
    private static final String CONTAINERFILE = """
            FROM localhost/busybox:it
            COPY passwd /etc/passwd
            COPY group /etc/group
            ENV GREETING="hello world" PATH=/usr/local/bin:/usr/bin:/bin
            WORKDIR /srv/app
            USER app
            ENTRYPOINT ["/bin/sh", "-c", "echo uid=$(id -u) gid=$(id -g) groups=$(id -G); echo cwd=$(pwd); echo argv=$0 \\"$*\\"; env | grep -E '^(GREETING|PATH|HOME|EXTRA)=' | sort", "probe"]
            CMD ["default", "cmd"]
            STOPSIGNAL SIGUSR1
            """;
    private static final String PASSWD = """
            root:x:0:0:root:/root:/bin/sh
            app:x:1234:2345:app:/home/app:/bin/sh
            nobody:x:65534:65534:nobody:/nonexistent:/bin/false
            """;
    private static final String GROUP = """
            root:x:0:
            app:x:2345:
            extra:x:3456:app
            nogroup:x:65534:
            """;
    private static final String IMAGE = "localhost/probe:1";

    /** Run flags, each given the same way to podman run and strata run. */
    private static final List<List<String>> CASES = List.of(
            List.of(),
            List.of("--", "x", "y z"),
            List.of("-u", "65534"),
            List.of("-u", "1234:extra"),
            List.of("--user", "root"),
            List.of("-w", "/tmp"),
            List.of("-e", "GREETING=over", "-e", "EXTRA=1"),
            List.of("--entrypoint", "[\"/bin/sh\",\"-c\",\"echo uid=$(id -u) cwd=$(pwd) argv=$*\",\"ep\"]", "--", "a", "b"),
            List.of("--entrypoint", "/bin/pwd"));

    static Installation strata;
    private static final Map<Mode, Podman> podmen = new EnumMap<>(Mode.class);

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
        // The first strata run of an installation records its AOT cache, which may warn on stdout: not in a case.
        ok(Installation.run(List.of(strata.launcher.toString(), "version"), strata.home, null, 120));
    }

    @AfterAll
    static void removeStorage() throws Exception {
        for (Podman p : podmen.values()) p.close();
    }

    private static Podman podman(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed (scripts/test-setup installs it)");
        Podman p = Podman.create(strata, mode);
        podmen.put(mode, p);
        Path context = p.newDirectory("context");
        Files.writeString(context.resolve("Containerfile"), CONTAINERFILE);
        Files.writeString(context.resolve("passwd"), PASSWD);
        Files.writeString(context.resolve("group"), GROUP);
        ok(p.run(List.of("build", "-q", "-t", IMAGE, "-f", context.resolve("Containerfile").toString(), context.toString()), null));
        return p;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void strataRunsPodmansImageAsPodmanDoes(Mode mode) throws Exception {
        Podman p = podman(mode);
        Path exports = p.newDirectory("exports");
        ok(p.run(List.of("save", "--format", "docker-archive", "-o", exports.resolve("probe.tar").toString(), IMAGE), null));
        ok(p.run(List.of("save", "--format", "oci-dir", "-o", exports.resolve("layout").toString(), IMAGE), null));
        String runc = Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : "/usr/bin/runc";
        Path data = strata.newStore(mode);
        String id = null;
        for (String source : List.of("docker-archive:" + exports.resolve("probe.tar"), "oci-layout:" + exports.resolve("layout"))) {
            id = ok(strata.strata(mode, data, "pull", source)).line();
            Path envFile = exports.resolve("env");
            Files.writeString(envFile, "# podman's --env-file\nGREETING=from file\n");
            List<List<String>> cases = new ArrayList<>(CASES);
            // podman's habits: -i, --rm, an attached -eNAME=VALUE, --env-file under -e, -v with relabel flags.
            cases.add(List.of("-i", "--rm", "-eEXTRA=attached", "--env-file", envFile.toString(), "-v", exports + ":/mnt:ro,z"));
            for (List<String> flags : cases) {
                int dashes = flags.indexOf("--");
                List<String> options = dashes < 0 ? flags : flags.subList(0, dashes);
                List<String> args = dashes < 0 ? List.of() : flags.subList(dashes + 1, flags.size());
                List<String> podmanRun = new ArrayList<>(List.of("run", "--rm", "--net", "none"));
                podmanRun.addAll(options);
                podmanRun.add(IMAGE);
                podmanRun.addAll(args);
                Result reference = ok(p.run(podmanRun, runc));
                List<String> strataRun = new ArrayList<>(List.of("run", "--isolate"));
                strataRun.addAll(options);
                strataRun.add(id);
                strataRun.addAll(args);
                Result seen = ok(strata.strata(mode, data, strataRun.toArray(String[]::new)));
                assertEquals(reference.out(), seen.out(), source + " " + flags + ": strata differs from podman");
                assertTrue(!reference.out().isBlank(), "podman printed nothing for " + flags);
            }
        }
        // A name the image's passwd lacks is refused by both, strata in one line naming it.
        Result unknown = strata.strata(mode, data, "run", "--isolate", "-u", "nosuch", id);
        assertTrue(unknown.exitCode() != 0, unknown.out());
        assertTrue(p.run(List.of("run", "--rm", "-u", "nosuch", IMAGE), runc).exitCode() != 0);
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertTrue(unknown.err().contains("'nosuch'"), unknown.err());
    }

    /** Traps USR1 (the image's STOPSIGNAL) and TERM apart, so which one stop sent shows in the output and the exit code. */
    private static final String TRAPPER = "[\"/bin/sh\",\"-c\",\"trap 'echo got-usr1; exit 3' USR1; trap 'echo got-term; exit 4' TERM; "
            + "echo ready; while true; do sleep 0.1; done\"]";

    /** stop sends the image's StopSignal first, as podman's stop does (issue 20): the same output and exit code as podman's. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopSendsTheImagesStopSignalAsPodmanDoes(Mode mode) throws Exception {
        Podman p = podman(mode);
        String runc = Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : "/usr/bin/runc";
        ok(p.run(List.of("run", "-d", "--name", "stopper", "--net", "none", "--entrypoint", TRAPPER, IMAGE), runc));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!p.run(List.of("logs", "stopper"), runc).out().contains("ready") && System.nanoTime() < deadline) Thread.sleep(100);
        ok(p.run(List.of("stop", "-t", "30", "stopper"), runc));
        String podmanCode = ok(p.run(List.of("wait", "stopper"), runc)).line();
        String podmanOut = ok(p.run(List.of("logs", "stopper"), runc)).out();
        ok(p.run(List.of("rm", "stopper"), runc));

        Path exports = p.newDirectory("stop-exports");
        ok(p.run(List.of("save", "--format", "docker-archive", "-o", exports.resolve("probe.tar").toString(), IMAGE), null));
        Path data = strata.newStore(mode);
        String id = ok(strata.strata(mode, data, "pull", "docker-archive:" + exports.resolve("probe.tar"))).line();
        Path wd = strata.newWorkDirectory(mode);
        Process run = strata.start(mode, data, wd, Map.of(), "run", "-I", "--name", "stopper", "--entrypoint", TRAPPER, id);
        try {
            while (!Files.readString(wd.resolve("out")).contains("ready") && run.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
            ok(strata.strata(mode, data, wd, Map.of(), null, "stop", "--timeout", "30", "stopper"));
            assertTrue(run.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "strata run ended after stop");
        } finally {
            run.destroyForcibly();
        }
        assertEquals(podmanOut, Files.readString(wd.resolve("out")), "what the container printed: " + Files.readString(wd.resolve("err")));
        assertEquals(podmanCode, Integer.toString(run.exitValue()), "the container's exit code");
        assertTrue(podmanOut.contains("got-usr1"), "podman sent the image's STOPSIGNAL: " + podmanOut);
    }

    private static Result ok(Result r) {
        assertEquals(0, r.exitCode(), () -> "out: " + r.out() + "\nerr: " + r.err());
        return r;
    }
}
