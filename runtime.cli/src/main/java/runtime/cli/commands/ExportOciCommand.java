package runtime.cli.commands;

import java.nio.file.Path;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.source.oci.ImageExporter;
import runtime.core.store.Layer;

public final class ExportOciCommand implements Command {
    @Override
    public String name() {
        return "export-oci";
    }

    @Override
    public String summary() {
        return "write an image into an OCI image layout directory (read back with oci-layout:DIR:TAG)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata export-oci --tag 1 busybox ./layout", "an OCI image layout; strata pull oci-layout:./layout:1 reads it back"));
    }

    @Override
    public String arguments() {
        return "IMAGE DIR";
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder().longOpt("tag").hasArg().argName("TAG")
                .desc("the image's name in the layout (default latest)").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        String image = in.argument(0, "IMAGE");
        Path dir = in.path(in.argument(1, "DIR"));
        Engine engine = in.engine();
        Layer layer = engine.resolveImage(image);
        Path scratch = engine.store().newStaging();
        try {
            ImageExporter.writeLayout(ImageExporter.export(engine, layer, scratch, false), dir, in.value("tag", "latest"));
        } finally {
            engine.store().discard(scratch);
        }
        return 0;
    }
}
