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
            // As plash: the answer is read from standard input, a terminal or not (echo y | strata purge); only y or yes
            // confirms, and no answer at all (stdin at its end) removes nothing.
            in.err().print("strata: " + what + ". Continue? [y/N] ");
            in.err().flush();
            String answer = new java.io.BufferedReader(new java.io.InputStreamReader(in.stdio().in())).readLine();
            String a = answer == null ? "" : answer.strip().toLowerCase(java.util.Locale.ROOT);
            if (!a.equals("y") && !a.equals("yes")) {
                in.err().println();
                in.err().println("strata: nothing removed" + (answer == null ? " (no answer on standard input; --yes confirms)" : ""));
                return 1;
            }
        }
        in.engine().purge();
        return 0;
    }
}
