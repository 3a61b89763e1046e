package runtime.cli.commands;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class PurgeCommand implements Command {
    @Override
    public String name() {
        return "purge";
    }

    @Override
    public String summary() {
        return "remove every image and name from the store (needs --yes)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata purge --yes", "remove every layer and name"));
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder().longOpt("yes").desc("really remove everything").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected");
        if (!in.has("yes")) {
            throw new IllegalArgumentException("purge removes every image in " + in.engine().store().data() + "; add --yes to do it");
        }
        in.engine().purge();
        return 0;
    }
}
