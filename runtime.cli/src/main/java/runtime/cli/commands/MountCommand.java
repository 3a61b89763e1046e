package runtime.cli.commands;

import java.nio.file.Path;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class MountCommand implements Command {
    @Override
    public String name() {
        return "mount";
    }

    @Override
    public String summary() {
        return "as root, mount an image on DIR (changes in CHANGESDIR/data, else discarded by strata umount)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata mount busybox /mnt/x", "mount the image on the host (root); strata umount /mnt/x"));
    }

    @Override
    public String arguments() {
        return "IMAGE DIR [CHANGESDIR]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        var image = in.engine().store().resolve(in.argument(0, "IMAGE"));
        Path dir = in.path(in.argument(1, "DIR"));
        if (in.arguments().size() > 3) throw new Invocation.UsageException("too many arguments");
        Optional<Path> changes = in.arguments().size() > 2 ? Optional.of(in.path(in.arguments().get(2))) : Optional.empty();
        in.engine().mount(image, dir, changes);
        return 0;
    }
}
