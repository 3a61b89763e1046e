package runtime.core.manifest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.plan.SetupOp;
import runtime.core.Engine;
import runtime.core.build.BuildScript;
import runtime.core.build.Builder;
import runtime.core.cgroups.Limits;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.LaunchException;
import runtime.core.security.SecurityOptions;
import runtime.core.store.Layer;

/** Turns a {@link Manifest} into what {@link Engine#run} needs: the image (built if asked) and options. */
public final class ManifestRunner {
    /** A manifest made ready to start. */
    public record Prepared(Layer image, List<String> command, Engine.RunOptions options) {}

    private ManifestRunner() {}

    /**
     * Resolves (or builds) the image and assembles the isolated container's options.
     *
     * @param directory the manifest's directory: builds run there
     * @param progress  where build steps report (stderr)
     */
    public static Prepared prepare(Engine engine, Manifest m, Path directory, PrintStream progress)
            throws IOException, LaunchException {
        // The SDK layers first: a missing one is reported before a build, not after it.
        List<ContainerPlans.ImageBind> images = imageLayers(engine, m);
        Layer image;
        if (m.image().isPresent()) {
            image = engine.resolveImage(m.image().get());
        } else {
            BuildScript script = BuildScript.fromArguments(m.build(), directory, engine.environment());
            image = new Builder(engine, new Builder.Options(false, Optional.empty(), directory, progress)).build(script);
        }
        // Without a hostname the engine gives the container its name, else its id: two containers from one
        // manifest never share one.
        List<String> env = new ArrayList<>(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"));
        m.hostname().ifPresent(h -> env.add("HOSTNAME=" + h));
        // The manifest's env and workdir are set over the image's, as run's --env and --workdir are.
        List<String> overrides = new ArrayList<>();
        for (Map.Entry<String, String> e : m.env().entrySet()) overrides.add(e.getKey() + "=" + e.getValue());
        List<SetupOp.Bind> binds = new ArrayList<>();
        for (Manifest.Mount mount : m.mounts()) {
            binds.add(new SetupOp.Bind(Path.of(mount.source()), Path.of(mount.target().substring(1)), mount.readOnly(), false));
        }
        Limits limits = new Limits(m.limits().memoryBytes(), m.limits().pids(), m.limits().cpus());
        ContainerPlans.Isolation isolation = new ContainerPlans.Isolation(m.hostname(), m.readOnly(), m.name(), m.ports(),
                SecurityOptions.of(m.security().seccomp(), m.security().capAdd(), m.security().capDrop()), limits)
                .withImages(images);
        Engine.RunOptions options = new Engine.RunOptions(Optional.empty(), m.network(), Path.of("/"), env, binds)
                .isolated(isolation)
                .overriding(new Engine.ImageOverrides(Optional.empty(), Optional.empty(), m.workdir().map(Path::of), overrides));
        return new Prepared(image, m.command(), options);
    }

    /**
     * The manifest's SDK layers from the store, by name or id, each as its layer chain: only the store's
     * (no pull, no source), so a layer names what is there; a missing one is one line naming the layer.
     */
    static List<ContainerPlans.ImageBind> imageLayers(Engine engine, Manifest m) {
        List<ContainerPlans.ImageBind> images = new ArrayList<>();
        for (Manifest.ImageLayer layer : m.imageLayers()) {
            Layer found;
            try {
                found = engine.store().resolve(layer.image());
            } catch (runtime.core.store.StoreException e) {
                throw new IllegalArgumentException(layer.key() + ": " + e.getMessage() + "; an SDK layer is a store image: build, import "
                        + "or pull it and name it (strata map " + layer.image() + " ID)", e);
            }
            List<Path> roots = new ArrayList<>();
            for (Layer l : engine.store().chain(found)) roots.add(l.root());
            images.add(new ContainerPlans.ImageBind(layer.image(), roots, Path.of(layer.target())));
        }
        return images;
    }
}
