package runtime.cli.commands.oci;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Arguments in the style of runc's command line (urfave/cli): {@code --name value}, {@code --name=value},
 * single-dash long names ({@code -bundle}), short aliases, repeatable options, boolean flags (also
 * {@code --flag=true}); options may come before or between positional arguments, {@code --} ends them.
 */
final class OciArguments {
    /** One option: its names (first is canonical) and whether it takes a value. */
    record Flag(List<String> names, boolean takesValue) {
        static Flag value(String... names) {
            return new Flag(List.of(names), true);
        }

        static Flag bool(String... names) {
            return new Flag(List.of(names), false);
        }
    }

    private final Map<String, List<String>> values = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    /**
     * Parses {@code args} against {@code flags}. With {@code stopAtFirstPositional} (exec's command line,
     * the global options before the subcommand), everything from the first positional argument on is
     * positional.
     */
    static OciArguments parse(List<String> args, List<Flag> flags, boolean stopAtFirstPositional) {
        OciArguments parsed = new OciArguments();
        Map<String, Flag> byName = new HashMap<>();
        for (Flag f : flags) for (String n : f.names()) byName.put(n, f);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                parsed.positional.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                if (stopAtFirstPositional) {
                    parsed.positional.addAll(args.subList(i, args.size()));
                    break;
                }
                parsed.positional.add(a);
                continue;
            }
            String name = a.replaceFirst("^--?", "");
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Flag flag = byName.get(name);
            if (flag == null) throw new IllegalArgumentException("flag provided but not defined: " + a);
            String value;
            if (flag.takesValue()) {
                if (inline != null) {
                    value = inline;
                } else {
                    if (i + 1 >= args.size()) throw new IllegalArgumentException("flag needs an argument: " + a);
                    value = args.get(++i);
                }
            } else {
                value = inline == null ? "true" : inline;
            }
            parsed.values.computeIfAbsent(flag.names().getFirst(), k -> new ArrayList<>()).add(value);
        }
        return parsed;
    }

    Optional<String> value(String name) {
        List<String> v = values.get(name);
        return v == null ? Optional.empty() : Optional.of(v.getLast());
    }

    List<String> values(String name) {
        return values.getOrDefault(name, List.of());
    }

    boolean flag(String name) {
        return value(name).map(v -> !v.equals("false")).orElse(false);
    }

    int intValue(String name, int fallback) {
        Optional<String> v = value(name);
        if (v.isEmpty()) return fallback;
        try {
            return Integer.parseInt(v.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " wants a number, not '" + v.get() + "'");
        }
    }

    List<String> positional() {
        return positional;
    }

    /** The single container id a command takes. */
    String id() {
        if (positional.isEmpty()) throw new IllegalArgumentException("a container id is required");
        return positional.getFirst();
    }
}
