package runtime.cli.commands;

import java.util.ArrayList;
import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.cli.Main;

/**
 * plash's runb: run a command on an image with its changes kept in CHANGESDIR ({@code data/}, with the
 * overlay's {@code work/} beside it, as plash lays it out): {@code strata run --persist CHANGESDIR}.
 */
public final class RunbCommand implements Command {
    @Override
    public String name() {
        return "runb";
    }

    @Override
    public String summary() {
        return "run CMD on IMAGE keeping its changes in CHANGESDIR/data (plash's runb: strata run --persist CHANGESDIR)";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata runb $img ./changes sh -c 'echo hi > /hi' && ls ./changes/data",
                "the run's changes, kept as a directory (add-layer makes them a layer)"));
    }

    @Override
    public String arguments() {
        return "IMAGE CHANGESDIR CMD [ARG...]";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation in) throws Exception {
        List<String> args = in.arguments();
        if (args.size() < 3) throw new Invocation.UsageException("want IMAGE, CHANGESDIR and CMD");
        List<String> run = new ArrayList<>(List.of("run", "--persist", in.path(args.get(1)).toString(), "--", args.get(0)));
        run.addAll(args.subList(2, args.size()));
        return Main.run(in.context().withArgs(run));
    }
}
