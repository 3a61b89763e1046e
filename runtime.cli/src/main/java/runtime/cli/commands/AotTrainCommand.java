package runtime.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Context;
import runtime.cli.Invocation;
import runtime.cli.Main;
import runtime.api.sys.Posix;
import runtime.api.sys.Spawn;
import runtime.core.Engine;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.PlanEncoder;
import runtime.core.store.Layer;
import runtime.core.store.Trees;

/**
 * Hidden: the training run for the JDK's AOT cache that the commands without a cache of their own share
 * (./strata records it on first use after each build; run, build and version have their own, recorded from a
 * real invocation). It walks the code paths of the common commands (parsing, the store, JSON, tar import,
 * drivers, plans, posix_spawn, a run) in a throwaway store, so the cache holds what real commands load.
 */
public final class AotTrainCommand implements Command {
    @Override
    public String name() {
        return "__aot-train";
    }

    @Override
    public String summary() {
        return "internal: the training run for the JDK's AOT cache";
    }

    @Override
    public int run(Invocation in) throws Exception {
        Main.run(quiet(in, Map.of("STRATA_DATA", "/nonexistent/strata-aot"),
                List.of("run", "--debug", "--net", "host", "--bind", "/tmp:/mnt:ro", "0000", "sh", "-c", "true")));
        Main.run(quiet(in, Map.of(), List.of("help", "run")));
        Main.run(quiet(in, Map.of(), List.of("version")));
        Path data = Files.createTempDirectory("strata-aot-");
        try (Engine engine = new Engine(in.caller().withEnv(Map.of("STRATA_DATA", data.toString())))) {
            Layer layer = TrainingImage.create(engine);
            engine.store().resolve(layer.id().substring(0, 8));
            engine.store().list();
            engine.ids();
            var fs = engine.drivers().filesystems().getFirst();
            var net = engine.drivers().network("host").attach(new runtime.api.net.NetworkRequest("train", List.of()));
            var plan = ContainerPlans.sharedHost(List.of(layer.root()), fs, net, engine.ids(), engine.store().mountScratch(),
                    Optional.empty(), false,
                    RunCommand.parseBinds(List.of("/tmp:/mnt:ro"), in.cwd()), Path.of("/"), List.of("true"), RunCommand.environment(in.env()));
            PlanEncoder.encode(plan.steps());
            int[] pipe = Posix.pipe();
            long pid = Spawn.spawn("/bin/true", List.of("true"), List.of(), Map.of(3, pipe[0]));
            Posix.close(pipe[0]);
            Posix.close(pipe[1]);
            Posix.waitpid(pid);
            TrainingImage.cacheBuildStep(engine, layer);
            Main.run(quiet(in, Map.of("STRATA_DATA", data.toString()), List.of("build", "--from", layer.id().substring(0, 12), "--run", "true")));
            // A real run, as the benchmarks and users start one: the image's only program is the static helper
            // binary (it exits at once without a plan), so the training needs nothing from the host.
            Map<String, String> env = new java.util.HashMap<>(in.env());
            env.put("STRATA_DATA", data.toString());
            Main.run(quiet(in, env, List.of("run", layer.id().substring(0, 12), "/usr/bin/true")));
            Main.run(quiet(in, env, List.of("run", "--debug", layer.id().substring(0, 12), "/usr/bin/true")));
            Main.run(quiet(in, Map.of("STRATA_DATA", data.toString()), List.of("images")));
            Optional.of(engine.store().rootShell(engine.store().chain(layer)));
        } finally {
            Trees.deleteRecursively(data);
        }
        return 0;
    }

    /** A real invocation for the caller of the training, with another environment and its output dropped. */
    private static Context quiet(Invocation in, Map<String, String> env, List<String> args) {
        var sink = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        Context.Stdio own = in.stdio();
        return new Context(args, env, in.cwd(), in.context().umask(), new Context.Stdio(own.inFd(), own.outFd(), own.errFd(),
                own.in(), sink, sink, own.inTty(), own.outTty(), own.errTty()), in.context().program());
    }
}
