package runtime.core.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import runtime.core.build.BuildfileParser;

/** Fuzzes the buildfile parser: it returns macro lines or refuses with an IllegalArgumentException naming the line. */
public class BuildfileParserFuzzTest {
    /** Every build replays the saved inputs; with -Dfuzz=1 (CI) it fuzzes for 20 s; longer runs: scripts/fuzz. */
    @FuzzTest(maxDuration = "20s")
    void parse(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        try {
            for (BuildfileParser.Line line : BuildfileParser.parse(text, "fuzz")) {
                if (line.macro() == null || line.args() == null) throw new AssertionError("incomplete line " + line);
            }
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().startsWith("fuzz:")) throw new AssertionError("an error that names no line: " + e.getMessage(), e);
        }
    }
}
