package runtime.cli.commands;

import java.nio.file.Path;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class UmountCommand implements Command {
    @Override
    public String name() {
        return "umount";
    }

    @Override
    public String summary() {
        return "as root, unmount an image mounted with strata mount";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata umount /mnt/x", "unmount what strata mount mounted"));
    }

    @Override
    public String arguments() {
        return "DIR";
    }

    @Override
    public int run(Invocation in) throws Exception {
        Path dir = in.path(in.argument(0, "DIR"));
        if (in.arguments().size() > 1) throw new Invocation.UsageException("too many arguments");
        in.engine().unmount(dir);
        return 0;
    }
}
