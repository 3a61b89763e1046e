package runtime.cli.commands;

import java.util.List;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.source.DirSource;
import runtime.core.source.StoreSourceContext;

/** plash's add-layer (stack): a new image whose top layer holds a directory's tree, on IMAGE or as a base. */
public final class AddLayerCommand implements Command {
    @Override
    public String name() {
        return "add-layer";
    }

    @Override
    public String summary() {
        return "add a layer holding DIR's tree on top of IMAGE (0 for none: a base layer) and print the new image's id";
    }

    @Override
    public String description() {
        return "Copies DIR's tree (modes, times, symlinks and hard links kept; ownership too when root runs it) into a new "
                + "layer on top of IMAGE and prints the new image's id. IMAGE 0 makes a base layer, as plash's empty root image "
                + "does. Unlike plash, DIR is copied, not moved: it is left as it was. The same tree on the same image is the "
                + "same layer.";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata add-layer $img ./overlay", "a layer with the files of ./overlay on $img"),
                new Item("strata add-layer 0 ./rootfs", "a base image from a root filesystem directory"));
    }

    @Override
    public String arguments() {
        return "IMAGE|0 DIR";
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (in.arguments().size() != 2) throw new Invocation.UsageException("want IMAGE (or 0) and DIR");
        String image = in.argument(0, "IMAGE");
        Optional<String> parent = image.equals("0") ? Optional.empty() : Optional.of(in.engine().store().resolve(image).id());
        try (StoreSourceContext context = new StoreSourceContext(in.engine())) {
            in.out().println(DirSource.layer(parent, in.argument(1, "DIR"), context));
        }
        return 0;
    }
}
