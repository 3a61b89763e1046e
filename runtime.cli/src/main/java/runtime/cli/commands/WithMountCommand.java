package runtime.cli.commands;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.launch.Container;
import runtime.core.launch.SignalForwarding;

public final class WithMountCommand implements Command {
    @Override
    public String name() {
        return "with-mount";
    }

    @Override
    public String summary() {
        return "run a host command (default: $SHELL) in a private mount of an image ($STRATA_MOUNT); changes vanish";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata with-mount busybox ls", "a host command in the mounted image ($STRATA_MOUNT)"));
    }

    @Override
    public String arguments() {
        return "IMAGE [CMD [ARG...]]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        var image = in.engine().store().resolve(in.argument(0, "IMAGE"));
        List<String> command = in.arguments().subList(1, in.arguments().size());
        List<String> argv = command.isEmpty() ? List.of(SudoCommand.shell(in.env())) : List.copyOf(command);
        Container c = in.engine().startWithImage(image, Optional.empty(), Optional.empty(), Optional.of("."),
                mount -> argv, mount -> {
                    List<String> env = new ArrayList<>(RunCommand.environment(in.env()));
                    env.removeIf(e -> e.startsWith("STRATA_MOUNT="));
                    env.add("STRATA_MOUNT=" + mount);
                    return env;
                }, Map.of());
        SignalForwarding.forward(c, in.stdio().inTty());
        return c.waitFor().shellCode();
    }
}
