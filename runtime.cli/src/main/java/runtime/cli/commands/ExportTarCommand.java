package runtime.cli.commands;

import java.nio.file.Path;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class ExportTarCommand implements Command {
    @Override
    public String name() {
        return "export-tar";
    }

    @Override
    public String summary() {
        return "write an image's merged filesystem as a tar archive to FILE or standard output";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata export-tar busybox out.tar", "the merged filesystem as a tar"),
                new Item("strata export-tar busybox | tar -t", "to stdout"));
    }

    @Override
    public String arguments() {
        return "IMAGE [FILE|-]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        var image = in.engine().store().resolve(in.argument(0, "IMAGE"));
        if (in.arguments().size() > 2) throw new Invocation.UsageException("too many arguments");
        String file = in.arguments().size() > 1 ? in.arguments().get(1) : "-";
        if (file.equals("-") && in.stdio().outTty()) {
            throw new IllegalArgumentException("not writing a tar archive to a terminal: give a FILE or redirect the output");
        }
        in.out().flush();
        in.engine().exportTar(image, file.equals("-") ? Optional.empty() : Optional.of(in.path(file)));
        return 0;
    }
}
