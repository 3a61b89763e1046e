package runtime.cli.commands;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import runtime.cli.Invocation;

/**
 * What a listing command (images, ps) prints for scripts, as podman users type it: {@code -q} (ids
 * only), {@code --format json} (an array of objects, keys always in the same order), {@code --format
 * '{{.Field}} ...'} (podman's Go-template subset: fields, {@code \t} and {@code \n}, a leading
 * {@code table} for a header row; a field is a record's key, any case), {@code --format table} (the
 * command's own table). Each row is an ordered map; the command prints its own table otherwise.
 */
final class Listing {
    private static final Pattern FIELD = Pattern.compile("\\{\\{\\s*(?:\\.(\\w+)|json\\s+\\.(\\w*))\\s*}}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String format;
    private final boolean quiet;

    private Listing(String format, boolean quiet) {
        this.format = format;
        this.quiet = quiet;
    }

    /** -q/--quiet and --format, added to a command's options. */
    static Options options(Options options, String what) {
        return options.addOption(Option.builder("q").longOpt("quiet").desc("print only the " + what + " ids").build())
                .addOption(Option.builder().longOpt("format").hasArg().argName("json|table|TEMPLATE")
                        .desc("json, table (default) or a template such as '{{.ID}}\\t{{.Names}}' (fields: the json keys, any case)")
                        .build());
    }

    /** The listing's choices; a template is checked against {@code fields} before anything is read. */
    static Listing of(Invocation in, List<String> fields) {
        String f = in.value("format", "table");
        if (in.has("quiet") && in.has("format")) throw new Invocation.BadValueException("-q and --format: give one");
        Listing l = new Listing(f, in.has("quiet"));
        if (!l.quiet && !l.table() && !f.equals("json")) {
            Matcher m = FIELD.matcher(f);
            boolean any = false;
            while (m.find()) {
                any = true;
                String name = m.group(1) != null ? m.group(1) : m.group(2);
                if (!name.isEmpty() && key(fields, name) == null) {
                    throw new Invocation.BadValueException("--format: no field ." + name + " (fields: " + String.join(", ", fields) + ")");
                }
            }
            if (!any) throw new Invocation.BadValueException("--format '" + f + "': want json, table or a template with {{.Field}}");
        }
        return l;
    }

    /** True when the command prints its own table. */
    boolean table() {
        return !quiet && format.equals("table");
    }

    /** Prints {@code rows} as chosen (not for {@link #table()}); -q prints each {@code id} (an image's as podman: 12 digits). */
    void print(PrintStream out, List<Map<String, Object>> rows, String id) throws java.io.IOException {
        if (quiet) {
            for (Map<String, Object> r : rows) {
                String v = String.valueOf(r.get(id));
                out.println(v.matches("[0-9a-f]{64}") ? v.substring(0, 12) : v);
            }
            return;
        }
        if (format.equals("json")) {
            out.println(JSON.writeValueAsString(rows));
            return;
        }
        String template = format.replace("\\t", "\t").replace("\\n", "\n");
        boolean header = template.startsWith("table ");
        if (header) template = template.substring("table ".length());
        List<String> lines = new ArrayList<>();
        if (header) {
            List<String> fields = rows.isEmpty() ? List.of() : new ArrayList<>(rows.getFirst().keySet());
            lines.add(expand(template, name -> {
                String k = key(fields, name);
                return (k == null ? name : k).toUpperCase(Locale.ROOT);
            }));
        }
        for (Map<String, Object> r : rows) {
            List<String> fields = new ArrayList<>(r.keySet());
            lines.add(expand(template, name -> {
                if (name.isEmpty()) return json(r);
                Object v = r.get(key(fields, name));
                return v instanceof List<?> list ? String.join(" ", list.stream().map(String::valueOf).toList()) : String.valueOf(v);
            }));
        }
        for (String line : lines) out.println(line);
    }

    private static String json(Object value) {
        try {
            return new ObjectMapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage());
        }
    }

    private static String expand(String template, java.util.function.Function<String, String> field) {
        Matcher m = FIELD.matcher(template);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(b, Matcher.quoteReplacement(field.apply(name)));
        }
        m.appendTail(b);
        return b.toString();
    }

    /** The key of {@code fields} that {@code name} means, ignoring case; null when none. */
    private static String key(List<String> fields, String name) {
        for (String f : fields) {
            if (f.equalsIgnoreCase(name)) return f;
        }
        return null;
    }

    /** An ordered record: keys in the order given. */
    static Map<String, Object> row(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }
}
