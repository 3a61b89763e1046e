package runtime.cli.commands;

import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.build.BuildScript;

/** plash's eval: the build macros evaluated, printed as the shell script the steps would run; nothing is built. */
public final class EvalCommand implements Command {
    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "print the shell script build macros evaluate to (plash's eval); builds nothing";
    }

    @Override
    public String description() {
        return "Evaluates MACROs as strata build would and prints the result as a shell script: each step's shell lines as "
                + "they would run, and every --from, layer boundary, configuration change and cache key as a quoted ':' line, "
                + "which a shell evaluates to nothing. Nothing is pulled or built; --eval-url and --eval-github fetch their "
                + "buildfiles.";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata eval --eval-file ./app.build", "the script a buildfile stands for"),
                new Item("strata eval --apk git --run 'git --version'", "apk update && apk add git, then git --version"));
    }

    @Override
    public String arguments() {
        return "MACRO [ARG...] ...";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (in.arguments().isEmpty()) throw new Invocation.UsageException("no macros given");
        BuildScript script = BuildScript.fromArguments(in.arguments(), in.cwd(), in.env(), in.stdio().in());
        in.out().print(script.toShell());
        return 0;
    }
}
