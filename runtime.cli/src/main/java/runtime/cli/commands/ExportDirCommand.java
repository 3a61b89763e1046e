package runtime.cli.commands;

import java.nio.file.Path;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class ExportDirCommand implements Command {
    @Override
    public String name() {
        return "export-dir";
    }

    @Override
    public String summary() {
        return "copy an image's merged filesystem into DIR (created; must not exist or be empty)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata export-dir busybox ./rootfs", "the merged filesystem as a directory tree"));
    }

    @Override
    public String arguments() {
        return "IMAGE DIR";
    }

    @Override
    public int run(Invocation in) throws Exception {
        var image = in.engine().store().resolve(in.argument(0, "IMAGE"));
        Path dir = in.path(in.argument(1, "DIR"));
        if (in.arguments().size() > 2) throw new Invocation.UsageException("too many arguments");
        in.engine().exportDirectory(image, dir);
        return 0;
    }
}
