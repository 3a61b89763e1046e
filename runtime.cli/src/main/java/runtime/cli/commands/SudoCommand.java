package runtime.cli.commands;

import java.util.List;
import java.util.Map;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.launch.Container;
import runtime.core.launch.SignalForwarding;

public final class SudoCommand implements Command {
    @Override
    public String name() {
        return "sudo";
    }

    @Override
    public String summary() {
        return "run a host command (default: $SHELL) as root of a user namespace holding your subordinate ids";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata sudo rm -rf ./dev", "a host command as root over your subordinate ids"));
    }

    @Override
    public String arguments() {
        return "[CMD [ARG...]]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        List<String> argv = in.arguments().isEmpty() ? List.of(shell(in.env())) : List.copyOf(in.arguments());
        Container c = in.engine().sudo(argv, RunCommand.environment(in.env()));
        SignalForwarding.forward(c, in.stdio().inTty());
        return c.waitFor().shellCode();
    }

    /** The caller's login shell for an interactive default: $SHELL, else /bin/sh. */
    static String shell(Map<String, String> env) {
        String shell = env.get("SHELL");
        return shell == null || shell.isEmpty() ? "/bin/sh" : shell;
    }
}
