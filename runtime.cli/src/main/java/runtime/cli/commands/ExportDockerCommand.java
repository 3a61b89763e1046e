package runtime.cli.commands;

import java.nio.file.Path;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.source.oci.ImageExporter;
import runtime.core.store.Layer;

public final class ExportDockerCommand implements Command {
    @Override
    public String name() {
        return "export-docker";
    }

    @Override
    public String summary() {
        return "write an image as a docker archive (docker load; read back with docker-archive:FILE)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata export-docker --tag app:1 busybox app.tar", "a docker-archive (docker load reads it)"));
    }

    @Override
    public String arguments() {
        return "IMAGE FILE";
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder().longOpt("tag").hasArg().argName("REPO:TAG")
                .desc("the name docker load gives the image").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        String image = in.argument(0, "IMAGE");
        Path file = in.path(in.argument(1, "FILE"));
        Engine engine = in.engine();
        Layer layer = engine.resolveImage(image);
        Path scratch = engine.store().newStaging();
        try {
            ImageExporter.writeDockerArchive(ImageExporter.export(engine, layer, scratch, true), file, in.value("tag", null));
        } finally {
            engine.store().discard(scratch);
        }
        return 0;
    }
}
