package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.core.store.MergedView.Change;
import runtime.core.store.MergedView.Entry;

/** The merged view against what overlayfs shows for the same layers: whiteouts, opaque dirs, symlinks. */
class MergedViewTest {
    @TempDir Path tmp;
    final boolean root = "root".equals(System.getProperty("user.name"));
    Layer base;
    Layer middle;
    Layer top;

    @BeforeEach
    void layers() throws IOException {
        base = layer("base", null);
        write(base, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        write(base, "etc/hosts", "localhost\n");
        write(base, "usr/bin/tool", "v1");
        write(base, "opt/old/a", "a");
        write(base, "opt/old/b", "b");
        write(base, "var/log/x", "x");
        Files.createSymbolicLink(base.root().resolve("bin"), Path.of("usr/bin"));
        Files.createSymbolicLink(base.root().resolve("escape"), Path.of("../../../../../.."));
        Files.createSymbolicLink(base.root().resolve("etc/abs"), Path.of("/etc/hosts"));

        middle = layer("middle", base);
        write(middle, "usr/bin/tool", "v2!");
        write(middle, "usr/bin/new", "n");
        Files.createDirectories(middle.root().resolve("etc"));
        LayerFormat.whiteout(middle.root().resolve("etc/hosts"));

        top = layer("top", middle);
        write(top, "opt/old/c", "c");
        opaque(top.root().resolve("opt/old"));
        write(top, "var/log", "now a file");
    }

    @Test
    void upperFilesWinAndDirectoriesMerge() throws IOException {
        MergedView v = view();
        Entry tool = v.get("/", "/usr/bin/tool", true);
        assertEquals(middle, tool.layer());
        assertEquals("v2!", read(v, "/usr/bin/tool"));
        assertEquals(List.of("new", "tool"), names(v, "/usr/bin"));
        assertEquals(List.of("abs", "passwd"), names(v, "/etc"));
        assertEquals(List.of(middle, base), v.get("/", "/usr/bin", true).layers());
    }

    @Test
    void whiteoutsHideLowerFiles() throws IOException {
        MergedView v = view();
        assertTrue(v.find("/", "/etc/hosts", false).isEmpty());
        assertTrue(new MergedView(List.of(base), root).find("/", "/etc/hosts", false).isPresent());
        assertTrue(v.find("/", "/etc/abs", true).isEmpty(), "a link to a deleted file dangles");
    }

    @Test
    void opaqueDirectoriesAndFilesHideLowerDirectories() throws IOException {
        MergedView v = view();
        assertEquals(List.of("c"), names(v, "/opt/old"));
        Entry log = v.get("/", "/var/log", true);
        assertEquals(MergedView.Type.FILE, log.type());
        assertThrows(IOException.class, () -> v.find("/", "/var/log/x", true), "a file is not a directory");
    }

    @Test
    void symlinksResolveInsideTheImage() throws IOException {
        MergedView v = view();
        assertEquals(MergedView.Type.SYMLINK, v.get("/", "/bin", false).type());
        assertEquals("/usr/bin", v.get("/", "/bin", true).path());
        assertEquals("v2!", read(v, "/bin/tool"));
        assertEquals("n", read(v, "bin/new"), "relative to the working directory /");
        // ../../.. from the image's root stays at the image's root, never the host's.
        Entry escaped = v.get("/", "/escape", true);
        assertEquals("/", escaped.path());
        assertEquals(names(v, "/"), v.list(escaped).stream().map(Entry::name).toList());
        assertEquals("root:x:0:0::/root:/bin/sh\n", read(v, "/escape/etc/passwd"));
        // ".." after a followed link is the target's parent, as in the kernel: /bin/.. is /usr.
        assertEquals("/usr/bin/tool", v.get("/usr/bin", "../../bin/../bin/./tool", true).path());
        assertTrue(v.find("/", "/bin/../usr/bin", true).isEmpty(), "/usr/usr/bin does not exist");
    }

    @Test
    void symlinkLoopsAreAnErrorNotAHang() throws IOException {
        Files.createSymbolicLink(top.root().resolve("loop"), Path.of("/loop"));
        MergedView v = view();
        IOException e = assertThrows(IOException.class, () -> v.find("/", "/loop/x", true));
        assertTrue(e.getMessage().contains("too many levels"), e.getMessage());
    }

    @Test
    void aSymlinkInALayerDirectoryIsNeverEnteredAsADirectory() throws IOException {
        // A lower directory replaced by a host-absolute symlink in an upper layer: the view must not list the host's /etc.
        Files.createSymbolicLink(top.root().resolve("usr"), Path.of("/etc"));
        MergedView v = view();
        Entry usr = v.get("/", "/usr", false);
        assertEquals(MergedView.Type.SYMLINK, usr.type());
        assertEquals(List.of("abs", "passwd"), names(v, "/usr"), "followed inside the image: the image's /etc");
    }

    @Test
    void historyShowsEachLayersPart() throws IOException {
        MergedView v = view();
        assertEquals(List.of("added", "changed"), v.history("/usr/bin/tool").stream().map(MergedView.LayerState::state).toList());
        assertEquals(List.of("added", "deleted"), v.history("/etc/hosts").stream().map(MergedView.LayerState::state).toList());
        List<MergedView.LayerState> old = v.history("/opt/old");
        assertEquals(2, old.size());
        assertTrue(old.getLast().state().contains("opaque"), old.toString());
    }

    @Test
    void diffListsAddedChangedAndDeleted() throws IOException {
        List<Change> changes = MergedView.diff(new MergedView(List.of(base), root), new MergedView(List.of(middle, base), root));
        assertEquals(List.of(new Change('D', "/etc/hosts"), new Change('A', "/usr/bin/new"), new Change('C', "/usr/bin/tool")),
                changes);
        List<Change> toTop = MergedView.diff(view(), view());
        assertEquals(List.of(), toTop);
        List<Change> opaque = MergedView.diff(new MergedView(List.of(middle, base), root), view());
        assertTrue(opaque.contains(new Change('D', "/opt/old/a")), opaque.toString());
        assertTrue(opaque.contains(new Change('A', "/opt/old/c")), opaque.toString());
        assertTrue(opaque.contains(new Change('C', "/var/log")), opaque.toString());
        assertTrue(opaque.contains(new Change('D', "/var/log/x")), opaque.toString());
    }

    @Test
    void diskUsageCountsMergedFilesOnce() throws IOException {
        MergedView v = view();
        assertEquals(3 + 1, v.diskUsage(v.get("/", "/usr", true)));
        assertFalse(v.find("/", "/nope", true).isPresent());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> v.get("/", "/nope", true));
    }

    private MergedView view() {
        return new MergedView(List.of(top, middle, base), root);
    }

    private static List<String> names(MergedView v, String dir) throws IOException {
        List<String> names = new ArrayList<>();
        for (Entry e : v.list(v.get("/", dir, true))) names.add(e.name());
        return names;
    }

    private static String read(MergedView v, String path) throws IOException {
        try (var in = v.open(v.get("/", path, true))) {
            return new String(in.readAllBytes());
        }
    }

    private Layer layer(String name, Layer parent) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir.resolve("root"));
        return new Layer(name, Optional.ofNullable(parent).map(Layer::id), dir);
    }

    private static void write(Layer l, String path, String content) throws IOException {
        Path p = l.root().resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private void opaque(Path dir) {
        try {
            LayerFormat.markOpaque(dir, root);
        } catch (IOException e) {
            assumeTrue(false, "this filesystem cannot hold the opaque attribute: " + e.getMessage());
        }
    }
}
