package runtime.cli.commands;

import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.build.Macros;

/** plash's help-macros: the build macros, one a line (the same table as strata build --help-macros). */
public final class HelpMacrosCommand implements Command {
    @Override
    public String name() {
        return "help-macros";
    }

    @Override
    public String summary() {
        return "list the build macros, one a line (as strata build --help-macros)";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata help-macros | grep from", "the macros that choose a base image"));
    }

    @Override
    public int run(Invocation in) {
        in.atMost(0);
        print(in);
        return 0;
    }

    static void print(Invocation in) {
        in.out().println("Build macros (a buildfile has one per line; see strata help build):");
        in.out().print(Macros.help());
    }
}
