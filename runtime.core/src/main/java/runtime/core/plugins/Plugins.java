package runtime.core.plugins;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolutionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Third-party driver and image-source modules, loaded from plugin directories: {@code $STRATA_PLUGINS}
 * (colon-separated), {@code DATA/plugins} and {@code /usr/lib/strata/plugins}. Each entry of a
 * directory is one plugin: a modular jar, or a directory of jars (the plugin and its dependencies).
 *
 * <p>Every plugin gets its own module layer on top of strata's, so a plugin that cannot be resolved
 * (a missing dependency, a split package, a broken jar) is reported by name and affects nothing else.
 * Plugin modules get native access (FFM), as strata's own modules have: a plugin is trusted code that
 * the user installed.
 */
public final class Plugins {
    /** A plugin and its layer, or the reason it could not be loaded. */
    public record Plugin(String name, Path path, Optional<ModuleLayer> layer, Optional<String> problem) {}

    private final List<Plugin> plugins;

    private Plugins(List<Plugin> plugins) {
        this.plugins = List.copyOf(plugins);
    }

    public static final Plugins NONE = new Plugins(List.of());

    public static List<Path> directories(Map<String, String> env, Path data) {
        List<Path> dirs = new ArrayList<>();
        String extra = env.get("STRATA_PLUGINS");
        if (extra != null) {
            for (String d : extra.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        }
        dirs.add(data.resolve("plugins"));
        dirs.add(Path.of("/usr/lib/strata/plugins"));
        return dirs;
    }

    public static Plugins load(List<Path> directories) {
        List<Plugin> found = new ArrayList<>();
        for (Path dir : directories) {
            if (!Files.isDirectory(dir)) continue;
            List<Path> entries;
            try (Stream<Path> s = Files.list(dir)) {
                entries = s.filter(p -> Files.isDirectory(p) || p.toString().endsWith(".jar")).sorted().toList();
            } catch (IOException e) {
                continue;
            }
            for (Path entry : entries) found.add(load(entry));
        }
        return new Plugins(found);
    }

    private static Plugin load(Path entry) {
        String name = entry.getFileName().toString().replaceFirst("\\.jar$", "");
        try {
            ModuleFinder finder = ModuleFinder.of(entry);
            Set<String> roots = finder.findAll().stream().map(r -> r.descriptor().name()).collect(Collectors.toSet());
            if (roots.isEmpty()) return new Plugin(name, entry, Optional.empty(), Optional.of("no module in " + entry));
            ModuleLayer boot = ModuleLayer.boot();
            Configuration cf = boot.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
            ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(boot),
                    ClassLoader.getSystemClassLoader());
            for (Module m : controller.layer().modules()) controller.enableNativeAccess(m);
            return new Plugin(name, entry, Optional.of(controller.layer()), Optional.empty());
        } catch (FindException | ResolutionException | java.lang.LayerInstantiationException | SecurityException e) {
            return new Plugin(name, entry, Optional.empty(), Optional.of(oneLine(e)));
        } catch (IllegalCallerException e) {
            return new Plugin(name, entry, Optional.empty(), Optional.of("strata lacks native access to grant it: " + oneLine(e)));
        }
    }

    /** The layers of the plugins that loaded. */
    public List<ModuleLayer> layers() {
        return plugins.stream().flatMap(p -> p.layer().stream()).toList();
    }

    public List<Plugin> all() {
        return plugins;
    }

    public List<Plugin> broken() {
        return plugins.stream().filter(p -> p.problem().isPresent()).toList();
    }

    private static String oneLine(Exception e) {
        return runtime.core.Errors.oneLine(e); // never a class name (issue 20)
    }

}
