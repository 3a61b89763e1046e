package runtime.core.fuzz;

import java.nio.file.Path;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import runtime.core.manifest.ManifestParser;

/** Fuzzes the manifest parser: it returns a manifest or says what is wrong (IllegalArgumentException), nothing else. */
public class ManifestParserFuzzTest {
    /** Every build replays the saved inputs; with -Dfuzz=1 (CI) it fuzzes for 20 s; longer runs: scripts/fuzz. */
    @FuzzTest(maxDuration = "20s")
    void parse(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        try {
            ManifestParser.parse(text, "fuzz.toml", Path.of("/nonexistent-fuzz-dir"));
        } catch (ManifestParser.InvalidManifestException e) {
            if (e.problems().isEmpty() || e.getMessage() == null) throw new AssertionError("an error without problems", e);
        } catch (IllegalArgumentException expected) {
            // reported problem
        }
    }
}
