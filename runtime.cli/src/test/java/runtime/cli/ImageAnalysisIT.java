package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * dive's analysis ({@code strata check-image}, the shell's {@code wasted} and {@code efficiency}) on a
 * built image, against figures this test computes on its own from the layer directories: for each file
 * version, is there a later layer with an entry at its path, a whiteout at it or above it, or an opaque
 * directory above it.
 */
class ImageAnalysisIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    /** One layer's directory as maps: non-directory paths with their sizes, whiteouts, opaque directories. */
    record LayerFiles(Map<String, Long> files, Set<String> whiteouts, Set<String> opaque) {}

    private static LayerFiles read(Path root, Mode mode) throws Exception {
        Map<String, Long> files = new HashMap<>();
        Set<String> whiteouts = new HashSet<>();
        try (var walk = Files.walk(root)) {
            for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
                String path = "/" + root.relativize(p);
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                int fileMode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                boolean charDevice = (fileMode & 0170000) == 0020000;
                if (charDevice && (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS) == 0) {
                    whiteouts.add(path);
                } else {
                    files.put(path, Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : 0L);
                }
            }
        }
        Set<String> opaque = new HashSet<>();
        String attribute = mode == Mode.ROOT ? "trusted.overlay.opaque" : "user.overlay.opaque";
        Process getfattr = new ProcessBuilder("getfattr", "--absolute-names", "-R", "-n", attribute, root.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String current = null;
        for (String line : new String(getfattr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
            if (line.startsWith("# file: ")) current = line.substring("# file: ".length());
            else if (line.equals(attribute + "=\"y\"") && current != null) opaque.add("/" + root.relativize(Path.of(current)));
        }
        getfattr.waitFor();
        return new LayerFiles(files, whiteouts, opaque);
    }

    private static boolean hiddenLater(String path, int layer, List<LayerFiles> layers) {
        for (int later = layer + 1; later < layers.size(); later++) {
            LayerFiles l = layers.get(later);
            if (l.files().containsKey(path) || l.whiteouts().contains(path)) return true;
            for (String above = parent(path); above != null; above = parent(above)) {
                if (l.whiteouts().contains(above) || l.opaque().contains(above)) return true;
            }
        }
        return false;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? null : path.substring(0, slash);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void wastedAndEfficiencyMatchTheLayerDirectories(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Result built = strata.strata(mode, data, wd, Map.of(), null, "build", "--from", base,
                "--run", "head -c 5000 /dev/zero > /etc/big; echo keep > /etc/keep; mkdir /opt; head -c 3000 /dev/zero > /opt/a;"
                        + " head -c 700 /dev/zero > /opt/b",
                "--layer", "--run", "echo small > /etc/big",
                "--layer", "--run", "rm -r /opt; mkdir /opt; echo new > /opt/c; rm /bin/ls");
        assertEquals(0, built.exitCode(), built.err());
        String image = built.line();

        // The chain, bottom-most first, from the parent files.
        List<String> ids = new ArrayList<>();
        for (String id = image; id != null; ) {
            ids.addFirst(id);
            Path parent = data.resolve("layers").resolve(id).resolve("parent");
            id = Files.exists(parent) ? Files.readString(parent).strip() : null;
        }
        assertEquals(4, ids.size());
        List<LayerFiles> layers = new ArrayList<>();
        for (String id : ids) layers.add(read(data.resolve("layers").resolve(id).resolve("root"), mode));
        long total = 0, wasted = 0, wastedFiles = 0;
        for (int i = 0; i < layers.size(); i++) {
            for (Map.Entry<String, Long> f : layers.get(i).files().entrySet()) {
                total += f.getValue();
                if (hiddenLater(f.getKey(), i, layers)) {
                    wasted += f.getValue();
                    wastedFiles++;
                }
            }
        }
        // /etc/big (5000), /opt/a (3000), /opt/b (700) and the /bin/ls symlink at least.
        assertTrue(wasted >= 8700 && wastedFiles >= 4, wasted + " bytes in " + wastedFiles);
        double efficiency = 1.0 - (double) wasted / total;

        Result json = strata.strata(mode, data, "check-image", image, "--format", "json");
        assertEquals(0, json.exitCode(), json.out() + json.err());
        JsonNode figures = new ObjectMapper().readTree(json.out());
        assertEquals(total, figures.get("totalBytes").asLong());
        assertEquals(wasted, figures.get("wastedBytes").asLong());
        assertEquals(wastedFiles, figures.get("wastedFiles").asLong());
        assertEquals(efficiency, figures.get("efficiency").asDouble(), 1e-12);
        assertEquals("/etc/big", figures.get("wasted").get(0).get("path").asText(), "largest first");
        assertEquals(5000, figures.get("wasted").get(0).get("bytes").asLong());

        Result tooMuch = strata.strata(mode, data, "check-image", image, "--max-wasted", "8k");
        assertEquals(1, tooMuch.exitCode(), tooMuch.out() + tooMuch.err());
        assertTrue(tooMuch.out().contains("FAIL: wasted " + wasted + " bytes is more than --max-wasted 8192"), tooMuch.out());
        Result enough = strata.strata(mode, data, "check-image", image, "--max-wasted", "1m", "--min-efficiency", "0");
        assertEquals(0, enough.exitCode(), enough.out() + enough.err());
        assertTrue(enough.out().endsWith("PASS\n"), enough.out());
        Result strict = strata.strata(mode, data, "check-image", image, "--min-efficiency", "1", "--format", "json");
        assertEquals(1, strict.exitCode(), strict.out());
        assertEquals(false, new ObjectMapper().readTree(strict.out()).get("pass").asBoolean());
        Result bad = strata.strata(mode, data, "check-image", image, "--min-efficiency", "lots");
        assertEquals(2, bad.exitCode());
        assertEquals(1, bad.err().lines().count(), bad.err());

        // The shell shows the same figures.
        Result shell = strata.strata(mode, data, strata.home, Map.of(), "use " + image + "\nefficiency\nwasted\nlayers\n", "shell");
        assertEquals(0, shell.exitCode(), shell.err());
        assertTrue(shell.out().contains(String.format(java.util.Locale.ROOT, "efficiency: %.4f (%d wasted of %d bytes)", efficiency,
                wasted, total)), shell.out());
        assertTrue(shell.out().contains("wasted: ") && shell.out().contains("(" + wasted + " bytes)"), shell.out());
        assertTrue(shell.out().lines().anyMatch(l -> l.startsWith(image.substring(0, 12)) && l.contains("+1") && l.contains("-")),
                shell.out());
    }
}
