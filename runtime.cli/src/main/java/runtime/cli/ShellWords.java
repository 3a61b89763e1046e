package runtime.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a shell line into words the way sh does for the parts people type at a prompt: blanks
 * separate words, {@code '...'} is literal, {@code "..."} keeps blanks and honours {@code \"}, {@code \\},
 * {@code \$} and {@code \`}, a backslash outside quotes escapes the next character, and {@code #} at the
 * start of a word begins a comment. No expansion of any kind: the words go to commands as typed, so that
 * {@code run IMG sh -c 'echo $HOME'} reaches the container untouched.
 */
final class ShellWords {
    private ShellWords() {}

    /** The words of {@code line}; an unterminated quote or a trailing backslash is an {@link IllegalArgumentException}. */
    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (inWord) words.add(word.toString());
                word.setLength(0);
                inWord = false;
                i++;
            } else if (c == '#' && !inWord) {
                break;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) throw new IllegalArgumentException("unterminated ' quote");
                word.append(line, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (true) {
                    if (i >= n) throw new IllegalArgumentException("unterminated \" quote");
                    char d = line.charAt(i);
                    if (d == '"') break;
                    if (d == '\\' && i + 1 < n && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                        word.append(line.charAt(i + 1));
                        i += 2;
                    } else {
                        word.append(d);
                        i++;
                    }
                }
                inWord = true;
                i++;
            } else if (c == '\\') {
                if (i + 1 >= n) throw new IllegalArgumentException("a backslash at the end of the line escapes nothing");
                word.append(line.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) words.add(word.toString());
        return words;
    }
}
