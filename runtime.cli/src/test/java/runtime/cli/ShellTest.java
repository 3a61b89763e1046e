package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.core.store.ImageStore;
import runtime.core.store.LayerFormat;

/** The shell's commands and completion on a small store, without a terminal. */
class ShellTest {
    @TempDir Path tmp;
    ImageStore store;
    String base;
    String child;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    Shell shell;
    ShellCompleter completer;

    @BeforeEach
    void store() throws Exception {
        store = new ImageStore(tmp.resolve("data"), "root".equals(System.getProperty("user.name")));
        base = layer(Optional.empty(), "base", root -> {
            Files.createDirectories(root.resolve("etc"));
            Files.writeString(root.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
            Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n");
            Files.createDirectories(root.resolve("usr/bin"));
            Files.writeString(root.resolve("usr/bin/busybox"), "#!");
            Files.createSymbolicLink(root.resolve("bin"), Path.of("usr/bin"));
        });
        child = layer(Optional.of(base), "child", root -> {
            Files.createDirectories(root.resolve("etc"));
            Files.writeString(root.resolve("etc/motd"), "hello\n");
            LayerFormat.whiteout(root.resolve("etc/hosts"));
        });
        store.map("app", Optional.of(child));
        Map<String, String> env = Map.of("STRATA_DATA", store.data().toString());
        shell = new Shell(store, TestContexts.of(List.of(), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)), Shell.Screen.PLAIN);
        completer = new ShellCompleter(shell);
    }

    interface Fill {
        void into(Path root) throws Exception;
    }

    private String layer(Optional<String> parent, String instruction, Fill fill) throws Exception {
        Path staging = store.newStaging();
        try {
            Files.createDirectory(staging.resolve("root"));
            fill.into(staging.resolve("root"));
            return store.commit(staging, parent, instruction).id();
        } finally {
            store.discard(staging);
        }
    }

    private String run(String line, int expectedCode) {
        out.reset();
        err.reset();
        assertEquals(expectedCode, shell.execute(line), () -> line + ": " + err);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void exploresTheMergedFilesystem() {
        run("use app", 0);
        assertEquals("strata app:/> ", shell.prompt());
        assertEquals("bin\netc\nusr\n", run("ls", 0));
        assertEquals("motd\npasswd\n", run("ls /etc", 0), "the whiteout hides hosts");
        run("cd /bin", 0);
        assertEquals("/usr/bin", shell.cwd(), "cd follows the link inside the image");
        assertEquals("hello\n", run("cat ../../etc/motd", 0));
        assertEquals("./busybox\n", run("find . -type f", 0));
        assertTrue(run("layer /etc/hosts", 1).contains("deleted"), out::toString);
        assertEquals("A /etc/motd\nD /etc/hosts\n".lines().sorted().toList(), run("diff", 0).lines().sorted().toList());
        assertEquals(List.of("A /etc/motd", "D /etc/hosts").stream().sorted().toList(),
                run("diff " + base.substring(0, 8) + " app", 0).lines().sorted().toList());
        String inspect = run("inspect", 0);
        assertTrue(inspect.contains("Id:          " + child) && inspect.contains("Names:       app"), inspect);
        assertEquals(3, run("history", 0).lines().count(), "a header and two layers");
    }

    @Test
    void errorsAreOneLineAndTheShellGoesOn() {
        run("cat /nope", 1);
        assertEquals("strata: no image in use: use IMAGE first (images lists them)\n", err.toString());
        run("use nope", 1);
        assertEquals("strata: no image 'nope' (strata images lists them)\n", err.toString());
        run("use app", 0);
        run("cat /nope", 1);
        assertEquals("strata: /nope: no such file or directory\n", err.toString());
        run("cd /etc/motd", 1);
        assertEquals("strata: /etc/motd: not a directory\n", err.toString());
        run("frobnicate", 2);
        assertEquals("strata: unknown command 'frobnicate' (help lists them)\n", err.toString());
        run("cat 'open", 2);
        assertEquals("strata: unterminated ' quote\n", err.toString());
        run("ls -z", 2);
        assertEquals("strata: ls: unknown option -z (usage: ls [-l] [PATH...])\n", err.toString());
        run("", 0);
        assertEquals("hello\n", run("cat /etc/motd", 0), "still working");
    }

    @Test
    void strataCommandsRunAsAfterStrata() {
        String id = run("id app", 0);
        assertEquals(child + "\n", id);
        run("shell", 2);
        assertEquals("strata: already in the shell\n", err.toString());
        assertEquals(3, assertThrows(Shell.Exit.class, () -> shell.execute("exit 3")).code);
    }

    @Test
    void aScriptStopsAtItsFirstFailure() throws Exception {
        String script = "use app\ncat /etc/motd\ncat /missing\ncat /etc/passwd\n";
        assertEquals(1, shell.script(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8))));
        assertEquals("hello\n", out.toString(), "nothing after the failing line ran");
        assertEquals("strata: /missing: no such file or directory\n", err.toString());
        out.reset();
        assertEquals(0, shell.script(new ByteArrayInputStream("# comment\n\nls /\n".getBytes(StandardCharsets.UTF_8))));
        assertEquals(4, shell.script(new ByteArrayInputStream("exit 4\nls\n".getBytes(StandardCharsets.UTF_8))));
    }

    private List<String> complete(String line) {
        List<String> words = ShellWords.split(line);
        boolean newWord = line.isEmpty() || line.endsWith(" ");
        int index = newWord ? words.size() : words.size() - 1;
        String prefix = newWord ? "" : words.getLast();
        List<String> all = new java.util.ArrayList<>(words);
        if (newWord) all.add("");
        return completer.candidates(all, index, prefix).stream().map(ShellCompleter.Choice::value).toList();
    }

    @Test
    void completesCommandsAndOptions() {
        assertEquals(List.of("use"), complete("us"));
        assertTrue(complete("i").containsAll(List.of("images", "inspect", "id", "import-tar")), complete("i").toString());
        assertTrue(complete("").contains("run") && complete("").contains("cd") && !complete("").contains("__aot-train"));
        assertEquals(List.of("-l"), complete("ls -"));
        assertTrue(complete("run --n").contains("--net"), complete("run --n").toString());
        assertTrue(complete("build --a").contains("--apk"), complete("build --a").toString());
    }

    @Test
    void completesImagesWhereAnImageGoes() {
        assertEquals(List.of(child.substring(0, 12)), complete("use " + child.substring(0, 3)));
        assertEquals(List.of("app"), complete("use a"));
        assertTrue(complete("run ").containsAll(List.of("app", base.substring(0, 12), child.substring(0, 12))), complete("run ").toString());
        assertEquals(List.of("app"), complete("build --from a"));
        assertEquals(List.of(), complete("run app "), "the command in the container is no image");
        assertEquals(List.of("app"), complete("strata id a"), "after 'strata', as the command named");
        assertEquals(List.of("app"), complete("map "), "map's first argument is a name");
        assertTrue(complete("map app ").contains(child.substring(0, 12)), "and its second an image");
    }

    @Test
    void completesPathsInTheCurrentImage() {
        assertEquals(List.of(), complete("cat /e"), "no image in use, no paths");
        run("use app", 0);
        assertEquals(List.of("/etc/"), complete("cat /e"));
        assertEquals(List.of("/etc/motd", "/etc/passwd"), complete("cat /etc/"));
        assertEquals(List.of("bin/"), complete("ls bi"), "a link to a directory completes as one");
        run("cd /etc", 0);
        assertEquals(List.of("motd"), complete("cat m"));
        List<ShellCompleter.Choice> dirs = completer.candidates(List.of("cd", "/u"), 1, "/u");
        assertEquals(1, dirs.size());
        assertFalse(dirs.getFirst().complete(), "a directory keeps the word open for the next Tab");
    }
}
