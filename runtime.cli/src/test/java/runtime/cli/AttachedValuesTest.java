package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

/** {@code -eA=1} is read as {@code -e A=1}, before the first positional argument only. */
class AttachedValuesTest {
    private static final Options OPTIONS = new Options()
            .addOption(Option.builder("e").longOpt("env").hasArg().build())
            .addOption(Option.builder("w").longOpt("workdir").hasArg().build())
            .addOption(Option.builder("I").longOpt("isolate").build());

    private static List<String> split(String... args) {
        return List.of(Main.attachedValues(OPTIONS, args));
    }

    @Test
    void aShortOptionsAttachedNameValueIsSplit() {
        assertEquals(List.of("-e", "A=1", "-I", "img"), split("-eA=1", "-I", "img"));
        assertEquals(List.of("--workdir", "/x", "-e", "B=2", "img"), split("--workdir", "/x", "-eB=2", "img"));
        assertEquals(List.of("-w", "-eC=3", "img"), split("-w", "-eC=3", "img"), "a value is not an option");
        assertEquals(List.of("--env=D=4", "img"), split("--env=D=4", "img"));
    }

    @Test
    void theCommandsOwnArgumentsAreUntouched() {
        assertEquals(List.of("img", "sh", "-eA=1"), split("img", "sh", "-eA=1"));
        assertEquals(List.of("--", "-eA=1"), split("--", "-eA=1"));
    }
}
