package runtime.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.commons.cli.Option;

/**
 * The man pages (strata(1), strata-COMMAND(1)) and the bash and zsh completion, generated at build time
 * from the same definitions {@code --help} prints: each command's name, summary, arguments, options,
 * description, environment, exit codes and examples. {@code strata __gen-docs DIR} writes
 * DIR/man/man1/*.1, DIR/bash-completion/completions/strata and DIR/zsh/site-functions/_strata.
 */
final class Docs {
    /** Read by every command; listed in strata(1). */
    static final List<Command.Item> COMMON_ENVIRONMENT = List.of(
            new Command.Item("STRATA_DATA", "the store (default /var/lib/strata for root, else $XDG_DATA_HOME/strata or ~/.local/share/strata)"),
            new Command.Item("STRATA_TRACE", "set: stack traces with errors"),
            new Command.Item("STRATA_LOG", "debug: strata's own log messages on stderr"),
            new Command.Item("STRATA_DEBUG", "1: phase timings of a container's start"));

    private Docs() {}

    /** Public commands by name (names starting with "__" are internal). */
    static Map<String, Command> publicCommands() {
        Map<String, Command> all = new TreeMap<>();
        Main.COMMANDS.forEach((name, command) -> {
            if (!name.startsWith("__")) all.put(name, command.get());
        });
        return all;
    }

    static void write(Path dir) throws IOException {
        Map<String, Command> commands = publicCommands();
        Path man = Files.createDirectories(dir.resolve("man/man1"));
        Files.writeString(man.resolve("strata.1"), mainPage(commands));
        for (Command c : commands.values()) Files.writeString(man.resolve("strata-" + c.name() + ".1"), page(c));
        Files.writeString(Files.createDirectories(dir.resolve("bash-completion/completions")).resolve("strata"), bash(commands));
        Files.writeString(Files.createDirectories(dir.resolve("zsh/site-functions")).resolve("_strata"), zsh(commands));
    }

    // ---- man pages (man(7) macros) ----

    /** Text for roff: backslashes and hyphens escaped, no line starting with a control character. */
    static String roff(String text) {
        String escaped = text.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder b = new StringBuilder();
        for (String line : escaped.split("\n", -1)) {
            if (!b.isEmpty()) b.append('\n');
            if (line.startsWith(".") || line.startsWith("'")) b.append("\\&");
            b.append(line);
        }
        return b.toString();
    }

    private static String header(String title, String summary) {
        var module = Main.class.getModule().getDescriptor();
        String version = module == null ? "" : module.rawVersion().orElse("");
        return ".TH " + title.toUpperCase() + " 1 \"\" \"strata " + version + "\" \"strata manual\"\n.SH NAME\n" + roff(title) + " \\- " + roff(summary) + "\n";
    }

    private static void paragraphs(StringBuilder b, String text) {
        boolean first = true;
        for (String p : text.split("\n\n")) {
            if (!first) b.append(".PP\n");
            b.append(roff(p.strip())).append('\n');
            first = false;
        }
    }

    private static void items(StringBuilder b, String section, List<Command.Item> items, boolean bold) {
        if (items.isEmpty()) return;
        b.append(".SH ").append(section).append('\n');
        for (Command.Item i : items) {
            b.append(".TP\n").append(bold ? ".B " : "").append(roff(i.term())).append('\n').append(roff(i.text())).append('\n');
        }
    }

    static String optionTerm(Option o) {
        List<String> names = new ArrayList<>();
        if (o.getOpt() != null) names.add("-" + o.getOpt());
        if (o.getLongOpt() != null) names.add("--" + o.getLongOpt());
        return String.join(", ", names) + (o.hasArg() ? " " + o.getArgName() : "");
    }

    static String page(Command c) {
        StringBuilder b = new StringBuilder(header("strata-" + c.name(), c.summary()));
        b.append(".SH SYNOPSIS\n.B strata ").append(roff(c.name())).append('\n');
        if (!c.options().getOptions().isEmpty()) b.append("[\\fIOPTIONS\\fR]\n");
        if (!c.arguments().isEmpty()) b.append(roff(c.arguments())).append('\n');
        b.append(".SH DESCRIPTION\n");
        paragraphs(b, c.description());
        if (c.rawArguments()) b.append(".PP\nIts arguments are read by the command itself (strata passes them on unparsed).\n");
        if (!c.options().getOptions().isEmpty()) {
            b.append(".SH OPTIONS\n");
            for (Option o : c.options().getOptions()) {
                b.append(".TP\n.B ").append(roff(optionTerm(o))).append('\n').append(roff(o.getDescription() == null ? "" : o.getDescription()))
                        .append('\n');
            }
            b.append(".TP\n.B \\-h, \\-\\-help\nthis command's options\n");
        }
        List<Command.Item> env = new ArrayList<>(c.environment());
        env.add(new Command.Item("STRATA_DATA, STRATA_TRACE, STRATA_LOG, STRATA_DEBUG", "read by every command: see strata(1)"));
        items(b, "ENVIRONMENT", env, true);
        items(b, "EXIT STATUS", c.exitCodes(), true);
        examples(b, c.examples());
        b.append(".SH SEE ALSO\n.BR strata (1)\n");
        return b.toString();
    }

    private static void examples(StringBuilder b, List<Command.Item> examples) {
        if (examples.isEmpty()) return;
        b.append(".SH EXAMPLES\n");
        for (Command.Item e : examples) b.append(".TP\n.B ").append(roff(e.term())).append('\n').append(roff(e.text())).append('\n');
    }

    static String mainPage(Map<String, Command> commands) {
        StringBuilder b = new StringBuilder(header("strata", "layered root filesystems and a rootless container runtime"));
        b.append(".SH SYNOPSIS\n.B strata\n\\fICOMMAND\\fR [\\fIARGS\\fR...]\n.SH DESCRIPTION\n");
        paragraphs(b, """
                strata builds and runs layered root filesystems and is a rootless container runtime. With run, a command runs on \
                an image as a normal process sharing the host's network, home, /tmp and working directory; with run --isolate, \
                manifests and strata serve it runs isolated containers with their own namespaces, networking, limits and seccomp filter.

                strata alone on a terminal is the interactive shell (strata shell). strata help COMMAND, or strata COMMAND --help, \
                shows a command's options; each command has its page, strata-COMMAND(1).""");
        b.append(".SH COMMANDS\n");
        for (Command c : commands.values()) b.append(".TP\n.BR strata\\-").append(roff(c.name())).append(" (1)\n").append(roff(c.summary())).append('\n');
        List<Command.Item> aliases = new ArrayList<>();
        new TreeMap<>(Main.ALIASES).forEach((alias, name) -> aliases.add(new Command.Item(alias, "the same as " + name)));
        items(b, "ALIASES", aliases, true);
        items(b, "ENVIRONMENT", COMMON_ENVIRONMENT, true);
        items(b, "EXIT STATUS", Command.EXIT_CODES, true);
        examples(b, List.of(new Command.Item("strata run \"$(scripts/busybox-rootfs | strata import-tar -)\" sh",
                "a shell in a busybox image, from a checkout")));
        b.append(".SH SEE ALSO\n");
        List<String> refs = new ArrayList<>();
        for (Command c : commands.values()) refs.add(".BR strata\\-" + roff(c.name()) + " (1)");
        b.append(String.join(",\n", refs)).append('\n');
        return b.toString();
    }

    // ---- completion ----

    /** What a command's first positional argument names, from its arguments() text. */
    static String firstArgumentKind(Command c) {
        String a = c.arguments().replace("[", "").strip();
        if (a.startsWith("IMAGE")) return "images";
        if (a.startsWith("CONTAINER")) return "containers";
        return "files";
    }

    /** The command's option words (-x, --long): all of them, or those followed by a value. */
    static List<String> optionWords(Command c, boolean takingValues) {
        List<String> words = new ArrayList<>();
        for (Option o : c.options().getOptions()) {
            if (takingValues && !o.hasArg()) continue;
            if (o.getOpt() != null) words.add("-" + o.getOpt());
            if (o.getLongOpt() != null) words.add("--" + o.getLongOpt());
        }
        return words;
    }

    /** The command's name and its aliases that are words (not --version). */
    private static List<String> namesOf(Command c) {
        List<String> names = new ArrayList<>(List.of(c.name()));
        new TreeMap<>(Main.ALIASES).forEach((alias, name) -> {
            if (name.equals(c.name()) && !alias.startsWith("-")) names.add(alias);
        });
        return names;
    }

    static String bash(Map<String, Command> commands) {
        List<String> names = new ArrayList<>(commands.keySet());
        names.addAll(Main.ALIASES.keySet().stream().filter(a -> !a.startsWith("-")).sorted().toList());
        StringBuilder b = new StringBuilder("""
                # bash completion for strata, generated from its command definitions (strata __gen-docs).
                # Image names and ids, and container names, come from `strata __complete images|containers`.
                _strata() {
                    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
                    local strata=${COMP_WORDS[0]}
                    if [ "$COMP_CWORD" -eq 1 ]; then
                        COMPREPLY=($(compgen -W '%s' -- "$cur"))
                        return 0
                    fi
                    local command=${COMP_WORDS[1]} options='' values='' kind=files
                    case $command in
                """.formatted(String.join(" ", names)));
        for (Command c : commands.values()) {
            b.append("        ").append(String.join("|", namesOf(c))).append(") options='").append(String.join(" ", optionWords(c, false)))
                    .append(" --help' values='").append(String.join(" ", optionWords(c, true))).append("' kind=").append(firstArgumentKind(c))
                    .append(" ;;\n");
        }
        b.append("""
                    esac
                    # An option's value: a file name.
                    case " $values " in *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;; esac
                    if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$options" -- "$cur"))
                        return 0
                    fi
                    # The first positional argument has its kind; after it, files (a container's command line).
                    local i positional=0 skip=0
                    for ((i = 2; i < COMP_CWORD; i++)); do
                        if [ $skip -eq 1 ]; then skip=0; continue; fi
                        case ${COMP_WORDS[i]} in
                            -*) case " $values " in *" ${COMP_WORDS[i]} "*) skip=1 ;; esac ;;
                            *) positional=$((positional + 1)) ;;
                        esac
                    done
                    if [ $positional -eq 0 ] && [ "$kind" != files ]; then
                        COMPREPLY=($(compgen -W "$("$strata" __complete "$kind" 2>/dev/null)" -- "$cur"))
                    else
                        COMPREPLY=($(compgen -f -- "$cur"))
                    fi
                    return 0
                }
                complete -o default -F _strata strata
                """);
        return b.toString();
    }

    /** Text inside a zsh _arguments spec in single quotes: no quote, brackets or colons of its own. */
    private static String zshText(String text) {
        return text.replace("'", "").replace("[", "(").replace("]", ")").replace(":", " ");
    }

    static String zsh(Map<String, Command> commands) {
        StringBuilder b = new StringBuilder("""
                #compdef strata
                # zsh completion for strata, generated from its command definitions (strata __gen-docs).
                _strata_complete() { # KIND: image names and ids, or container names, from strata itself
                    local -a found
                    found=(${(f)"$(${words[1]} __complete $1 2>/dev/null)"})
                    compadd -a found
                }
                _strata() {
                    local -a commands
                    commands=(
                """);
        for (Command c : commands.values()) b.append("        '").append(c.name()).append(':').append(zshText(c.summary())).append("'\n");
        new TreeMap<>(Main.ALIASES).forEach((alias, name) -> {
            if (!alias.startsWith("-")) b.append("        '").append(alias).append(":the same as ").append(name).append("'\n");
        });
        b.append("""
                    )
                    if (( CURRENT == 2 )); then
                        _describe -t commands 'strata command' commands
                        return
                    fi
                    local command=${words[2]}
                    shift words; (( CURRENT-- ))
                    case $command in
                """);
        for (Command c : commands.values()) {
            b.append("        ").append(String.join("|", namesOf(c))).append(")\n            _arguments -s");
            for (Option o : c.options().getOptions()) {
                String desc = "[" + zshText(o.getDescription() == null ? "" : o.getDescription()) + "]"
                        + (o.hasArg() ? ":" + zshText(o.getArgName()) + ":_files" : "");
                if (o.getOpt() != null && o.getLongOpt() != null) {
                    b.append(" \\\n                '(-").append(o.getOpt()).append(" --").append(o.getLongOpt()).append(")'{-")
                            .append(o.getOpt()).append(",--").append(o.getLongOpt()).append("}'").append(desc).append("'");
                } else {
                    b.append(" \\\n                '").append(o.getOpt() != null ? "-" + o.getOpt() : "--" + o.getLongOpt()).append(desc).append("'");
                }
            }
            b.append(" \\\n                '(- *)--help[this command options]'");
            String kind = firstArgumentKind(c);
            if (!kind.equals("files")) b.append(" \\\n                '1:").append(kind).append(":_strata_complete ").append(kind).append("'");
            b.append(" \\\n                '*:file:_files' ;;\n");
        }
        b.append("""
                    esac
                }
                _strata "$@"
                """);
        return b.toString();
    }
}
