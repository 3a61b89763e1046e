package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class PullCommand implements Command {
    @Override
    public String name() {
        return "pull";
    }

    @Override
    public String summary() {
        return "bring an image in from a source (e.g. oci:alpine:3.20) and print its id";
    }

    @Override
    public String arguments() {
        return "SCHEME:REFERENCE";
    }

    @Override
    public int run(Invocation in) throws Exception {
        String reference = in.argument(0, "SCHEME:REFERENCE");
        if (in.engine().sources().forReference(reference).isEmpty()) {
            throw new Invocation.UsageException("'" + reference + "' names no image source (strata sources lists them)");
        }
        in.out().println(in.engine().resolveImage(reference).id());
        return 0;
    }
}
