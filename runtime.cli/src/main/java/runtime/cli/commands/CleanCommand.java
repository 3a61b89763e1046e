package runtime.cli.commands;

import java.nio.file.Path;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;

public final class CleanCommand implements Command {
    @Override
    public String name() {
        return "clean";
    }

    @Override
    public String summary() {
        return "remove leftovers of interrupted strata processes and (as root) unmount stale store mounts";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata clean", "remove leftovers no running strata holds"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected");
        Engine.CleanReport report = in.engine().clean();
        for (Path p : report.unmounted()) in.out().println("unmounted " + p);
        for (Path p : report.removed()) in.out().println("removed " + p);
        return 0;
    }
}
