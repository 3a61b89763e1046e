package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;

/** The generated bash completion, sourced in bash and called as bash calls it (COMP_WORDS, COMP_CWORD). */
class CompletionIT {
    /** The words _strata offers for the command line {@code words}, the last being the word under the cursor. */
    private static List<String> complete(Installation strata, Mode mode, Path data, String... words) throws Exception {
        Path file = strata.home.resolve("runtime.cli/target/dist/share/bash-completion/completions/strata");
        StringBuilder array = new StringBuilder();
        for (String w : words) array.append(" '").append(w).append("'");
        String script = "source " + file + "; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1)
                + "; _strata; printf '%s\\n' \"${COMPREPLY[@]}\"";
        List<String> cmd = strata.as(mode, data, java.util.Map.of(), List.of("bash", "-c", script));
        Installation.Result r = Installation.run(cmd, strata.home, null, 120);
        assertEquals(0, r.exitCode(), r.err());
        return r.out().lines().filter(l -> !l.isEmpty()).toList();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void completesCommandsOptionsImagesAndContainers(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "busybox", id).exitCode());
        String launcher = strata.launcher.toString();

        List<String> commands = complete(strata, mode, data, launcher, "ex");
        assertTrue(commands.containsAll(List.of("exec", "export-tar", "export-dir")), commands.toString());
        assertFalse(commands.contains("run"), commands.toString());

        List<String> options = complete(strata, mode, data, launcher, "stop", "--");
        assertEquals(List.of("--timeout", "--help"), options);

        List<String> runOptions = complete(strata, mode, data, launcher, "run", "--is");
        assertEquals(List.of("--isolate"), runOptions);

        List<String> images = complete(strata, mode, data, launcher, "run", "");
        assertTrue(images.contains("busybox") && images.contains(id.substring(0, 12)), images.toString());
        List<String> byPrefix = complete(strata, mode, data, launcher, "run", "--fs", "overlay", "bu");
        assertEquals(List.of("busybox"), byPrefix);

        // A running container's name, for the commands that take a CONTAINER.
        Path wd = strata.newWorkDirectory(mode);
        Process web = strata.start(mode, data, wd, java.util.Map.of(), "run", "-I", "--name", "webbox", id, "sh", "-c", "echo started; sleep 60");
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (!java.nio.file.Files.readString(wd.resolve("out")).contains("started") && System.nanoTime() < deadline) Thread.sleep(20);
            List<String> containers = complete(strata, mode, data, launcher, "stop", "--timeout", "1", "web");
            assertEquals(List.of("webbox"), containers, java.nio.file.Files.readString(wd.resolve("err")));
        } finally {
            Installation.jvm(web).destroy();
            web.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
