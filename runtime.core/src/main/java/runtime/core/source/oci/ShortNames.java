package runtime.core.source.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Short names ({@code alpine:3.20}) as podman resolves them through containers-registries.conf(5): an
 * alias of {@code [aliases]} first, else each of {@code unqualified-search-registries} in order. The
 * configuration is {@code $CONTAINERS_REGISTRIES_CONF} alone when set; otherwise
 * {@code ~/.config/containers/registries.conf} for a user who has one, else
 * {@code /etc/containers/registries.conf}, then the drop-ins of {@code registries.conf.d} beside each
 * (Debian's podman ships its aliases there), later files overriding earlier ones.
 */
public final class ShortNames {
    private ShortNames() {}

    /** A reference with no registry: its first component is neither a host (a '.' or ':') nor localhost. */
    public static boolean isShortName(String reference) {
        if (reference.isEmpty() || reference.contains("://")) return false;
        String first = reference.split("/", 2)[0];
        boolean qualified = reference.contains("/") && (first.contains(".") || first.contains(":") || first.equals("localhost"));
        if (qualified) return false;
        try {
            Reference.parse(reference);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The configuration as read: aliases (short name to repository) and the search registries. */
    public record Config(Map<String, String> aliases, List<String> searchRegistries, List<Path> files) {
        /** The fully qualified references to try for {@code shortName}, in order, each with what chose it. */
        public List<Candidate> candidates(String shortName) {
            int at = shortName.indexOf('@');
            int colon = shortName.lastIndexOf(':');
            int split = at >= 0 ? at : colon > shortName.lastIndexOf('/') ? colon : -1;
            String name = split < 0 ? shortName : shortName.substring(0, split);
            String suffix = split < 0 ? "" : shortName.substring(split);
            String alias = aliases.get(name);
            if (alias != null) return List.of(new Candidate(alias + suffix, "the alias in registries.conf"));
            List<Candidate> result = new ArrayList<>();
            for (String registry : searchRegistries) {
                result.add(new Candidate(registry + "/" + name + suffix, "unqualified-search-registries"));
            }
            return result;
        }
    }

    public record Candidate(String reference, String why) {}

    public static Config read(Map<String, String> env) {
        List<Path> files = new ArrayList<>();
        String given = env.get("CONTAINERS_REGISTRIES_CONF");
        if (given != null && !given.isEmpty()) {
            files.add(Path.of(given));
        } else {
            Path user = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config/containers/registries.conf");
            Path main = runtime.api.sys.Posix.getuid() != 0 && Files.isRegularFile(user) ? user : Path.of("/etc/containers/registries.conf");
            files.add(main);
            files.addAll(dropIns(Path.of("/etc/containers/registries.conf.d")));
            if (runtime.api.sys.Posix.getuid() != 0) files.addAll(dropIns(user.resolveSibling("registries.conf.d")));
        }
        Map<String, String> aliases = new LinkedHashMap<>();
        List<String> search = List.of();
        List<Path> read = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) continue;
            TomlParseResult toml;
            try {
                toml = Toml.parse(f);
            } catch (IOException e) {
                throw new OciException(f + ": cannot read it (" + RegistryClient.oneLine(e) + ")");
            }
            if (toml.hasErrors()) {
                var error = toml.errors().getFirst();
                throw new OciException(f + ":" + error.position().line() + ":" + error.position().column() + ": " + error.getMessage().replaceFirst(" \\(line \\d+, column \\d+\\)$", ""));
            }
            read.add(f);
            TomlArray registries = toml.getArray("unqualified-search-registries");
            if (registries != null) {
                List<String> list = new ArrayList<>();
                for (int i = 0; i < registries.size(); i++) {
                    if (!(registries.get(i) instanceof String s)) throw new OciException(f + ": unqualified-search-registries holds a non-string");
                    list.add(s);
                }
                search = list;
            }
            TomlTable table = toml.getTable("aliases");
            if (table != null) {
                for (String key : table.keySet()) {
                    // Keys with dots are quoted in the file ("docker.io/x"): ask by the dotted path as written.
                    Object v = table.get(List.of(key));
                    if (v instanceof String s) aliases.put(key, s);
                }
            }
        }
        return new Config(aliases, search, read);
    }

    private static List<Path> dropIns(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".conf")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
