package runtime.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.conformance.FilesystemConformance;
import runtime.core.conformance.FilesystemConformance.Outcome;
import runtime.core.conformance.FilesystemConformance.Status;

/**
 * {@code strata check-driver NAME}: the filesystem-driver conformance suite against one driver, in a
 * throwaway store beside the caller's (so a third-party driver on strata's module path can be checked
 * exactly as the built-in ones are). Exit 0 when nothing failed, 1 otherwise.
 */
public final class CheckDriverCommand implements Command {
    @Override
    public String name() {
        return "check-driver";
    }

    @Override
    public String summary() {
        return "run the filesystem-driver conformance suite against a driver";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata check-driver fuse-overlayfs", "the conformance suite on one driver"));
    }

    @Override
    public String arguments() {
        return "DRIVER";
    }

    @Override
    public int run(Invocation in) throws Exception {
        String name = in.argument(0, "DRIVER");
        Engine outer = in.engine();
        outer.drivers().filesystem(name); // an unknown name: one line, before any work
        Path tmp = Files.createDirectories(outer.store().data().resolve("tmp"));
        Path data = Files.createTempDirectory(tmp, "check-driver-");
        Map<String, String> env = new HashMap<>(in.env());
        env.put("STRATA_DATA", data.toString());
        env.remove("STRATA_FS");
        List<Outcome> outcomes;
        try (Engine engine = new Engine(in.caller().withEnv(env))) {
            try {
                outcomes = FilesystemConformance.run(engine, name);
            } finally {
                engine.deleteTree(data);
            }
        }
        int failed = 0, skipped = 0;
        for (Outcome o : outcomes) {
            in.out().println(o);
            if (o.status() == Status.FAIL) failed++;
            if (o.status() == Status.SKIP) skipped++;
        }
        in.out().printf("%s: %d checks, %d failed, %d skipped%n", name, outcomes.size(), failed, skipped);
        return failed == 0 ? 0 : 1;
    }
}
