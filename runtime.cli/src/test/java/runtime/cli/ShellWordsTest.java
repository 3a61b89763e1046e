package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The shell's word splitting: sh's quoting, no expansion. */
class ShellWordsTest {
    @Test
    void blanksSeparateWords() {
        assertEquals(List.of("ls", "-l", "/etc"), ShellWords.split("  ls\t-l   /etc  "));
        assertEquals(List.of(), ShellWords.split("   "));
    }

    @Test
    void quotesKeepBlanksAndNothingIsExpanded() {
        assertEquals(List.of("run", "img", "sh", "-c", "echo $HOME; ls *"), ShellWords.split("run img sh -c 'echo $HOME; ls *'"));
        assertEquals(List.of("a b\"c$d\\e"), ShellWords.split("\"a b\\\"c\\$d\\\\e\""));
        assertEquals(List.of("x\\n"), ShellWords.split("\"x\\n\""), "other backslashes stay in double quotes");
        assertEquals(List.of("ab c", ""), ShellWords.split("a'b c' ''"), "adjacent parts join; empty quotes are a word");
        assertEquals(List.of("a b"), ShellWords.split("a\\ b"));
    }

    @Test
    void commentsStartAtAWord() {
        assertEquals(List.of("ls", "a#b"), ShellWords.split("ls a#b # a comment"));
        assertEquals(List.of(), ShellWords.split("# only a comment"));
        assertEquals(List.of("#x"), ShellWords.split("'#x'"));
    }

    @Test
    void unterminatedQuotesAreErrors() {
        assertEquals("unterminated ' quote", assertThrows(IllegalArgumentException.class, () -> ShellWords.split("cat 'x")).getMessage());
        assertEquals("unterminated \" quote", assertThrows(IllegalArgumentException.class, () -> ShellWords.split("cat \"x")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShellWords.split("cat x\\"));
    }
}
