package runtime.cli.commands;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class GcCommand implements Command {
    @Override
    public String name() {
        return "gc";
    }

    @Override
    public String summary() {
        return "remove the layers no name reaches (neither named nor below a named one)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata gc --dry-run", "the layers no name reaches, without removing them"));
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder("n").longOpt("dry-run").desc("only list what would be removed").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected");
        for (String id : in.engine().collectGarbage(in.has("dry-run"))) in.out().println(id.substring(0, 12));
        return 0;
    }
}
