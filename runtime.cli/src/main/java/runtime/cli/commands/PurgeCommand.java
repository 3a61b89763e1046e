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
        return "remove every image and name from the store (asks at a terminal; --yes to skip the question)";
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
            String what = "purge removes every image in " + in.engine().store().data();
            // As plash, a person at a terminal is asked; a script must say --yes.
            if (!in.stdio().inTty()) throw new IllegalArgumentException(what + "; add --yes to do it");
            in.err().print("strata: " + what + ". Continue? [y/N] ");
            in.err().flush();
            String answer = new java.io.BufferedReader(new java.io.InputStreamReader(in.stdio().in())).readLine();
            if (answer == null || !answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y")) {
                in.err().println("strata: nothing removed");
                return 1;
            }
        }
        in.engine().purge();
        return 0;
    }
}
