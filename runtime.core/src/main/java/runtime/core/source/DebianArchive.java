package runtime.core.source;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import runtime.core.store.StoreException;

/**
 * The parts of a Debian package archive a bootstrap reads, parsed without I/O so they are unit tested:
 * deb822 control stanzas, the Release file's SHA-256 list, the Packages index, and the choice of
 * packages (Essential: yes and Priority: required, plus what they depend on).
 */
final class DebianArchive {
    private DebianArchive() {}

    /** One deb822 paragraph: fields in order (names case-insensitive), and its original text. */
    record Stanza(Map<String, String> fields, String text) {
        Optional<String> get(String name) {
            return Optional.ofNullable(fields.get(name.toLowerCase(Locale.ROOT)));
        }

        String require(String name, String what) {
            return get(name).orElseThrow(() -> new StoreException(what + " lacks the field " + name));
        }
    }

    /** Splits deb822 text into paragraphs; continuation lines (starting with space or tab) join their field. */
    static List<Stanza> parseStanzas(String text) {
        List<Stanza> result = new ArrayList<>();
        Map<String, String> fields = new LinkedHashMap<>();
        StringBuilder raw = new StringBuilder();
        String last = null;
        for (String line : text.split("\n", -1)) {
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (line.isBlank()) {
                if (!fields.isEmpty()) result.add(new Stanza(fields, raw.toString()));
                fields = new LinkedHashMap<>();
                raw = new StringBuilder();
                last = null;
                continue;
            }
            if (line.startsWith("#")) continue;
            raw.append(line).append('\n');
            if (line.startsWith(" ") || line.startsWith("\t")) {
                if (last == null) throw new StoreException("control data: continuation line without a field: " + line.strip());
                fields.merge(last, "\n" + line.substring(1), String::concat);
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) throw new StoreException("control data: not a field: " + line);
            last = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            fields.put(last, line.substring(colon + 1).strip());
        }
        if (!fields.isEmpty()) result.add(new Stanza(fields, raw.toString()));
        return result;
    }

    /** A file a Release lists: path relative to dists/SUITE/, size and SHA-256. */
    record IndexFile(String path, long size, String sha256) {}

    /** The Release file's SHA256 list, by path. */
    static Map<String, IndexFile> releaseSha256(String release) {
        List<Stanza> stanzas = parseStanzas(release);
        if (stanzas.isEmpty()) throw new StoreException("the Release file is empty");
        String list = stanzas.getFirst().get("SHA256")
                .orElseThrow(() -> new StoreException("the Release file has no SHA256 list (too old an archive?)"));
        Map<String, IndexFile> files = new LinkedHashMap<>();
        for (String line : list.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 3) continue;
            if (!f[0].matches("[0-9a-fA-F]{64}")) throw new StoreException("the Release file has a bad SHA256 line: " + line.strip());
            files.put(f[2], new IndexFile(f[2], Long.parseLong(f[1]), f[0].toLowerCase(Locale.ROOT)));
        }
        return files;
    }

    /**
     * The Packages index of COMPONENT for ARCH that the Release lists, compressed forms first (smaller
     * downloads; all are checked by the same SHA-256 chain).
     */
    static IndexFile packagesIndex(Map<String, IndexFile> release, String component, String arch) {
        String base = component + "/binary-" + arch + "/Packages";
        for (String suffix : List.of(".xz", ".gz", "")) {
            IndexFile f = release.get(base + suffix);
            if (f != null) return f;
        }
        throw new StoreException("the Release file lists no " + base + " (is " + arch + " in the archive?)");
    }

    /** A binary package from the Packages index. */
    record Package(String name, String version, String arch, boolean essential, String priority, String filename,
                   long size, String sha256, List<List<String>> depends, List<String> provides, boolean multiArchSame) {}

    static List<Package> parsePackages(String text, String arch) {
        List<Package> result = new ArrayList<>();
        for (Stanza s : parseStanzas(text)) {
            String name = s.require("Package", "a Packages entry");
            String a = s.get("Architecture").orElse("all");
            if (!a.equals(arch) && !a.equals("all")) continue;
            String sha = s.require("SHA256", "Packages entry " + name).toLowerCase(Locale.ROOT);
            if (!sha.matches("[0-9a-f]{64}")) throw new StoreException("Packages entry " + name + " has a bad SHA256");
            String filename = s.require("Filename", "Packages entry " + name);
            if (filename.startsWith("/") || List.of(filename.split("/")).contains("..")) {
                throw new StoreException("Packages entry " + name + " names a file outside the archive: " + filename);
            }
            List<List<String>> depends = new ArrayList<>();
            depends.addAll(relations(s.get("Pre-Depends").orElse("")));
            depends.addAll(relations(s.get("Depends").orElse("")));
            List<String> provides = new ArrayList<>();
            for (List<String> p : relations(s.get("Provides").orElse(""))) provides.addAll(p);
            result.add(new Package(name, s.get("Version").orElse(""), a,
                    s.get("Essential").orElse("no").equalsIgnoreCase("yes"), s.get("Priority").orElse("optional"),
                    filename, Long.parseLong(s.get("Size").orElse("-1")), sha, List.copyOf(depends), List.copyOf(provides),
                    s.get("Multi-Arch").orElse("").equals("same")));
        }
        return result;
    }

    /**
     * A relationship field as a list of alternatives' package names: version constraints, architecture
     * qualifiers ({@code :any}) and restrictions are dropped, because an archive suite holds one version
     * of each package and a bootstrap installs one architecture.
     */
    static List<List<String>> relations(String field) {
        List<List<String>> result = new ArrayList<>();
        for (String group : field.replace('\n', ' ').split(",")) {
            if (group.isBlank()) continue;
            List<String> alternatives = new ArrayList<>();
            for (String alt : group.split("\\|")) {
                String name = alt.strip().replaceAll("\\(.*?\\)|\\[.*?]|<.*?>", "").strip();
                int colon = name.indexOf(':');
                if (colon >= 0) name = name.substring(0, colon);
                if (!name.isEmpty()) alternatives.add(name);
            }
            if (!alternatives.isEmpty()) result.add(alternatives);
        }
        return result;
    }

    /**
     * The packages a minimal system has: every Essential: yes and Priority: required package, and what
     * they (pre-)depend on. For each dependency the first alternative that is already chosen wins, else the
     * first one the archive has (a real package before a virtual one's first provider, by name).
     * The result lists dependencies before their dependents where there is no cycle (the order maintainer
     * scripts run in).
     */
    static List<Package> resolve(List<Package> packages) {
        Map<String, Package> byName = new LinkedHashMap<>();
        Map<String, List<Package>> providers = new LinkedHashMap<>();
        for (Package p : packages) {
            byName.putIfAbsent(p.name(), p);
            for (String v : p.provides()) providers.computeIfAbsent(v, k -> new ArrayList<>()).add(p);
        }
        providers.values().forEach(l -> l.sort(Comparator.comparing(Package::name)));
        Set<String> chosen = new LinkedHashSet<>();
        List<Package> roots = packages.stream().filter(p -> p.essential() || p.priority().equals("required"))
                .filter(p -> byName.get(p.name()) == p).sorted(Comparator.comparing(Package::name)).toList();
        if (roots.isEmpty()) throw new StoreException("the archive has no Essential or Priority: required packages");
        Map<String, List<Package>> edges = new LinkedHashMap<>();
        List<Package> queue = new ArrayList<>(roots);
        roots.forEach(p -> chosen.add(p.name()));
        // Groups with alternatives wait until every plain dependency is in: then "x | y" takes a y that
        // something else needs anyway instead of adding x as well.
        List<Map.Entry<Package, List<String>>> deferred = new ArrayList<>();
        while (!queue.isEmpty() || !deferred.isEmpty()) {
            if (queue.isEmpty()) {
                var d = deferred.removeFirst();
                choose(d.getKey(), d.getValue(), byName, providers, chosen, edges, queue);
                continue;
            }
            Package p = queue.removeFirst();
            edges.putIfAbsent(p.name(), new ArrayList<>());
            for (List<String> alternatives : p.depends()) {
                if (alternatives.size() > 1) {
                    deferred.add(Map.entry(p, alternatives));
                } else {
                    choose(p, alternatives, byName, providers, chosen, edges, queue);
                }
            }
        }
        // Dependencies first (depth-first post-order); a cycle is cut where it is met.
        List<Package> order = new ArrayList<>();
        Set<String> visiting = new HashSet<>();
        Set<String> done = new HashSet<>();
        for (String name : chosen.stream().sorted().toList()) visit(byName.get(name), edges, visiting, done, order);
        return order;
    }

    private static void choose(Package p, List<String> alternatives, Map<String, Package> byName,
                               Map<String, List<Package>> providers, Set<String> chosen, Map<String, List<Package>> edges,
                               List<Package> queue) {
        Package pick = pick(alternatives, byName, providers, chosen);
        if (pick == null) {
            throw new StoreException("cannot resolve dependency '" + String.join(" | ", alternatives) + "' of "
                    + p.name() + ": not in the archive");
        }
        edges.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(pick);
        if (chosen.add(pick.name())) queue.add(pick);
    }

    private static Package pick(List<String> alternatives, Map<String, Package> byName, Map<String, List<Package>> providers,
                                Set<String> chosen) {
        for (String a : alternatives) {
            if (chosen.contains(a) && byName.containsKey(a)) return byName.get(a);
            for (Package p : providers.getOrDefault(a, List.of())) if (chosen.contains(p.name())) return p;
        }
        for (String a : alternatives) {
            if (byName.containsKey(a)) return byName.get(a);
            List<Package> ps = providers.getOrDefault(a, List.of());
            if (!ps.isEmpty()) return ps.getFirst();
        }
        return null;
    }

    private static void visit(Package p, Map<String, List<Package>> edges, Set<String> visiting, Set<String> done,
                              List<Package> order) {
        if (done.contains(p.name()) || !visiting.add(p.name())) return;
        for (Package d : edges.getOrDefault(p.name(), List.of())) visit(d, edges, visiting, done, order);
        visiting.remove(p.name());
        done.add(p.name());
        order.add(p);
    }

    /**
     * The first Debian-style mirror configured for apt (one-line sources.list or deb822 .sources),
     * whose URL path ends in {@code /NAME} (debian, ubuntu); security and update suites live elsewhere.
     */
    static Optional<String> aptMirror(List<String> sourcesListLines, List<String> deb822Files, String name) {
        List<String> uris = new ArrayList<>();
        for (String line : sourcesListLines) {
            String l = line.strip();
            if (!l.startsWith("deb ")) continue;
            l = l.substring(4).strip();
            if (l.startsWith("[")) {
                int end = l.indexOf(']');
                if (end < 0) continue;
                l = l.substring(end + 1).strip();
            }
            String[] f = l.split("\\s+");
            if (f.length > 0) uris.add(f[0]);
        }
        for (String file : deb822Files) {
            for (Stanza s : parseStanzas(file)) {
                if (!List.of(s.get("Types").orElse("").split("\\s+")).contains("deb")) continue;
                if (s.get("Enabled").orElse("yes").equalsIgnoreCase("no")) continue;
                for (String u : s.get("URIs").orElse("").split("\\s+")) if (!u.isBlank()) uris.add(u);
            }
        }
        return uris.stream().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u)
                .filter(u -> u.startsWith("http://") || u.startsWith("https://"))
                .filter(u -> u.endsWith("/" + name)).findFirst();
    }
}
