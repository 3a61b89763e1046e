package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** The store's management commands (map, id, parent, nodepath, images, rm, gc, purge, clean, sudo), as root and rootless. */
class StoreCommandsIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    private static void assertOneLineError(Result r, String start) {
        assertNotEquals(0, r.exitCode());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("strata: " + start), r.err());
    }

    private static void chownForMode(Mode mode, Path... paths) throws Exception {
        if (mode != Mode.ROOTLESS || !strata.runningAsRoot) return;
        for (Path p : paths) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", p.toString()));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void extraArgumentsAreUsageErrors(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        List<List<String>> calls = List.of(List.of("data", "x"), List.of("version", "x"), List.of("images", "x"),
                List.of("drivers", "x"), List.of("id", id, "x"), List.of("parent", id, "x"), List.of("nodepath", id, "x"),
                List.of("import-tar", strata.rootfsTar.toString(), "x"), List.of("pull", "tar:" + strata.rootfsTar, "x"));
        for (List<String> call : calls) {
            Result r = strata.strata(mode, data, call.toArray(String[]::new));
            assertEquals(2, r.exitCode(), call + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains("unexpected argument 'x'"), call + ": " + r.err());
            assertEquals("", r.out(), call.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void namesResolveLikeIdsAndIdParentNodepathPrintTheLayer(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "busybox", id.substring(0, 8)).exitCode());
        assertEquals(id, strata.strata(mode, data, "map", "busybox").line());
        assertEquals("busybox " + id.substring(0, 12), strata.strata(mode, data, "map").line());
        assertEquals(id, strata.strata(mode, data, "id", "busybox").line());
        Result run = strata.strata(mode, data, "run", "busybox", "echo", "by-name");
        assertEquals("by-name", run.line(), run.err());

        Result parent = strata.strata(mode, data, "parent", "busybox");
        assertEquals(1, parent.exitCode());
        assertEquals("strata: " + id.substring(0, 12) + " is a base layer: it has no parent\n", parent.err());
        Path nodepath = Path.of(strata.strata(mode, data, "nodepath", "busybox").line());
        assertEquals(data.resolve("layers").resolve(id).resolve("root"), nodepath);
        assertTrue(Files.isRegularFile(nodepath.resolve("bin/busybox")));

        assertOneLineError(strata.strata(mode, data, "map", "bad name", id), "invalid image name 'bad name'");
        assertOneLineError(strata.strata(mode, data, "map", "x", "nosuchimage"), "no image 'nosuchimage'");
        assertEquals(0, strata.strata(mode, data, "map", "busybox", "").exitCode());
        Result gone = strata.strata(mode, data, "map", "busybox");
        assertEquals(0, gone.exitCode(), "an unknown name prints nothing and succeeds, as plash's map");
        assertEquals("", gone.out() + gone.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void imagesShowsATreeAndRmAndGcRemoveWholeBranches(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path upper = Files.createDirectories(wd.resolve("upper/etc"));
        Files.writeString(upper.resolve("step"), "1");
        String a = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN step a");
        String a1 = TestLayers.commitChild(mode, data, a, wd.resolve("upper"), "RUN step a1");
        String b = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN step b");
        assertEquals(0, strata.strata(mode, data, "map", "top", a1).exitCode());

        Result images = strata.strata(mode, data, "ls");
        assertEquals(0, images.exitCode(), images.err());
        List<String> lines = images.out().lines().toList();
        assertEquals(5, lines.size(), images.out());
        assertTrue(lines.get(1).matches(base.substring(0, 12) + " +1\\.\\d MiB  import-tar sha256:[0-9a-f]{12}…"), lines.get(1));
        assertTrue(lines.get(2).matches("├─ " + a.substring(0, 12) + " +1 B  RUN step a"), lines.get(2));
        assertTrue(lines.get(3).matches("│  └─ " + a1.substring(0, 12) + " +1 B  RUN step a1  \\[top\\]"), lines.get(3));
        assertTrue(lines.get(4).matches("└─ " + b.substring(0, 12) + " +1 B  RUN step b"), lines.get(4));

        Result dry = strata.strata(mode, data, "gc", "--dry-run");
        assertEquals(List.of(b.substring(0, 12)), dry.out().lines().toList(), dry.err());
        assertTrue(Files.isDirectory(data.resolve("layers").resolve(b)), "a dry run removes nothing");
        Result gc = strata.strata(mode, data, "gc");
        assertEquals(List.of(b.substring(0, 12)), gc.out().lines().toList(), gc.err());
        assertFalse(Files.exists(data.resolve("layers").resolve(b)));

        Result rm = strata.strata(mode, data, "rm", a.substring(0, 10));
        assertEquals(List.of(a1.substring(0, 12), a.substring(0, 12)), rm.out().lines().toList(), rm.err());
        try (var left = Files.list(data.resolve("layers"))) {
            assertEquals(List.of(base), left.map(p -> p.getFileName().toString()).toList());
        }
        assertFalse(Files.exists(data.resolve("map/top")), "the name of a removed layer goes with it");
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList(), "rm leaves nothing in tmp");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shrinkRemovesTheOlderHalfOldestLeavesFirst(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Path upper = Files.createDirectories(strata.newWorkDirectory(mode).resolve("upper"));
        String a = TestLayers.commitChild(mode, data, base, upper, "RUN a");
        String a1 = TestLayers.commitChild(mode, data, a, upper, "RUN a1");
        String b = TestLayers.commitChild(mode, data, base, upper, "RUN b");
        assertEquals(0, strata.strata(mode, data, "map", "named", a1).exitCode());
        // Four layers: two go. a1 is the oldest leaf (named or not, as in plash), then a has become one.
        Result dry = strata.strata(mode, data, "shrink", "--dry-run");
        assertEquals(List.of(a1.substring(0, 12), a.substring(0, 12)), dry.out().lines().toList(), dry.err());
        assertTrue(Files.isDirectory(data.resolve("layers").resolve(a1)), "a dry run removes nothing");
        Result shrink = strata.strata(mode, data, "shrink");
        assertEquals(dry.out(), shrink.out(), shrink.err());
        try (var left = Files.list(data.resolve("layers"))) {
            assertEquals(java.util.Set.of(base, b), left.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        assertFalse(Files.exists(data.resolve("map/named")), "the name of a removed layer goes with it");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sudoIsRootOverSubordinateIdsAndRmDeletesTheirFiles(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Result sudo = strata.strata(mode, data, wd, Map.of(), null, "sudo", "sh", "-c", "id -u; pwd; exit 7");
        assertEquals(7, sudo.exitCode(), sudo.err());
        assertEquals(List.of("0", wd.toString()), sudo.out().lines().toList());

        // As plash's sudo, CMD has a mount namespace of its own, as root too: its mounts never reach the host.
        Path mountPoint = Files.createDirectories(wd.resolve("mnt"));
        Result mounted = strata.strata(mode, data, "sudo", "sh", "-c",
                "mount -t tmpfs strata-sudo-test " + mountPoint + " && grep -c strata-sudo-test /proc/self/mountinfo");
        assertEquals("1", mounted.line(), mounted.err());
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains("strata-sudo-test"), "the host sees no mount");

        // Files of a subordinate id in a layer (as a build step running chown would leave them), in a
        // directory the caller may not even write: only root of the user namespace can delete them.
        Path owned = data.resolve("layers").resolve(id).resolve("root/owned");
        Result chown = strata.strata(mode, data, "sudo", "sh", "-c",
                "mkdir -p " + owned + "/sub && touch " + owned + "/sub/f && chown -R 1000:1000 " + owned + " && chmod 0555 " + owned);
        assertEquals(0, chown.exitCode(), chown.err());
        int uid = (Integer) Files.getAttribute(owned.resolve("sub/f"), "unix:uid", LinkOption.NOFOLLOW_LINKS);
        assertEquals(mode == Mode.ROOT ? 1000 : subordinateStart() + 999, uid, "subordinate id 1000 on the host");

        Result rm = strata.strata(mode, data, "rm", id);
        assertEquals(0, rm.exitCode(), rm.err());
        assertFalse(Files.exists(data.resolve("layers").resolve(id)));
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList());
        }
    }

    /** Where the test user's /etc/subuid range starts (its id 1 inside). */
    private static long subordinateStart() throws Exception {
        return Files.readAllLines(Path.of("/etc/subuid")).stream().map(l -> l.split(":"))
                .filter(f -> f.length == 3 && f[0].equals(Installation.TEST_USER)).mapToLong(f -> Long.parseLong(f[1]))
                .findFirst().orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void cleanRemovesLeftoversButNotWorkInProgress(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Path tmp = Files.createDirectories(data.resolve("tmp"));
        Path abandoned = Files.createDirectories(tmp.resolve("layer-abandoned/root/etc"));
        Files.writeString(abandoned.resolve("f"), "x");
        Path busy = Files.createDirectories(tmp.resolve("layer-busy/root"));
        Path busyLock = Files.createFile(tmp.resolve("layer-busy.lock"));
        chownForMode(mode, tmp);
        // This JVM plays the strata process still filling layer-busy: it holds the lock.
        try (FileChannel channel = FileChannel.open(busyLock, StandardOpenOption.WRITE); var lock = channel.lock()) {
            Result clean = strata.strata(mode, data, "clean");
            assertEquals(0, clean.exitCode(), clean.err());
            assertEquals("removed " + tmp.resolve("layer-abandoned"), clean.line());
        }
        assertFalse(Files.exists(tmp.resolve("layer-abandoned")));
        assertTrue(Files.isDirectory(busy), "a directory whose lock is held is in use");
        // Its owner died without cleaning up: now it is a leftover, lock file and all.
        assertEquals(0, strata.strata(mode, data, "clean").exitCode());
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void purgeNeedsYesAndEmptiesTheStore(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "busybox", id).exitCode());
        // As plash's purge, the answer comes from standard input: none (its end) and anything but y or yes remove nothing.
        Result unanswered = strata.strata(mode, data, "purge");
        assertEquals(1, unanswered.exitCode(), unanswered.err());
        assertTrue(unanswered.err().contains("nothing removed (no answer on standard input; --yes confirms)"), unanswered.err());
        Result piped = strata.strata(mode, data, data, Map.of(), "jap\n", "purge");
        assertEquals(1, piped.exitCode(), piped.err());
        assertTrue(Files.isDirectory(data.resolve("layers").resolve(id)));
        // At a terminal purge asks, as plash's does: script(1) gives it one, the answer comes through it.
        List<String> atTerminal = strata.as(mode, data, Map.of(), List.of("script", "-qec", strata.launcher + " purge", "/dev/null"));
        Result declined = Installation.run(atTerminal, data, "n\n", 300);
        assertEquals(1, declined.exitCode(), declined.out() + declined.err());
        assertTrue(declined.out().contains("Continue? [y/N]"), declined.out());
        assertTrue(Files.isDirectory(data.resolve("layers").resolve(id)), "a declined purge removes nothing");
        Result accepted = Installation.run(atTerminal, data, "y\n", 300);
        assertEquals(0, accepted.exitCode(), accepted.out() + accepted.err());
        assertFalse(Files.exists(data.resolve("layers")));
        strata.importBusybox(mode, data);
        Result pipedYes = strata.strata(mode, data, data, Map.of(), "y\n", "purge");
        assertEquals(0, pipedYes.exitCode(), pipedYes.err());
        assertFalse(Files.exists(data.resolve("layers")), "echo y | strata purge purges, as plash's");
        strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "busybox", id).exitCode());
        Result purge = strata.strata(mode, data, "purge", "--yes");
        assertEquals(0, purge.exitCode(), purge.err());
        assertFalse(Files.exists(data.resolve("layers")));
        assertFalse(Files.exists(data.resolve("map")));
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList());
        }
    }

    /** podman's tag, rmi and history (issue 20 item 2): names added and removed one by one, layers listed newest first. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void tagRmiAndHistoryAsPodmanUsersExpect(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "tag", id, "app:1", "localhost:5000/app:1").exitCode());
        Result run = strata.strata(mode, data, "run", "localhost:5000/app:1", "echo", "by-tag");
        assertEquals("by-tag", run.line(), run.err());
        Result badTag = strata.strata(mode, data, "tag", id, "ok", "bad name!");
        assertEquals(2, badTag.exitCode(), badTag.err());
        assertEquals("", strata.strata(mode, data, "map", "ok").out(), "a refused tag names nothing");
        Result child = strata.strata(mode, data, "create", "app:1", "touch", "/made");
        assertEquals(0, child.exitCode(), child.err());
        String childId = child.line();

        Result history = strata.strata(mode, data, "history", childId);
        List<String> lines = history.out().lines().toList();
        assertEquals(3, lines.size(), history.out() + history.err());
        assertTrue(lines.get(0).startsWith("ID ") && lines.get(0).contains("CREATED BY"), lines.get(0));
        assertTrue(lines.get(1).startsWith(childId.substring(0, 12)) && lines.get(1).contains("touch /made") && lines.get(1).contains(" UTC "),
                lines.get(1));
        assertTrue(lines.get(2).startsWith(id.substring(0, 12)) && lines.get(2).contains("import-tar"), lines.get(2));
        assertEquals(List.of(childId.substring(0, 12), id.substring(0, 12)), strata.strata(mode, data, "history", "-q", childId).out().lines().toList());

        Result untag = strata.strata(mode, data, "rmi", "app:1");
        assertEquals("Untagged: app:1\n", untag.out(), untag.err());
        Result refused = strata.strata(mode, data, "rmi", "localhost:5000/app:1", "nosuch");
        assertEquals(1, refused.exitCode());
        assertEquals(List.of("strata rmi: localhost:5000/app:1: 1 layer is built on it (strata images shows them; --force removes them too)",
                "strata rmi: nosuch: no image 'nosuch' (strata images lists them)"), refused.err().lines().toList());
        assertEquals(id, strata.strata(mode, data, "id", "localhost:5000/app:1").line(), "a refused rmi keeps the image and its name");
        Result forced = strata.strata(mode, data, "rmi", "-f", "localhost:5000/app:1");
        assertEquals(0, forced.exitCode(), forced.err());
        assertEquals(List.of("Untagged: localhost:5000/app:1", "Deleted: " + childId, "Deleted: " + id), forced.out().lines().toList());
        assertEquals("", strata.strata(mode, data, "images", "-q").out());
    }
}
