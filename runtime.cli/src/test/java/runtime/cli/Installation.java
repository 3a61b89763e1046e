package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A copy of the built strata (the ./strata launcher and the dist directory) in a world-readable temp
 * directory, so the unprivileged test user can run it whatever the checkout's permissions are, plus a
 * busybox root filesystem tar made by scripts/busybox-rootfs. Commands run as root or as the test user.
 */
final class Installation {
    /** The unprivileged user the test setup (scripts/test) creates with /etc/subuid ranges. */
    static final String TEST_USER = "strata-test";

    enum Mode { ROOT, ROOTLESS }

    record Result(int exitCode, String out, String err) {
        String line() {
            return out.strip();
        }
    }

    private static Installation instance;

    /**
     * Commands go through the per-user server (the native front) by default; true runs each in a JVM of
     * its own (STRATA_SERVER=off), as RunDirectIT and BuildDirectIT do for the whole of RunIT and BuildIT.
     * Also {@code -Dstrata.it.direct=true} for every test.
     */
    static volatile boolean direct = Boolean.getBoolean("strata.it.direct");

    final Path home;
    final Path launcher;
    final Path rootfsTar;
    final boolean runningAsRoot;

    private Installation(Path home, boolean root) throws IOException {
        this.home = home;
        this.launcher = home.resolve("strata");
        this.rootfsTar = home.resolve("busybox.tar");
        this.runningAsRoot = root;
    }

    static synchronized Installation get() throws Exception {
        if (instance != null) return instance;
        Path module = Path.of(System.getProperty("user.dir"));
        Path repo = module.getParent();
        Path dist = module.resolve("target/dist");
        if (!Files.isRegularFile(dist.resolve(".built"))) throw new IllegalStateException("build the dist first: " + dist);
        Path home = Files.createTempDirectory(Path.of("/tmp"), "strata-it-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        exec(List.of("mkdir", "-p", home.resolve("runtime.cli/target").toString()));
        exec(List.of("cp", "-a", dist.toString(), home.resolve("runtime.cli/target/dist").toString()));
        // The AOT cache names the jars by path: the copy records its own on first use.
        exec(List.of("rm", "-rf", home.resolve("runtime.cli/target/dist/aot").toString()));
        exec(List.of("cp", "-a", repo.resolve("strata").toString(), home.toString()));
        // The OCI runtime launcher (podman --runtime .../strata-oci), driven by PodmanIT.
        if (Files.exists(repo.resolve("strata-oci"))) exec(List.of("cp", "-a", repo.resolve("strata-oci").toString(), home.toString()));
        exec(List.of("sh", "-c", repo.resolve("scripts/busybox-rootfs") + " > " + home.resolve("busybox.tar")));
        // The install script, for InstallIT: it installs this copy's dist (built, so no build).
        exec(List.of("mkdir", "-p", home.resolve("scripts").toString()));
        exec(List.of("cp", "-a", repo.resolve("scripts/install").toString(), home.resolve("scripts").toString()));
        // Every command group's start-up cache now, as scripts/install does: a first use would say so on stderr.
        exec(List.of(home.resolve("runtime.cli/target/dist/bin/strata").toString(), "__aot-prepare"));
        exec(List.of("chmod", "-R", "a+rX", home.toString()));
        // Runtime directories (the server's socket, container records) of this installation alone: another
        // checkout's tests on the machine have servers of their own.
        for (String dir : List.of("run-root", "run-user")) {
            Files.createDirectory(home.resolve(dir), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (new ProcessBuilder("id", TEST_USER).start().waitFor() == 0) exec(List.of("chown", TEST_USER + ":", home.resolve("run-user").toString()));
        boolean root = new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip().equals("0");
        instance = new Installation(home, root);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                new ProcessBuilder("rm", "-rf", home.toString()).start().waitFor();
            } catch (Exception ignored) {
                // temp files
            }
        }));
        return instance;
    }

    /** Skips (with the reason) a mode this machine cannot test: root tests need root; rootless as root need the test user. */
    void assumeMode(Mode mode) throws Exception {
        if (mode == Mode.ROOT) {
            assumeTrue(runningAsRoot, "root tests need root");
        } else if (runningAsRoot) {
            assumeTrue(new ProcessBuilder("id", TEST_USER).start().waitFor() == 0,
                    "rootless tests as root need the user " + TEST_USER + " (scripts/test creates it)");
        }
    }

    /** A fresh store for one test, owned by whoever the mode runs as. */
    Path newStore(Mode mode) throws Exception {
        Path data = Files.createTempDirectory(home, "data-");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (mode == Mode.ROOTLESS && runningAsRoot) exec(List.of("chown", TEST_USER + ":", data.toString()));
        return data;
    }

    /** A directory the mode's user can write in, under /tmp (which containers share with the host). */
    Path newWorkDirectory(Mode mode) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-wd-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (mode == Mode.ROOTLESS && runningAsRoot) exec(List.of("chown", TEST_USER + ":", dir.toString()));
        return dir;
    }

    List<String> command(Mode mode, Path data, Map<String, String> extraEnv, List<String> args) {
        List<String> program = new ArrayList<>(List.of(launcher.toString()));
        program.addAll(args);
        return as(mode, data, extraEnv, program);
    }

    /** A program as the mode's user, in the environment strata runs in here (only PATH, STRATA_DATA, LANG, HOME, ...). */
    List<String> as(Mode mode, Path data, Map<String, String> extraEnv, List<String> program) {
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("STRATA_NO_BUILD", "1");
        env.put("STRATA_DATA", data.toString());
        env.put("LANG", "C.UTF-8");
        boolean asTestUser = mode == Mode.ROOTLESS && runningAsRoot;
        env.put("XDG_RUNTIME_DIR", home.resolve(asTestUser ? "run-user" : "run-root").toString());
        if (direct) env.put("STRATA_SERVER", "off");
        env.put("HOME", asTestUser ? "/home/" + TEST_USER : System.getProperty("user.home"));
        env.putAll(extraEnv);
        List<String> cmd = new ArrayList<>();
        if (asTestUser) cmd.addAll(List.of("runuser", "-u", TEST_USER, "--"));
        cmd.add("env");
        cmd.add("-i");
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(program);
        return cmd;
    }

    /** Starts strata without waiting; stdout and stderr go to files in {@code cwd} (out, err). */
    Process start(Mode mode, Path data, Path cwd, Map<String, String> env, String... args) throws Exception {
        return new ProcessBuilder(command(mode, data, env, List.of(args))).directory(cwd.toFile())
                .redirectOutput(cwd.resolve("out").toFile()).redirectError(cwd.resolve("err").toFile()).start();
    }

    /**
     * The strata process of a strata started with {@link #start}: the native front (through the server) or
     * the JVM (the launcher execs either; runuser stays a parent). The containers strata starts are its
     * descendants either way.
     */
    static ProcessHandle jvm(Process p) {
        return p.toHandle().descendants().filter(h -> {
            String command = h.info().command().orElse("");
            return command.endsWith("/java") || command.endsWith("/strata-front");
        }).findFirst().orElse(p.toHandle());
    }

    /** The build id of this installation's dist (the server's socket is named by it). */
    String buildId() throws IOException {
        return Files.readString(home.resolve("runtime.cli/target/dist/build-id")).strip();
    }

    /** The pid of the mode's running server of this build, from its log; 0 when none runs. */
    long serverPid(Mode mode) throws IOException {
        Path log = runtimeDirectory(mode).resolve("server.log");
        if (!Files.exists(log)) return 0;
        java.util.regex.Pattern started = java.util.regex.Pattern.compile("server (\\d+) of build (\\w+) listening");
        long pid = 0;
        String id = buildId();
        for (String line : Files.readAllLines(log)) {
            java.util.regex.Matcher m = started.matcher(line);
            if (m.find() && m.group(2).equals(id)) pid = Long.parseLong(m.group(1));
        }
        return pid != 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : 0;
    }

    /** The runtime directory of the mode's user (XDG_RUNTIME_DIR/strata): the server's socket and log. */
    Path runtimeDirectory(Mode mode) {
        return home.resolve(mode == Mode.ROOTLESS && runningAsRoot ? "run-user" : "run-root").resolve("strata");
    }

    /** Number of layers in a store. */
    static long layerCount(Path data) throws IOException {
        Path layers = data.resolve("layers");
        if (!Files.isDirectory(layers)) return 0;
        try (var s = Files.list(layers)) {
            return s.count();
        }
    }

    Result strata(Mode mode, Path data, Path cwd, Map<String, String> env, String stdin, String... args) throws Exception {
        return run(command(mode, data, env, List.of(args)), cwd, stdin, 120);
    }

    /** Runs a command to its end (at most {@code timeoutSeconds}), feeding it {@code stdin} (null: none). */
    static Result run(List<String> cmd, Path cwd, String stdin, long timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        var out = p.getInputStream();
        var err = p.getErrorStream();
        var errText = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                errText.complete(new String(err.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                errText.completeExceptionally(e);
            }
        });
        var outText = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                outText.complete(new String(out.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                outText.completeExceptionally(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
        }
        try {
            // Descendants may hold the output open a while longer: wait for them, within the same limit.
            String outString = outText.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return new Result(p.exitValue(), outString, errText.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(String.join(" ", cmd) + " exited but a descendant kept its output open for " + timeoutSeconds + " s");
        }
    }

    Result strata(Mode mode, Path data, String... args) throws Exception {
        return strata(mode, data, home, Map.of(), null, args);
    }

    /** Imports the busybox tar and returns the image id. */
    String importBusybox(Mode mode, Path data) throws Exception {
        Result r = strata(mode, data, "import-tar", rootfsTar.toString());
        assertEquals(0, r.exitCode(), r.err());
        return r.line();
    }

    static void exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
}
