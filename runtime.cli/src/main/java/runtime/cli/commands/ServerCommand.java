package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.cli.server.Server;

/** {@code strata __server}: the per-user warm server the native front starts (see runtime.cli.server.Server). */
public final class ServerCommand implements Command {
    @Override
    public String name() {
        return "__server";
    }

    @Override
    public String summary() {
        return "serve this user's strata commands from one warm JVM (started by the front)";
    }

    @Override
    public int run(Invocation in) {
        return Server.run(in.env(), in.err());
    }
}
