package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class VersionCommand implements Command {
    @Override
    public String name() {
        return "version";
    }

    @Override
    public String summary() {
        return "print strata's version";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata version", "strata's version and the JDK it runs on"));
    }

    @Override
    public int run(Invocation in) {
        in.atMost(0);
        String v = VersionCommand.class.getModule().getDescriptor() == null ? "dev"
                : VersionCommand.class.getModule().getDescriptor().rawVersion().orElse("dev");
        in.out().println("strata " + v + " (java " + Runtime.version() + ")");
        return 0;
    }
}
