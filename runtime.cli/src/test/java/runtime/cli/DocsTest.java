package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.commons.cli.Option;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The man pages and the completion files, generated from the commands' definitions as the build does. */
class DocsTest {
    @TempDir
    Path dir;

    private static String help(String command) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(TestContexts.of(List.of(command, "--help"), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Installation.Result man(Path page) throws Exception {
        return Installation.run(List.of("env", "MANWIDTH=80", "LANG=C.UTF-8", "man", "--warnings", "-l", page.toString()),
                page.getParent(), null, 60);
    }

    @Test
    void everyPublicCommandHasAPageWithEveryOptionItsHelpShowsToo() throws Exception {
        Docs.write(dir);
        Path man = dir.resolve("man/man1");
        var commands = Docs.publicCommands();
        assertTrue(commands.containsKey("run") && commands.containsKey("stop") && !commands.containsKey("__aot-train"), commands.keySet().toString());
        for (Command c : commands.values()) {
            Path page = man.resolve("strata-" + c.name() + ".1");
            assertTrue(Files.isRegularFile(page), page.toString());
            Installation.Result rendered = man(page);
            assertEquals(0, rendered.exitCode(), page + ": " + rendered.err());
            assertEquals("", rendered.err(), page + " renders with warnings");
            String text = rendered.out().replace("\u2010", "-").replaceAll("-\\s*\\n\\s*", "-");
            String help = help(c.name());
            for (Option o : c.options().getOptions()) {
                String name = o.getLongOpt() != null ? "--" + o.getLongOpt() : "-" + o.getOpt();
                assertTrue(text.contains(name), page + " lacks " + name);
                assertTrue(help.contains(name), "strata " + c.name() + " --help lacks " + name);
            }
            assertFalse(c.examples().isEmpty(), c.name() + " has no example");
            for (Command.Item e : c.examples()) assertTrue(help.contains(e.term()), c.name() + " --help lacks its example " + e.term());
            assertTrue(text.contains("EXIT STATUS") && text.contains("ENVIRONMENT") && text.contains("EXAMPLES") && text.contains("125"), page.toString());
        }
        Installation.Result main = man(man.resolve("strata.1"));
        assertEquals("", main.err());
        for (String name : commands.keySet()) assertTrue(main.out().contains("strata-" + name), "strata(1) lacks " + name);
    }

    @Test
    void containerCommandsHaveOnlyTheirOwnOptions() {
        assertEquals(List.of("timeout"), longOptions("stop"));
        assertEquals(List.of("signal"), longOptions("kill"));
        assertEquals(List.of("follow"), longOptions("logs"));
        assertEquals(List.of("force"), longOptions("delete"));
        assertEquals(List.of(), longOptions("wait"));
        assertEquals(List.of(), longOptions("inspect"));
        assertFalse(help("stop").contains("--signal"));
    }

    private static List<String> longOptions(String command) {
        return Docs.publicCommands().get(command).options().getOptions().stream().map(Option::getLongOpt).toList();
    }

    @Test
    void zshCompletionParses() throws Exception {
        Docs.write(dir);
        Path zsh = dir.resolve("zsh/site-functions/_strata");
        assertTrue(Files.readString(zsh).startsWith("#compdef strata\n"));
        Installation.Result r = Installation.run(List.of("zsh", "-n", zsh.toString()), dir, null, 30);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.readString(zsh).contains("--follow"), "zsh completion lacks logs --follow");
    }
}
