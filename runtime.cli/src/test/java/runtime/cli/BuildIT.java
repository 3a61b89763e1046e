package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** strata build and its macros, cache, failures and crash safety, as root and rootless. */
class BuildIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    record Store(Mode mode, Path data, String base, Path wd) {}

    private Store store(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        return new Store(mode, data, strata.importBusybox(mode, data), strata.newWorkDirectory(mode));
    }

    private Result strata(Store s, String... args) throws Exception {
        return strata.strata(s.mode, s.data, s.wd, Map.of(), null, args);
    }

    private String build(Store s, String... macros) throws Exception {
        List<String> args = new ArrayList<>(List.of("build", "--from", s.base));
        args.addAll(List.of(macros));
        Result r = strata(s, args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.line().matches("[0-9a-f]{64}"), r.out());
        return r.line();
    }

    private static long steps(Result r) {
        return r.err().lines().filter(l -> l.matches("strata: step \\d+/\\d+: .*")).count();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stepsAreLayersAndCached(Mode mode) throws Exception {
        Store s = store(mode);
        String[] macros = {"--run", "echo a > /etc/a", "--layer", "-x", "echo b > /etc/b", "rm /bin/ls"};
        List<String> args = new ArrayList<>(List.of("build", "--from", s.base));
        args.addAll(List.of(macros));
        Result first = strata(s, args.toArray(String[]::new));
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(2, steps(first));
        assertEquals(3, Installation.layerCount(s.data), "base + two steps");
        String id = first.line();
        Result files = strata(s, "run", id, "sh", "-c", "cat /etc/a /etc/b; test -e /bin/ls && echo ls-still-there || echo ls-gone");
        assertEquals(List.of("a", "b", "ls-gone"), files.out().lines().toList(), files.err());

        Result cached = strata(s, args.toArray(String[]::new));
        assertEquals(id, cached.line());
        assertEquals(0, steps(cached), "every step came from the cache: " + cached.err());

        args.add(1, "--no-cache");
        Result rebuilt = strata(s, args.toArray(String[]::new));
        assertEquals(0, rebuilt.exitCode(), rebuilt.err());
        assertEquals(id, rebuilt.line(), "the same steps name the same layers");
        assertEquals(2, steps(rebuilt));
        assertEquals(3, Installation.layerCount(s.data));
        Result after = strata(s, "run", id, "cat", "/etc/b");
        assertEquals("b", after.line(), after.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void hashPathRebuildsWhenContentChanges(Mode mode) throws Exception {
        Store s = store(mode);
        Path req = s.wd.resolve("requirements.txt");
        Files.writeString(req, "v1\n");
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", Installation.TEST_USER + ":", req.toString()));
        String one = build(s, "--hash-path", "requirements.txt", "--run", "cp requirements.txt /etc/req");
        assertEquals(one, build(s, "--hash-path", "requirements.txt", "--run", "cp requirements.txt /etc/req"));
        Files.writeString(req, "v2\n");
        String two = build(s, "--hash-path", "requirements.txt", "--run", "cp requirements.txt /etc/req");
        assertNotEquals(one, two);
        assertEquals("v2", strata(s, "run", two, "cat", "/etc/req").line());
        assertEquals("v1", strata(s, "run", one, "cat", "/etc/req").line());
        String forced1 = build(s, "--invalidate-layer", "--run", "true");
        assertNotEquals(forced1, build(s, "--invalidate-layer", "--run", "true"));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFailingStepKeepsNothing(Mode mode) throws Exception {
        Store s = store(mode);
        long before = Installation.layerCount(s.data);
        Result r = strata(s, "build", "--from", s.base, "--run", "echo partial > /etc/partial", "exit 7");
        assertEquals(7, r.exitCode());
        assertTrue(r.err().contains("strata: build step failed with exit code 7"), r.err());
        assertEquals("", r.out(), "no image id on a failed build");
        assertEquals(before, Installation.layerCount(s.data));
        try (var tmp = Files.list(s.data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith("layer-")).toList());
        }
        Result unknown = strata(s, "build", "--from", s.base, "--frob");
        assertEquals(125, unknown.exitCode());
        assertEquals("strata: unknown macro --frob (strata build --help-macros lists them)\n", unknown.err());
        Result missing = strata(s, "build", "--from", "0123456789ab", "--run", "true");
        assertEquals(125, missing.exitCode());
        assertEquals("strata: no image '0123456789ab' (strata images lists them)\n", missing.err());
        Result noFrom = strata(s, "build", "--run", "true");
        assertEquals(125, noFrom.exitCode());
        assertEquals(1, noFrom.err().lines().count(), noFrom.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void configurationMacros(Mode mode) throws Exception {
        Store s = store(mode);
        String id = build(s, "--env", "GREETING=hi", "--workdir", "/srv", "--write-script", "/usr/local/bin/greet",
                "echo \"$GREETING from $(pwd)\"", "--entrypoint", "greet", "-l", "--run", "echo \"$GREETING\" > /etc/seen-in-build");
        Result run = strata(s, "run", id);
        assertEquals("hi from /srv", run.line(), run.err());
        assertEquals("hi", strata(s, "run", id, "cat", "/etc/seen-in-build").line());
        Result imported = strata.strata(s.mode, s.data, s.wd, Map.of("SECRET_TOKEN", "t0k"), null,
                "build", "--from", s.base, "--import-env", "SECRET_TOKEN:TOKEN");
        assertEquals(0, imported.exitCode(), imported.err());
        assertEquals("t0k", strata(s, "run", imported.line(), "sh", "-c", "echo $TOKEN").line());
        Result files = strata(s, "run", build(s, "--write-file", "/etc/motd", "line one", "line two"), "cat", "/etc/motd");
        assertEquals(List.of("line one", "line two"), files.out().lines().toList());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void packageManagerMacrosCallTheImagesTool(Mode mode) throws Exception {
        Store s = store(mode);
        // A stand-in apk that records how it was called: the macro's plumbing is what is tested here.
        String id = build(s, "--write-script", "/sbin/apk", "echo apk \"$@\" >> /etc/apk.log", "-l", "--apk", "xeyes", "git");
        Result log = strata(s, "run", id, "cat", "/etc/apk.log");
        assertEquals(List.of("apk update", "apk add xeyes git"), log.out().lines().toList(), log.err());
        Result help = strata(s, "build", "--help-macros");
        assertEquals(0, help.exitCode());
        for (String macro : List.of("--from", "--run", "--layer", "--apt", "--apk", "--dnf", "--yum", "--pacman", "--emerge",
                "--pip", "--pip3", "--npm", "--env", "--import-env", "--workdir", "--write-file", "--write-script",
                "--entrypoint", "--hash-path", "--invalidate-layer", "--eval-file", "--eval-string", "--include", "--#", "--hint",
                "--entrypoint-script", "--eval-stdin", "--run-stdin", "--eval-url", "--eval-github")) {
            assertTrue(help.out().contains(macro), macro + " in --help-macros");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void buildfilesShebangsAndBuildThenRun(Mode mode) throws Exception {
        Store s = store(mode);
        Path file = s.wd.resolve("tool");
        Files.writeString(file, "#!/usr/bin/env -S " + strata.launcher + " exec\n# a runnable image\n--from " + s.base
                + "\n--run\necho first > /etc/f\necho second >> /etc/f\n--entrypoint cat /etc/f\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder pb = new ProcessBuilder(strata.command(s.mode, s.data, Map.of(), List.of("exec", file.toString())))
                .directory(s.wd.toFile());
        // Through the shebang itself: env -S splits "strata exec" and appends the file's path.
        List<String> viaShebang = new ArrayList<>(pb.command());
        int launcherAt = viaShebang.indexOf(strata.launcher.toString());
        List<String> shebangCommand = new ArrayList<>(viaShebang.subList(0, launcherAt));
        shebangCommand.add(file.toString());
        Process p = new ProcessBuilder(shebangCommand).directory(s.wd.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertEquals(0, p.waitFor(), err);
        assertEquals(List.of("first", "second"), out.lines().toList());
        Result withArgs = strata(s, "exec", file.toString(), "/etc/f");
        assertEquals(List.of("first", "second", "first", "second"), withArgs.out().lines().toList(),
                "cat /etc/f gets /etc/f as a further argument: " + withArgs.err());
        Path elsewhere = Files.createDirectories(s.wd.resolve("elsewhere"));
        Path echoing = s.wd.resolve("echoing");
        Files.writeString(echoing, "--from " + s.base + "\n--run pwd > /etc/where\n"
                + "--entrypoint sh -c 'cat /etc/where; echo entry \"$@\"' sh\n");
        ProcessBuilder fromElsewhere = new ProcessBuilder(strata.command(s.mode, s.data, Map.of(),
                List.of("exec", echoing.toString(), "passed", "-n"))).directory(elsewhere.toFile());
        Process e = fromElsewhere.start();
        String eOut = new String(e.getInputStream().readAllBytes());
        String eErr = new String(e.getErrorStream().readAllBytes());
        assertEquals(0, e.waitFor(), eErr);
        assertEquals(List.of(s.wd.toString(), "entry passed -n"), eOut.lines().toList(),
                "the build runs in the buildfile's directory and arguments go to the entrypoint, as in plash");
        Path noEntry = s.wd.resolve("no-entrypoint");
        Files.writeString(noEntry, "--from " + s.base + "\n");
        Result failed = strata(s, "exec", noEntry.toString());
        assertEquals(1, failed.exitCode());
        assertTrue(failed.err().contains("has no --entrypoint"), failed.err());
        Result viaEval = strata(s, "build", "--eval-file", "tool");
        assertEquals(0, viaEval.exitCode(), viaEval.err());
        Result b = strata(s, "b", "run", "--from", s.base, "--run", "echo made > /etc/m", "--", "cat", "/etc/m");
        assertEquals("made", b.line(), b.err());
        Result plash = strata(s, "--from", s.base, "--run", "echo plash > /etc/p", "--", "cat", "/etc/p");
        assertEquals("plash", plash.line(), plash.err());
        Result evalString = strata(s, "build", "--from", s.base, "--eval-string", "--run echo es > /etc/es");
        assertEquals("es", strata(s, "run", evalString.line(), "cat", "/etc/es").line());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void plashsRememberingCommands(Mode mode) throws Exception {
        Store s = store(mode);
        Result none = strata(s, "this");
        assertEquals(125, none.exitCode());
        assertEquals("strata: no image built yet in this store: strata build sets it", none.err().strip());
        String built = build(s, "--run", "echo t > /etc/t");
        assertEquals(built, strata(s, "this").line(), "this is the image the last build made");
        assertEquals("t", strata(s, "this", "run", "cat", "/etc/t").line());
        // cache: the first run imports, the same command line later only prints the kept id.
        String tar = strata.rootfsTar.toString();
        Result first = strata(s, "cache", "import-tar", tar);
        assertEquals(0, first.exitCode(), first.err());
        long layers = Installation.layerCount(s.data);
        assertEquals(first.line(), strata(s, "cache", "import-tar", tar).line());
        assertEquals(layers, Installation.layerCount(s.data), "the cached command did not run again");
        assertEquals(1, strata(s, "map").out().lines().filter(l -> l.startsWith("cache:")).count(), strata(s, "map").out());
        Path elsewhere = strata.newWorkDirectory(mode);
        assertEquals(0, strata.strata(s.mode, s.data, elsewhere, Map.of(), null, "cache", "import-tar", tar).exitCode());
        assertEquals(2, strata(s, "map").out().lines().filter(l -> l.startsWith("cache:")).count(), "another directory is another line");
        // recall hands the id one command printed to the next; do caches builds on top.
        Result noRecall = strata(s, "recall", "run", "true");
        assertEquals("strata: nothing to recall yet: start with strata recall pull ... (or import-tar)", noRecall.err().strip());
        assertEquals(first.line(), strata(s, "recall", "import-tar", tar).line());
        Result recalledBuild = strata(s, "recall", "build", "--run", "echo r > /etc/r");
        assertEquals(0, recalledBuild.exitCode(), recalledBuild.err());
        assertEquals("r", strata(s, "recall", "run", "cat", "/etc/r").line());
        Result done = strata(s, "do", "build", "--run", "echo d > /etc/d");
        assertEquals(0, done.exitCode(), done.err());
        assertEquals("r\nd", strata(s, "do", "run", "cat", "/etc/r", "/etc/d").line(), "each do build is on the image recalled");
        assertEquals(done.line(), strata(s, "this").line(), "the build do ran is the last build");
        assertEquals(2, strata(s, "recall").exitCode(), "no command is wrong usage");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void plashsEvalAddLayerCheckAndMkdtemp(Mode mode) throws Exception {
        Store s = store(mode);
        Files.writeString(s.wd.resolve("macros"), "--run mytest\n");
        assertEquals("mytest", strata(s, "eval", "--eval-file", "macros").line(), "plash's eval prints the script");
        Path hashed = Files.writeString(s.wd.resolve("hashed"), "content\n");
        String h1 = strata(s, "eval", "--hash-path", hashed.toString()).line();
        Files.setPosixFilePermissions(hashed, PosixFilePermissions.fromString("rwxrwx---"));
        assertNotEquals(h1, strata(s, "eval", "--hash-path", hashed.toString()).line(), "a mode change changes the key");
        Result tmp = strata(s, "mkdtemp");
        assertEquals(0, tmp.exitCode(), tmp.err());
        Path dir = Path.of(tmp.line());
        assertTrue(dir.startsWith(s.data.resolve("tmp")) && Files.isDirectory(dir), tmp.line());
        Files.writeString(dir.resolve("added"), "on top\n");
        Files.setPosixFilePermissions(dir.resolve("added"), PosixFilePermissions.fromString("rw-r--r--"));
        Result added = strata(s, "add-layer", s.base, dir.toString());
        assertEquals(0, added.exitCode(), added.err());
        assertEquals(s.base, strata(s, "parent", added.line()).line());
        assertEquals("on top", strata(s, "run", added.line(), "cat", "/added").line());
        assertEquals(added.line(), strata(s, "stack", s.base, dir.toString()).line(), "the same tree is the same layer");
        Result base = strata(s, "add-layer", "0", dir.toString());
        assertEquals(0, base.exitCode(), base.err());
        assertEquals(1, strata(s, "parent", base.line()).exitCode(), "0 makes a base layer");
        Result missing = strata(s, "add-layer", s.base, "/nonexistent-dir");
        assertEquals("strata: dir:/nonexistent-dir: no such directory", missing.err().strip());
        assertEquals(2, strata(s, "add-layer", s.base).exitCode());
        // check: the same id while PATH is unchanged, a new one after it changed; the image's config is kept.
        String withEntry = build(s, "--entrypoint", "cat", "/etc/passwd");
        String c1 = strata(s, "check", withEntry, hashed.toString()).line();
        assertEquals(c1, strata(s, "check", withEntry, hashed.toString()).line());
        assertEquals(withEntry, strata(s, "parent", c1).line());
        assertTrue(strata(s, "run", c1).out().startsWith("root:"), "the checked layer keeps the entrypoint");
        Files.setLastModifiedTime(hashed, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        assertNotEquals(c1, strata(s, "check", withEntry, hashed.toString()).line());
        assertEquals("strata: /nonexistent: no such file or directory", strata(s, "check", s.base, "/nonexistent").err().strip());
        // runb keeps a run's changes in CHANGESDIR/data, which add-layer then makes a layer (plash's build did so).
        Path changes = s.wd.resolve("changes");
        Result runb = strata(s, "runb", s.base, changes.toString(), "sh", "-c", "echo kept > /kept");
        assertEquals(0, runb.exitCode(), runb.err());
        assertEquals("kept", strata(s, "runb", s.base, changes.toString(), "cat", "/kept").line(), "a second runb sees the first's changes");
        Result stacked = strata(s, "add-layer", s.base, changes.resolve("data").toString());
        assertEquals(0, stacked.exitCode(), stacked.err());
        assertEquals("kept", strata(s, "run", stacked.line(), "cat", "/kept").line());
        assertEquals(2, strata(s, "runb", s.base, changes.toString()).exitCode(), "no CMD is wrong usage");
        assertTrue(strata(s, "help-macros").out().contains("--defpm NAME LINE..."));
        Path fresh = s.wd.resolve("new-store");
        assertEquals(0, strata.strata(mode, fresh, s.wd, Map.of(), null, "init").exitCode());
        assertTrue(Files.isDirectory(fresh.resolve("layers")) && Files.isDirectory(fresh.resolve("map")));
        assertEquals(0, strata.strata(mode, fresh, s.wd, Map.of(), null, "init").exitCode(), "init twice is fine");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void plashBuildfilesAndFromForms(Mode mode) throws Exception {
        Store s = store(mode);
        assertEquals(0, strata(s, "map", "fav", s.base).exitCode());
        // plash's shebang is `#!/usr/bin/env plash`: strata given a path runs it as strata exec.
        Path file = s.wd.resolve("plashfile");
        Files.writeString(file, String.join("\n", "#!/usr/bin/env strata", "--from map fav", "--# a comment", "--defpm pm", "echo {} > /etc/pm",
                "--pm one", "--write-file /etc/lines", "line1", "--\\ --dashed", "--\\", "", "--entrypoint-script", "cat /etc/lines /etc/pm"));
        Result ran = strata(s, "./plashfile");
        assertEquals(0, ran.exitCode(), ran.err());
        assertEquals(List.of("line1", "--dashed", "", "one"), ran.out().lines().toList());
        Result missing = strata(s, "../no-such-buildfile");
        assertEquals(125, missing.exitCode());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        Result fromId = strata(s, "build", "--from", "id", s.base, "echo bare > /etc/bare", "--polute");
        assertEquals(0, fromId.exitCode(), fromId.err());
        assertEquals("bare", strata(s, "run", fromId.line(), "cat", "/etc/bare").line(), "a word beyond --from's is a shell line");
        assertEquals(1, steps(strata(s, "build", "--from", "id", s.base, "echo bare > /etc/bare", "--polute")), "--polute rebuilds");
        Result noMap = strata(s, "build", "--from-map", "nosuchname");
        assertEquals(125, noMap.exitCode());
        assertEquals("strata: no image 'nosuchname' (strata images lists them)", noMap.err().strip());
        Result prefixed = strata.strata(s.mode, s.data, s.wd, Map.of("APP_ONE", "1", "APP_TWO", "2"), null, "build", "--from", s.base,
                "--env-prefix", "APP_");
        assertEquals(0, prefixed.exitCode(), prefixed.err());
        assertEquals("1 2", strata(s, "run", prefixed.line(), "sh", "-c", "echo $APP_ONE $APP_TWO").line());
        // -A: the name alpine when the store has it (offline), else one pull from the LXC image server.
        assertEquals(0, strata(s, "map", "alpine", s.base).exitCode());
        Result shortcut = strata(s, "build", "-A", "--run", "echo a > /etc/a");
        assertEquals(0, shortcut.exitCode(), shortcut.err());
        assertEquals(s.base, strata(s, "parent", shortcut.line()).line());
        Result unreachable = strata.strata(s.mode, s.data, s.wd, Map.of("STRATA_LXC_SERVER", "http://127.0.0.1:9"), null, "build", "-D");
        assertEquals(125, unreachable.exitCode());
        assertTrue(unreachable.err().contains("pulling lxc:debian:bookworm"), unreachable.err());
        assertEquals(1, unreachable.err().lines().filter(l -> !l.contains("pulling")).count(), unreachable.err());
    }

    /** Every path below a layer's root, relative, sorted. */
    private static List<String> layerFiles(Store s, String id) throws Exception {
        Path root = s.data.resolve("layers").resolve(id).resolve("root");
        try (var walk = Files.walk(root)) {
            return walk.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void layersHoldOnlyTheirStepsChanges(Mode mode) throws Exception {
        Store s = store(mode);
        // busybox has /etc and /run but no /etc/hosts, /etc/resolv.conf or /run/user: the run binds the
        // host's over stubs it makes, and none of them may end up in the layer.
        String nothing = build(s, "--run", "true");
        assertEquals(List.of(), layerFiles(s, nothing));
        String marker = "strata-private-tmp-" + mode + "-" + System.nanoTime();
        String wrote = build(s, "--run", "echo x > /etc/x; mkdir -p /run/mine; echo t > /tmp/" + marker
                + "; test -z \"$(ls /tmp | grep -v -e " + marker + " -e " + s.wd.getFileName() + ")\"; test -d " + s.wd);
        assertEquals(List.of("etc", "etc/x", "run", "run/mine"), layerFiles(s, wrote),
                "a step's /tmp is its own, empty but for the working directory under it, and none of it lands in the layer");
        assertFalse(Files.exists(Path.of("/tmp", marker)), "a step's /tmp is not the host's, as in plash");
        assertFalse(Files.exists(s.data.resolve("layers").resolve(wrote).resolve("tmp")));
        Result seen = strata(s, "run", wrote, "sh", "-c", "cat /etc/x; test -e /etc/hosts && echo hosts-bound");
        assertEquals(List.of("x", "hosts-bound"), seen.out().lines().toList(), seen.err());
        Result created = strata(s, "create", s.base, "true");
        assertEquals(0, created.exitCode(), created.err());
        assertEquals(List.of(), layerFiles(s, created.line()));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void createKeepsTheChanges(Mode mode) throws Exception {
        Store s = store(mode);
        Result created = strata.strata(s.mode, s.data, s.wd, Map.of("CALLER_ONLY", "leaked"), null,
                "create", s.base, "sh", "-c", "echo kept > /etc/created; echo \"${CALLER_ONLY:-clean}\" > /etc/env");
        assertEquals(0, created.exitCode(), created.err());
        assertEquals("clean", strata(s, "run", created.line(), "cat", "/etc/env").line(),
                "create runs in a step's clean environment, as plash's");
        assertEquals("kept", strata(s, "run", created.line(), "cat", "/etc/created").line());
        long before = Installation.layerCount(s.data);
        Result failed = strata(s, "create", s.base, "sh", "-c", "echo no > /etc/no; exit 4");
        assertEquals(4, failed.exitCode());
        assertEquals(before, Installation.layerCount(s.data));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentIdenticalBuildsMakeOneLayer(Mode mode) throws Exception {
        Store s = store(mode);
        List<Process> builds = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path d = strata.newWorkDirectory(mode);
            dirs.add(d);
            builds.add(strata.start(s.mode, s.data, d, Map.of(), "build", "--from", s.base, "--run", "sleep 1; echo once >> /etc/once"));
        }
        List<String> ids = new ArrayList<>();
        int stepsRun = 0;
        for (int i = 0; i < 3; i++) {
            assertTrue(builds.get(i).waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, builds.get(i).exitValue(), Files.readString(dirs.get(i).resolve("err")));
            ids.add(Files.readString(dirs.get(i).resolve("out")).strip());
            stepsRun += (int) Files.readString(dirs.get(i).resolve("err")).lines().filter(l -> l.startsWith("strata: step")).count();
        }
        assertEquals(1, ids.stream().distinct().count(), ids.toString());
        assertEquals(1, stepsRun, "one build ran the step, the others waited and reused it");
        assertEquals(2, Installation.layerCount(s.data));
        assertEquals("once", strata(s, "run", ids.getFirst(), "cat", "/etc/once").line());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void killingABuildMidStepLeavesAConsistentStore(Mode mode) throws Exception {
        Store s = store(mode);
        String step = "touch started; while [ ! -e go ]; do sleep 0.1; done; echo done > /etc/done";
        Process p = strata.start(s.mode, s.data, s.wd, Map.of(), "build", "--from", s.base, "--run", step);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(s.wd.resolve("started")) && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(Files.exists(s.wd.resolve("started")), "the step started");
        ProcessHandle jvm = Installation.jvm(p);
        List<ProcessHandle> container = jvm.descendants().toList();
        assertFalse(container.isEmpty(), "the step's processes run under strata");
        new ProcessBuilder("kill", "-KILL", Long.toString(jvm.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        // The step dies with strata (no process keeps writing into the staging directory).
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (container.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) Thread.sleep(50);
        assertFalse(container.stream().anyMatch(ProcessHandle::isAlive), "the step's processes ended with strata");
        assertEquals(1, Installation.layerCount(s.data), "no half-made layer");
        Files.writeString(s.wd.resolve("go"), "");
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", Installation.TEST_USER + ":", s.wd.resolve("go").toString()));
        String id = build(s, "--run", step);
        assertEquals("done", strata(s, "run", id, "cat", "/etc/done").line());
        assertEquals(2, Installation.layerCount(s.data));
    }
}
