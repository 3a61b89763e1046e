package runtime.core.build;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import runtime.api.plan.SetupOp;
import runtime.api.sys.WaitStatus;
import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.LaunchException;
import runtime.core.launch.SignalForwarding;
import runtime.core.launch.Timings;
import runtime.core.store.ImageConfig;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
import runtime.core.store.Trees;

/**
 * Runs a {@link BuildScript}: each step becomes one layer whose id is the cache key
 * SHA-256(parent id, step instruction). A step whose layer exists is not run. A step runs as root in a
 * container on its parent image, sharing the host like {@code strata run} (so it can read the files
 * --hash-path names), with its changes captured in an overlay upper directory on disk that becomes the
 * new layer by one atomic rename. A failing step keeps nothing and fails the build with its exit code.
 */
public final class Builder {
    /**
     * @param noCache    run every step even when its layer exists (the new layer replaces the old)
     * @param filesystem driver to use, else as for run
     * @param workdir    the caller's working directory: steps start there unless the image sets --workdir
     * @param progress   where step headers go (stderr); the steps' own output goes to stderr too
     */
    public record Options(boolean noCache, Optional<String> filesystem, Path workdir, PrintStream progress) {}

    /** What a step gets as environment, before the image's own variables. */
    static final List<String> BASE_ENVIRONMENT = List.of(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root");

    /** The staging directory's entry for a step's private /tmp. */
    private static final String PRIVATE_TMP = "tmp";

    private final Engine engine;
    private final ImageStore store;
    private final Options options;
    private int built;
    private int cached;

    public Builder(Engine engine, Options options) {
        this.engine = engine;
        this.store = engine.store();
        this.options = options;
    }

    public int stepsBuilt() {
        return built;
    }

    public int stepsCached() {
        return cached;
    }

    /** Builds the script and returns the top layer. */
    public Layer build(BuildScript script) throws IOException, LaunchException {
        Layer current = null;
        List<BuildScript.Segment> segments = script.segments();
        int total = 0;
        for (BuildScript.Segment segment : segments) {
            if (segment instanceof BuildScript.Build) total++;
        }
        int index = 0;
        // instanceof, not a pattern switch: a switch over types spins a class at its first use, ~3 ms of a
        // cold cached build (the AOT cache keeps lambdas, not those).
        for (BuildScript.Segment segment : segments) {
            if (segment instanceof BuildScript.From from) {
                current = from.ifMissing().isPresent() ? fromOrPull(from.reference(), from.ifMissing().get())
                        : engine.resolveImage(from.reference());
            } else if (segment instanceof BuildScript.Build b) {
                index++;
                if (current == null) {
                    throw new IllegalArgumentException("a build starts with --from IMAGE (or -A, -D, -U ...)");
                }
                current = step(current, b.step(), index, total);
            } else {
                throw new IllegalStateException("unknown build segment " + segment);
            }
        }
        if (current == null) throw new IllegalArgumentException("nothing to build: give --from IMAGE and steps");
        return current;
    }

    /** The image named {@code name}, else {@code source} pulled and given the name (plash's -A, -D ...). */
    private Layer fromOrPull(String name, String source) throws IOException {
        Optional<Layer> named = store.mapped(name).flatMap(store::layer);
        if (named.isPresent()) return named.get();
        options.progress().println("strata: no image '" + name + "' in the store: pulling " + source);
        Layer pulled = engine.resolveImage(source);
        store.map(name, Optional.of(pulled.id()));
        return pulled;
    }

    private Layer step(Layer parent, Step step, int index, int total) throws IOException, LaunchException {
        String instruction = step.instruction();
        if (!options.noCache()) {
            Optional<Layer> hit = store.child(parent, instruction);
            if (hit.isPresent()) {
                cached++;
                return hit.get();
            }
        }
        String id = ImageStore.layerId(Optional.of(parent.id()), instruction);
        try (AutoCloseable lock = store.lock(id)) {
            if (!options.noCache()) {
                Optional<Layer> madeMeanwhile = store.layer(id);
                if (madeMeanwhile.isPresent()) {
                    cached++;
                    return madeMeanwhile.get();
                }
            }
            // Concatenated, not printf: a Formatter loads the JDK's locale data (CLDR), ~95 classes outside the
            // AOT cache on an uncached step.
            options.progress().println("strata: step " + index + "/" + total + ": " + step.summary());
            Layer layer = runStep(parent, step, instruction);
            built++;
            return layer;
        } catch (IOException | LaunchException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private Layer runStep(Layer parent, Step step, String instruction) throws IOException, LaunchException {
        ImageConfig config = ImageConfig.read(parent.directory());
        for (ConfigChange change : step.changes()) config = change.applyTo(config);
        Path staging = store.newStaging();
        try {
            Path upper = Files.createDirectory(staging.resolve("root"));
            Path work = Files.createDirectory(staging.resolve("work"));
            for (ConfigChange change : step.changes()) {
                // A working directory the image lacks is made in this layer, as Docker's WORKDIR does.
                if (change instanceof ConfigChange.Workdir w && !existsInImage(parent, w.directory())) {
                    Files.createDirectories(upper.resolve(w.directory().substring(1)));
                }
            }
            if (!step.script().isEmpty()) {
                String script = String.join("\n", step.script());
                List<String> env = stepEnvironment();
                Engine.RunOptions run = new Engine.RunOptions(options.filesystem(), "host",
                        config.workdir().map(Path::of).orElse(options.workdir()),
                        Engine.withImageEnvironment(env, config), privateTmp(staging, options.workdir()),
                        Optional.of(new Engine.WritableLayer(upper, work)), true, true);
                SignalForwarding signals = SignalForwarding.install(engine.caller().stdinTerminal());
                Container container = engine.launch(parent, List.of("/bin/sh", "-e", "-c", script), run, new Timings());
                signals.attach(container);
                WaitStatus status = container.waitFor();
                if (status.shellCode() != 0) {
                    throw new LaunchException("build step failed with exit code " + status.shellCode() + ": " + step.summary(),
                            status.shellCode());
                }
                engine.finishUpper(container, parent, upper);
            }
            engine.deleteTree(work);
            engine.deleteTree(staging.resolve(PRIVATE_TMP));
            config.write(staging);
            return store.commit(staging, Optional.of(parent.id()), instruction, options.noCache());
        } finally {
            store.discard(staging);
        }
    }

    /**
     * A step's own empty /tmp, as plash's build has: what a step leaves there neither reaches the host's
     * /tmp nor lands in the layer (it is deleted with the staging directory's other scratch).
     */
    private static List<SetupOp.Bind> privateTmp(Path staging, Path workdir) throws IOException {
        Path tmp = Files.createDirectory(staging.resolve(PRIVATE_TMP));
        Files.setAttribute(tmp, "unix:mode", 01777);
        List<SetupOp.Bind> binds = new ArrayList<>(List.of(new SetupOp.Bind(tmp, Path.of("tmp"), false, false)));
        Path hostTmp = Path.of("/tmp");
        Path cwd = workdir.toAbsolutePath().normalize();
        if (cwd.startsWith(hostTmp) && !cwd.equals(hostTmp)) {
            // A build run from a directory under /tmp still sees that directory (its files are the build's input).
            Path relative = hostTmp.relativize(cwd);
            Files.createDirectories(tmp.resolve(relative));
            binds.add(new SetupOp.Bind(cwd, Path.of("tmp").resolve(relative), false, true));
        }
        return binds;
    }

    private boolean existsInImage(Layer image, String absolute) {
        for (Layer l : store.chain(image)) {
            if (Files.exists(l.root().resolve(absolute.substring(1)))) return true;
        }
        return false;
    }

    /** A build step's (and create's) clean environment, as plash gives: a fixed PATH and HOME, and the caller's TERM. */
    private List<String> stepEnvironment() {
        List<String> env = new ArrayList<>(BASE_ENVIRONMENT);
        String term = engine.environment().get("TERM");
        if (term != null) env.add("TERM=" + term);
        return env;
    }

    /**
     * {@code strata create}: runs {@code command} on {@code image} like {@code strata run} (but in a build
     * step's clean environment, as plash's create, with the image's configuration) and keeps its changes as
     * a new layer. Never cached: each create is a new layer. Fails, keeping nothing, when the command exits
     * non-zero.
     */
    public Layer create(Layer image, List<String> command) throws IOException, LaunchException {
        String instruction = "create " + java.util.UUID.randomUUID() + (command.isEmpty() ? "" : " " + Shell.quote(command));
        Path staging = store.newStaging();
        try {
            Path upper = Files.createDirectory(staging.resolve("root"));
            Path work = Files.createDirectory(staging.resolve("work"));
            Engine.RunOptions run = new Engine.RunOptions(options.filesystem(), "host", options.workdir(), stepEnvironment(),
                    List.of(), Optional.of(new Engine.WritableLayer(upper, work)), true, true);
            SignalForwarding signals = SignalForwarding.install(engine.caller().stdinTerminal());
            Container container = engine.run(image, command, run, new Timings());
            signals.attach(container);
            WaitStatus status = container.waitFor();
            if (status.shellCode() != 0) {
                throw new LaunchException("create: the command exited with " + status.shellCode() + "; no layer kept",
                        status.shellCode());
            }
            engine.finishUpper(container, image, upper);
            engine.deleteTree(work);
            ImageConfig.read(image.directory()).write(staging);
            return store.commit(staging, Optional.of(image.id()), instruction);
        } finally {
            store.discard(staging);
        }
    }
}
