package runtime.cli.commands;

import java.nio.file.Path;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.source.oci.ImageExporter;
import runtime.core.store.Layer;

public final class PushCommand implements Command {
    @Override
    public String name() {
        return "push";
    }

    @Override
    public String summary() {
        return "push an image to an OCI registry as REGISTRY/REPO:TAG; prints the pushed digest";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata push busybox localhost:5000/busybox:1", "prints the pushed reference with its digest"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_PUSH_CHUNK_SIZE", "blobs over this many bytes go up in chunks (default 64 MiB)"),
                new Item("STRATA_REGISTRY_USER, STRATA_REGISTRY_PASSWORD", "credentials (else ~/.docker/config.json)"));
    }

    @Override
    public String arguments() {
        return "IMAGE REGISTRY/REPO[:TAG]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        String image = in.argument(0, "IMAGE");
        String target = in.argument(1, "REGISTRY/REPO[:TAG]");
        Engine engine = in.engine();
        Layer layer = engine.resolveImage(image);
        Path scratch = engine.store().newStaging();
        try {
            ImageExporter.Exported exported = ImageExporter.export(engine, layer, scratch, false);
            in.out().println(ImageExporter.push(engine, exported, target));
        } finally {
            engine.store().discard(scratch);
        }
        return 0;
    }
}
