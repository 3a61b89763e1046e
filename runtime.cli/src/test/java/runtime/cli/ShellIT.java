package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * {@code strata shell} end to end: in a real pseudo-terminal (a tmux pane, driven with send-keys and
 * read with capture-pane, so what is checked is what a person would see), and with a script on stdin.
 */
class ShellIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void interactiveInATerminal(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(new ProcessBuilder("sh", "-c", "command -v tmux").start().waitFor() == 0, "needs tmux (scripts/test-setup installs it)");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "bb", id).exitCode());
        String shortId = id.substring(0, 12);
        try (Tmux tmux = new Tmux(mode, data)) {
            // No arguments on a terminal: the shell.
            tmux.start();
            tmux.await("the prompt", s -> s.contains("strata> "));
            tmux.keys("use " + id.substring(0, 5), "Tab");
            tmux.await("the image id completed", s -> s.contains("strata> use " + shortId));
            tmux.keys("Enter");
            String prompt = "strata " + shortId + ":/> ";
            tmux.await("the image in the prompt", s -> s.contains(prompt));
            tmux.keys("ls /etc", "Enter");
            tmux.await("ls output", s -> s.lines().anyMatch(l -> l.matches("group\\s+passwd\\s*")));
            tmux.keys("cat /etc/nope", "Enter");
            tmux.await("one error line", s -> s.contains("\nstrata: /etc/nope: no such file or directory\n" + prompt));
            tmux.keys("cd /et", "Tab");
            tmux.await("a path completed", s -> s.contains(prompt + "cd /etc/"));
            tmux.keys("Enter");
            tmux.await("cd done", s -> s.endsWith("strata " + shortId + ":/etc> "));
            tmux.keys("cat passwd", "Enter");
            tmux.await("the shell alive after the error", s -> s.contains("nobody:x:65534") && s.endsWith("strata " + shortId + ":/etc> "));
            // Ctrl-C ends the command in the foreground, not the shell.
            tmux.keys("run bb sh -c 'echo started; sleep 50'", "Enter");
            tmux.await("the container running", s -> s.lines().anyMatch(l -> l.equals("started")));
            long cancelled = System.nanoTime();
            tmux.keys("C-c");
            tmux.await("the prompt back after Ctrl-C", s -> s.stripTrailing().endsWith("strata " + shortId + ":/etc>"));
            assertTrue(System.nanoTime() - cancelled < 20_000_000_000L, "Ctrl-C did not wait for sleep 50");
            Thread.sleep(500); // a person's reaction time: keys typed while the prompt is being drawn are not this test's subject
            tmux.keys("pwd", "Enter");
            tmux.await("the shell still answering", s -> s.contains("pwd\n/etc\n"));
            tmux.keys("C-d");
            tmux.await("the shell gone with its last status", s -> s.contains("EXITED:0"));

            // The history outlives the session.
            tmux.start("shell");
            tmux.await("the prompt", s -> s.stripTrailing().endsWith("strata>"));
            tmux.keys("Up");
            tmux.await("the last line of the session before", s -> s.stripTrailing().endsWith("strata> pwd"));
            tmux.keys("C-u", "exit 7", "Enter");
            tmux.await("exit with a code", s -> s.contains("EXITED:7"));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pipesRedirectionPagerAndFileCommandsInATerminal(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(new ProcessBuilder("sh", "-c", "command -v tmux && command -v less").start().waitFor() == 0,
                "needs tmux and less (scripts/test-setup installs them)");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "bb", id).exitCode());
        Path wd = strata.newWorkDirectory(mode);
        String prompt = "strata bb:/> ";
        try (Tmux tmux = new Tmux(mode, data)) {
            tmux.startUsing("bb");

            // | hands the output to a host command.
            tmux.keys("cat /etc/group | tr a-z A-Z", "Enter");
            tmux.await("the host command's output", s -> s.contains("\nROOT:X:0:\nNOGROUP:X:65534:\n" + prompt));
            tmux.keys("cat /etc/passwd | grep nobody | cut -d: -f1,3", "Enter");
            tmux.await("a host pipeline", s -> s.contains("\nnobody:65534\n" + prompt));

            // > and >> write host files.
            tmux.keys("cat /etc/passwd > " + wd.resolve("passwd.txt"), "Enter");
            tmux.keys("cat /etc/group >> " + wd.resolve("passwd.txt"), "Enter");
            tmux.keys("help > " + wd.resolve("help.txt"), "Enter");
            tmux.await("three prompts", s -> s.endsWith("help.txt\n" + prompt));
            assertEquals("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nroot:x:0:\nnogroup:x:65534:\n",
                    Files.readString(wd.resolve("passwd.txt")));
            // Help is wrapped at the terminal's width (100), not cut.
            List<String> help = Files.readAllLines(wd.resolve("help.txt"));
            assertTrue(help.stream().allMatch(l -> l.length() <= 100 && !l.endsWith("…")), String.join("\n", help));
            assertTrue(help.stream().anyMatch(l -> l.startsWith(" ".repeat(48)) && l.contains("instruction")), String.join("\n", help));

            // Binary files: cat refuses, hd shows them.
            tmux.keys("cat /bin/busybox", "Enter");
            tmux.await("one line suggesting hd", s -> s.endsWith("\nstrata: /bin/busybox: a binary file (hd /bin/busybox shows it in hex)\n" + prompt));
            tmux.keys("hd /etc/group", "Enter");
            tmux.await("hexdump -C's lines", s -> s.contains(
                    "\n00000000  72 6f 6f 74 3a 78 3a 30  3a 0a 6e 6f 67 72 6f 75  |root:x:0:.nogrou|\n"
                    + "00000010  70 3a 78 3a 36 35 35 33  34 3a 0a                 |p:x:65534:.|\n0000001b\n" + prompt));

            // find / prints /etc/group, not //etc/group; times carry their zone; run's status is shown.
            tmux.keys("find / -name group", "Enter");
            tmux.await("find's path", s -> s.endsWith("find / -name group\n/etc/group\n" + prompt));
            tmux.keys("ls -l /etc/group", "Enter");
            tmux.await("a time with its zone", s -> s.lines().anyMatch(l -> l.matches(".* \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d [+-]\\d{4} .*group")));
            tmux.keys("run bb sh -c 'exit 3'", "Enter");
            tmux.await("the exit status", s -> s.endsWith("\nstrata: exit status 3\n" + prompt));

            // Long output goes through the pager; q returns to the prompt.
            tmux.keys("find /", "Enter");
            tmux.await("less showing the first screen", s -> s.contains("\n/bin\n") && !s.endsWith(prompt) && s.endsWith(":"));
            tmux.keys("q");
            tmux.await("the prompt after the pager", s -> s.endsWith(prompt));

            // clear empties the screen.
            tmux.keys("clear", "Enter");
            tmux.await("only the prompt", s -> s.strip().equals(prompt.strip()));

            // use SOURCE:REF pulls, as run does.
            tmux.keys("use tar:" + strata.rootfsTar, "Enter");
            tmux.await("the imported image in use", s -> s.lines().toList().getLast().matches("strata [0-9a-f]{12}:/>"));
            tmux.keys("cat /etc/group | head -1", "Enter");
            tmux.await("its files", s -> s.endsWith("\nroot:x:0:\n" + s.lines().toList().getLast()));
            tmux.keys("exit", "Enter");
            tmux.await("the shell gone", s -> s.contains("EXITED:0"));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void cleanLayersAndDivesAnalysisInATerminal(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(new ProcessBuilder("sh", "-c", "command -v tmux").start().waitFor() == 0, "needs tmux (scripts/test-setup installs it)");
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Result built = strata.strata(mode, data, strata.newWorkDirectory(mode), Map.of(), null, "build", "--from", base,
                "--run", "head -c 4000 /dev/zero > /etc/x", "--layer", "--run", "echo small > /etc/x");
        assertEquals(0, built.exitCode(), built.err());
        String image = built.line();
        assertEquals(0, strata.strata(mode, data, "map", "app", image).exitCode());
        String prompt = "strata app:/> ";
        try (Tmux tmux = new Tmux(mode, data)) {
            tmux.startUsing("app");
            // The step changed /etc/x and nothing else: no /etc/hosts, /etc/resolv.conf or /run/user.
            tmux.keys("diff", "Enter");
            tmux.await("the step's only change", s -> s.endsWith(prompt + "diff\nC /etc/x\n" + prompt));
            tmux.keys("layers", "Enter");
            tmux.await("a line per layer", s -> s.lines().anyMatch(l -> l.startsWith(image.substring(0, 12)) && l.contains("+0")
                    && l.contains("~1") && l.contains("-0") && l.endsWith("run echo small > /etc/x")));
            tmux.keys("wasted", "Enter");
            tmux.await("the overwritten version", s -> s.contains("3.9 KiB      1  /etc/x") && s.endsWith("wasted: 3.9 KiB in 1 files (4000 bytes)\n" + prompt));
            tmux.keys("efficiency", "Enter");
            tmux.await("the score", s -> s.lines().anyMatch(l -> l.matches("efficiency: 0\\.\\d{4} \\(4000 wasted of \\d+ bytes\\)")));
            tmux.keys("exit", "Enter");
            tmux.await("the shell gone", s -> s.contains("EXITED:0"));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aScriptOnStdinStopsAtTheFirstFailure(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        String script = """
                # explore busybox
                use %s
                ls /etc
                cat /etc/group
                run %s sh -c 'echo in the container'
                cat /etc/nope
                ls /
                """.formatted(id.substring(0, 8), id);
        Result r = strata.strata(mode, data, strata.home, Map.of(), script, "shell");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals("group\npasswd\nroot:x:0:\nnogroup:x:65534:\nin the container\n", r.out());
        assertEquals("strata: /etc/nope: no such file or directory\n", r.err());

        Result ok = strata.strata(mode, data, strata.home, Map.of(), "images\nuse " + id + "\nlayer /bin/sh\n", "shell");
        assertEquals(0, ok.exitCode(), ok.err());
        assertTrue(ok.out().contains("/bin/sh: from layer " + id.substring(0, 12)), ok.out());

        Result usage = strata.strata(mode, data, strata.home, Map.of(), "", new String[0]);
        assertEquals(2, usage.exitCode(), "no arguments and no terminal: usage, as before");
        assertTrue(usage.out().startsWith("usage: strata COMMAND"), usage.out());
        Result extra = strata.strata(mode, data, "shell", "x");
        assertEquals(2, extra.exitCode());
        assertEquals(1, extra.err().lines().count(), extra.err());
    }

    /** A tmux server of its own (its own socket) with one pane running strata; closing kills it. */
    private static final class Tmux implements AutoCloseable {
        private final Mode mode;
        private final Path data;
        private String socket;
        private int sessions;
        private String lastScreen = "";

        Tmux(Mode mode, Path data) {
            this.mode = mode;
            this.data = data;
        }

        /** A fresh window running strata with {@code args}; after it exits the pane shows EXITED:CODE. */
        void start(String... args) throws Exception {
            // A server per session: a new one on the socket of one still shutting down can fail to start.
            if (socket != null) tmux("kill-server");
            socket = "strata-it-" + ProcessHandle.current().pid() + "-" + mode + "-" + sessions++;
            List<String> command = strata.command(mode, data, Map.of("TERM", "screen-256color"), List.of(args));
            StringBuilder line = new StringBuilder();
            for (String w : command) line.append('\'').append(w.replace("'", "'\\''")).append("' ");
            line.append("; echo EXITED:$?; sleep 60");
            Result r = tmux("new-session", "-d", "-x", "100", "-y", "40", "-c", strata.home.toString(), line.toString());
            assertEquals(0, r.exitCode(), r.err());
        }

        /** A fresh shell exploring {@code image} (its prompt: strata IMAGE:/>). */
        void startUsing(String image) throws Exception {
            start();
            await("the prompt", s -> s.contains("strata> "));
            keys("use " + image, "Enter");
            await("the image in the prompt", s -> s.endsWith("strata " + image + ":/> "));
        }

        void keys(String... keys) throws Exception {
            for (String k : keys) {
                // Named keys (Enter, Tab, C-c) are keys; anything else is typed literally.
                boolean named = k.matches("Enter|Tab|Up|C-[a-z]");
                List<String> args = new ArrayList<>(List.of("send-keys", "-t", "0"));
                if (!named) args.add("-l");
                args.add(k);
                Result r = tmux(args.toArray(String[]::new));
                assertEquals(0, r.exitCode(), r.err());
            }
        }

        /** Waits (up to 30 s) until the screen satisfies {@code test}; fails showing the screen otherwise. */
        void await(String what, Predicate<String> test) throws Exception {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline) {
                Result r = tmux("capture-pane", "-p", "-J", "-t", "0");
                lastScreen = r.out().stripTrailing().lines().map(String::stripTrailing).reduce((a, b) -> a + "\n" + b).orElse("");
                if (test.test(lastScreen) || test.test(lastScreen + " ")) return;
                Thread.sleep(100);
            }
            throw new AssertionError("timed out waiting for " + what + "; the screen:\n" + lastScreen);
        }

        private Result tmux(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "-f", "/dev/null"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out, err);
        }

        @Override
        public void close() throws Exception {
            if (socket != null) tmux("kill-server");
        }
    }
}
