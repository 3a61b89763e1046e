package runtime.cli;

import java.util.List;
import java.util.Optional;

/**
 * Where a shell line's output goes: {@code COMMAND | HOST...} hands it to a host command ({@code sh -c
 * HOST...}, the rest of the line as typed, so its own pipes, quotes and variables are the host shell's),
 * {@code COMMAND > FILE} and {@code >> FILE} write or append it to a host file. Only the first unquoted
 * {@code |} and a {@code >} after the last word of COMMAND count; quoting follows {@link ShellWords}.
 *
 * @param command the shell command's part of the line
 * @param host    the host command after the first {@code |}
 * @param file    the host file after {@code >} or {@code >>}
 */
record ShellPipeline(String command, Optional<String> host, Optional<String> file, boolean append) {
    static ShellPipeline parse(String line) {
        int pipe = unquoted(line, '|');
        String command = pipe < 0 ? line : line.substring(0, pipe);
        Optional<String> host = Optional.empty();
        if (pipe >= 0) {
            String rest = line.substring(pipe + 1).strip();
            if (rest.isEmpty()) throw new IllegalArgumentException("| needs a host command after it (e.g. | grep WORD)");
            host = Optional.of(rest);
        }
        int redirect = unquoted(command, '>');
        if (redirect < 0) return new ShellPipeline(command, host, Optional.empty(), false);
        boolean append = redirect + 1 < command.length() && command.charAt(redirect + 1) == '>';
        List<String> target = ShellWords.split(command.substring(redirect + (append ? 2 : 1)));
        if (target.size() != 1) {
            throw new IllegalArgumentException((append ? ">>" : ">") + " needs one host file after it (e.g. > out.txt)");
        }
        if (host.isPresent()) throw new IllegalArgumentException("either > FILE or | HOST-COMMAND, not both (put > in the host command)");
        return new ShellPipeline(command.substring(0, redirect), host, Optional.of(target.getFirst()), append);
    }

    /** The index of the first {@code c} outside quotes and not escaped, or -1. */
    private static int unquoted(String line, char c) {
        for (int i = 0; i < line.length(); i++) {
            char x = line.charAt(i);
            if (x == '\\') {
                i++;
            } else if (x == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) return -1; // ShellWords reports the quote
                i = end;
            } else if (x == '"') {
                for (i++; i < line.length() && line.charAt(i) != '"'; i++) {
                    if (line.charAt(i) == '\\') i++;
                }
            } else if (x == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return -1; // a comment
            } else if (x == c) {
                return i;
            }
        }
        return -1;
    }
}
