package runtime.cli.commands;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;

/** plash's shrink: the older half of the store goes, oldest leaves first; {@code gc} is the careful one. */
public final class ShrinkCommand implements Command {
    @Override
    public String name() {
        return "shrink";
    }

    @Override
    public String summary() {
        return "remove the older half of all layers, oldest leaf first, names or not (as plash's shrink; gc keeps named ones)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata shrink -n", "the layers shrink would remove, without removing them"));
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder("n").longOpt("dry-run").desc("only list what would be removed").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected");
        for (String id : in.engine().shrink(in.has("dry-run"))) in.out().println(id.substring(0, 12));
        return 0;
    }
}
