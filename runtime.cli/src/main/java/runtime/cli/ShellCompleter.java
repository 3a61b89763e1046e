package runtime.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.commons.cli.Option;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

import runtime.core.store.LayerInfo;
import runtime.core.store.MergedView;
import runtime.core.store.MergedView.Entry;

/**
 * Tab completion for the shell: command names (the shell's and strata's), their options, image ids and
 * names where a command takes an image, and paths of the current image where it takes a path. Kept apart
 * from jline's types in {@link #candidates} so it can be tested without a terminal.
 */
final class ShellCompleter implements Completer {
    /** One completion: {@code value} replaces the word; {@code complete} false keeps the cursor in the word (a directory). */
    record Choice(String value, String display, String group, boolean complete) {}

    private final Shell shell;

    ShellCompleter(Shell shell) {
        this.shell = shell;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> out) {
        String prefix = line.word().substring(0, Math.min(line.wordCursor(), line.word().length()));
        for (Choice c : candidates(line.words(), line.wordIndex(), prefix)) {
            out.add(new Candidate(c.value(), c.display(), c.group(), null, null, null, c.complete()));
        }
    }

    /** The choices for word {@code index} of {@code words}, of which {@code prefix} is typed so far. */
    List<Choice> candidates(List<String> words, int index, String prefix) {
        List<Choice> all = new ArrayList<>();
        try {
            if (index == 0) {
                commands(all);
            } else {
                String command = words.getFirst();
                if (command.equals("strata") && index >= 1) { // "strata COMMAND ...": complete as COMMAND would be
                    return candidates(words.subList(1, words.size()), index - 1, prefix);
                }
                if (prefix.startsWith("-")) {
                    options(command, all);
                } else {
                    String previous = words.get(index - 1);
                    Shell.Kind kind = previous.equals("--from") ? Shell.Kind.IMAGE : kind(command, words.subList(1, index));
                    switch (kind) {
                        case IMAGE -> images(all);
                        case NAME -> names(all);
                        case PATH -> paths(prefix, all);
                        case COMMAND -> commands(all);
                        case NONE -> { }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of(); // completion must never break the line being edited
        }
        return all.stream().filter(c -> c.value().startsWith(prefix)).toList();
    }

    private void commands(List<Choice> all) {
        for (String b : shell.builtins().keySet()) all.add(new Choice(b, b, "shell commands", true));
        for (String c : Main.COMMANDS.keySet()) {
            if (c.startsWith("__") || c.equals("shell") || shell.builtins().containsKey(c)) continue;
            all.add(new Choice(c, c, "strata commands", true));
        }
    }

    private void options(String command, List<Choice> all) {
        Shell.Builtin b = shell.builtins().get(command);
        if (b != null) {
            for (String o : b.options()) all.add(new Choice(o, o, "options", true));
            return;
        }
        var supplier = Main.COMMANDS.get(Main.ALIASES.getOrDefault(command, command));
        if (supplier == null) return;
        Set<String> seen = new LinkedHashSet<>();
        Command c = supplier.get();
        if (c.rawArguments() && command.startsWith("b")) {
            for (var m : runtime.core.build.Macros.all()) seen.addAll(m.names());
        }
        for (Option o : c.options().getOptions()) {
            if (o.getLongOpt() != null) seen.add("--" + o.getLongOpt());
            if (o.getOpt() != null) seen.add("-" + o.getOpt());
        }
        seen.add("--help");
        for (String s : seen) all.add(new Choice(s, s, "options", true));
    }

    /** What the positional argument after {@code before} (the words between command and cursor) is. */
    private Shell.Kind kind(String command, List<String> before) {
        int position = 0;
        for (String w : before) if (!w.startsWith("-")) position++;
        Shell.Builtin b = shell.builtins().get(command);
        if (b != null) return b.kind(position);
        var supplier = Main.COMMANDS.get(Main.ALIASES.getOrDefault(command, command));
        if (supplier == null) return Shell.Kind.NONE;
        // A strata command's usage line ("IMAGE [CMD...]") says what each position takes.
        String[] tokens = supplier.get().arguments().replaceAll("[\\[\\]]", " ").trim().split("\\s+");
        if (tokens.length == 0 || tokens[0].isEmpty()) return Shell.Kind.NONE;
        String token = position < tokens.length ? tokens[position] : (tokens[tokens.length - 1].endsWith("...") ? tokens[tokens.length - 1] : "");
        if (token.contains("IMAGE")) return Shell.Kind.IMAGE;
        return token.equals("KEY") || token.equals("NAME") ? Shell.Kind.NAME : Shell.Kind.NONE;
    }

    /** Image names ({@code strata map}). */
    private void names(List<Choice> all) {
        for (String name : shell.store().maps().keySet()) all.add(new Choice(name, name, "names", true));
    }

    private void images(List<Choice> all) {
        names(all);
        for (LayerInfo l : shell.store().list()) {
            String id = l.id().substring(0, 12);
            all.add(new Choice(id, id + "  " + runtime.core.store.LayerTree.shortInstruction(l.instruction()), "images", true));
        }
    }

    private void paths(String prefix, List<Choice> all) throws IOException {
        Optional<MergedView> view = shell.view();
        if (view.isEmpty()) return;
        int slash = prefix.lastIndexOf('/');
        String dirPart = slash < 0 ? "" : prefix.substring(0, slash + 1);
        Optional<Entry> dir = view.get().find(shell.cwd(), dirPart.isEmpty() ? "." : dirPart, true);
        if (dir.isEmpty() || !dir.get().isDirectory()) return;
        for (Entry e : view.get().list(dir.get())) {
            // A directory (or a link to one) keeps the cursor in the word, so Tab goes on into it.
            boolean directory = e.isDirectory()
                    || (e.type() == MergedView.Type.SYMLINK && view.get().find(shell.cwd(), dirPart + e.name(), true)
                            .map(Entry::isDirectory).orElse(false));
            String value = dirPart + e.name() + (directory ? "/" : "");
            all.add(new Choice(value, e.name() + (directory ? "/" : ""), "paths", !directory));
        }
    }
}
