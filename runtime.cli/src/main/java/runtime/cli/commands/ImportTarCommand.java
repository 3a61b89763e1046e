package runtime.cli.commands;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.Layer;

public final class ImportTarCommand implements Command {
    @Override
    public String name() {
        return "import-tar";
    }

    @Override
    public String summary() {
        return "import a root filesystem tar (gz, xz, zstd, bz2 or plain) and print its image id";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("id=$(strata import-tar rootfs.tar.xz)", "a layer from a compressed tar"),
                new Item("scripts/busybox-rootfs | strata import-tar -", "from stdin"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_MAX_LAYER_SIZE", "most bytes a layer may unpack to (default 64g)"),
                new Item("STRATA_MAX_LAYER_ENTRIES", "most entries of a layer (default 4000000)"));
    }

    @Override
    public String arguments() {
        return "[FILE|-]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(1);
        // As plash's import-tar: no FILE reads standard input.
        String file = in.arguments().isEmpty() ? "-" : in.argument(0, "FILE|-");
        Layer layer;
        if (file.equals("-")) {
            layer = in.engine().store().importTar(in.stdio().in(), "standard input");
        } else {
            Path path = in.path(file);
            if (!Files.isRegularFile(path)) throw new IllegalArgumentException(file + ": no such file");
            try (InputStream in2 = Files.newInputStream(path)) {
                layer = in.engine().store().importTar(in2, file);
            }
        }
        in.out().println(layer.id());
        return 0;
    }
}
