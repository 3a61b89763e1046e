package runtime.cli.commands;

import java.io.IOException;
import java.util.List;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.launch.LaunchException;

/** Removes layers in bulk: {@code gc} what no name reaches, {@code shrink} plash's older half. */
public final class GcCommand implements Command {
    private interface Removal {
        List<String> remove(Engine engine, boolean dryRun) throws IOException, LaunchException;
    }

    private final String name;
    private final String summary;
    private final Item example;
    private final Removal removal;

    private GcCommand(String name, String summary, Item example, Removal removal) {
        this.name = name;
        this.summary = summary;
        this.example = example;
        this.removal = removal;
    }

    public GcCommand() {
        this("gc", "remove the layers no name reaches (neither named nor below a named one)",
                new Item("strata gc --dry-run", "the layers no name reaches, without removing them"), Engine::collectGarbage);
    }

    /** plash's shrink: the older half of the store goes, oldest leaves first; gc is the careful one. */
    public static GcCommand shrink() {
        return new GcCommand("shrink",
                "remove the older half of all layers, oldest leaf first, names or not (as plash's shrink; gc keeps named ones)",
                new Item("strata shrink -n", "the layers shrink would remove, without removing them"), Engine::shrink);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String summary() {
        return summary;
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(example);
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder("n").longOpt("dry-run").desc("only list what would be removed").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected");
        for (String id : removal.remove(in.engine(), in.has("dry-run"))) in.out().println(id.substring(0, 12));
        return 0;
    }
}
