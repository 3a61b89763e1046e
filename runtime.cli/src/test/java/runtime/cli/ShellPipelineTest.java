package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class ShellPipelineTest {
    @Test
    void theFirstUnquotedBarSplitsOffTheHostCommandAsTyped() {
        assertEquals(new ShellPipeline("cat /etc/os-release ", Optional.of("grep ID | sort -r"), Optional.empty(), false),
                ShellPipeline.parse("cat /etc/os-release | grep ID | sort -r"));
        assertEquals(new ShellPipeline("find / -name 'a|b' ", Optional.of("grep \"x|y\""), Optional.empty(), false),
                ShellPipeline.parse("find / -name 'a|b' | grep \"x|y\""));
        assertEquals(new ShellPipeline("cat a\\|b", Optional.empty(), Optional.empty(), false), ShellPipeline.parse("cat a\\|b"));
        assertEquals(new ShellPipeline("ls # a | comment", Optional.empty(), Optional.empty(), false),
                ShellPipeline.parse("ls # a | comment"));
    }

    @Test
    void redirectionWritesOrAppendsOneHostFile() {
        assertEquals(new ShellPipeline("cat /etc/passwd ", Optional.empty(), Optional.of("passwd.txt"), false),
                ShellPipeline.parse("cat /etc/passwd > passwd.txt"));
        assertEquals(new ShellPipeline("cat /etc/group ", Optional.empty(), Optional.of("my file"), true),
                ShellPipeline.parse("cat /etc/group >> 'my file'"));
        assertEquals(new ShellPipeline("cat '>' ", Optional.empty(), Optional.empty(), false).command(),
                ShellPipeline.parse("cat '>' ").command());
    }

    @Test
    void incompleteOnesAreOneLineErrors() {
        assertEquals("| needs a host command after it (e.g. | grep WORD)",
                assertThrows(IllegalArgumentException.class, () -> ShellPipeline.parse("ls |  ")).getMessage());
        assertEquals("> needs one host file after it (e.g. > out.txt)",
                assertThrows(IllegalArgumentException.class, () -> ShellPipeline.parse("ls >")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShellPipeline.parse("ls > a | wc"));
    }
}
