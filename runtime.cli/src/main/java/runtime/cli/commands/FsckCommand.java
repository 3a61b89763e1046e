package runtime.cli.commands;

import java.util.List;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.StoreCheck;

/**
 * {@code strata fsck [--repair]}: one line per problem; exit 0 when the store is sound, 1 when problems
 * were found (0 again once {@code --repair} fixed them all).
 */
public final class FsckCommand implements Command {
    @Override
    public String name() {
        return "fsck";
    }

    @Override
    public String summary() {
        return "check every layer, name and leftover in the store; --repair removes what is broken";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata fsck --repair", "check the store and remove what is broken"));
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder("r").longOpt("repair")
                .desc("remove broken layers (and the layers built on them), names pointing nowhere and unused leftovers").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected");
        List<StoreCheck.Problem> problems = in.engine().fsck();
        for (StoreCheck.Problem p : problems) in.out().println(p.line());
        if (problems.isEmpty() || !in.has("repair")) return problems.isEmpty() ? 0 : 1;
        List<StoreCheck.Problem> left = in.engine().repair(problems);
        for (StoreCheck.Problem p : left) in.out().println("not repaired: " + p.line());
        if (left.isEmpty()) in.out().println("repaired " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
        return left.isEmpty() ? 0 : 1;
    }
}
