package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;

/**
 * The README's sh blocks marked {@code <!-- runnable -->} (the line before the block), run in order as one
 * bash script with -e on a fresh store, from a directory holding ./strata and scripts/busybox-rootfs as a
 * checkout does: a README example that stops working fails the build.
 */
class ReadmeIT {
    static final String MARKER = "<!-- runnable -->";

    /** The runnable blocks as one script, each block announced on stderr with its README line. */
    static String runnableScript(List<String> readme) {
        // -e and pipefail: any failing command fails the script (so the README joins commands with ; not &&).
        StringBuilder script = new StringBuilder("set -e -o pipefail\n");
        for (int i = 0; i < readme.size(); i++) {
            if (!readme.get(i).equals(MARKER)) continue;
            if (i + 1 >= readme.size() || !readme.get(i + 1).equals("```sh")) {
                throw new AssertionError("README.md line " + (i + 1) + ": " + MARKER + " is not followed by a ```sh block");
            }
            script.append("echo '== README.md line ").append(i + 3).append("' >&2\n");
            int j = i + 2;
            for (; j < readme.size() && !readme.get(j).equals("```"); j++) script.append(readme.get(j)).append('\n');
            i = j;
        }
        return script.toString();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runnableBlocksRun(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        String script = runnableScript(Files.readAllLines(repo.resolve("README.md")));
        long blocks = script.lines().filter(l -> l.startsWith("echo '== README.md line")).count();
        assertTrue(blocks >= 5, "README.md has " + blocks + " runnable blocks, not the five of the demo, build, run, store and export, shell");

        Path work = strata.newWorkDirectory(mode);
        Files.createSymbolicLink(work.resolve("strata"), strata.launcher);
        Files.createDirectories(work.resolve("scripts"));
        Files.copy(repo.resolve("scripts/busybox-rootfs"), work.resolve("scripts/busybox-rootfs"));
        Files.writeString(work.resolve("readme.sh"), script);
        Installation.exec(List.of("chmod", "-R", "a+rX", work.toString()));
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", work.toString()));

        Path data = strata.newStore(mode);
        List<String> cmd = strata.as(mode, data, java.util.Map.of(), List.of("bash", work.resolve("readme.sh").toString()));
        Installation.Result r = Installation.run(cmd, work, null, 600);
        String[] announced = r.err().lines().filter(l -> l.startsWith("== README.md line")).toArray(String[]::new);
        assertEquals(0, r.exitCode(), "a README example failed after " + (announced.length == 0 ? "none" : announced[announced.length - 1])
                + "; stderr:\n" + r.err().lines().skip(Math.max(0, r.err().lines().count() - 15)).reduce("", (a, b) -> a + b + "\n"));
        assertEquals(blocks, announced.length, r.err());
        assertTrue(r.out().contains("hello from busybox"), r.out());
    }
}
