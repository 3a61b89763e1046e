package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class PullCommand implements Command {
    @Override
    public String name() {
        return "pull";
    }

    @Override
    public String summary() {
        return "bring an image in from a source (e.g. oci:alpine:3.20) and print its id";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata pull oci:alpine:3.20", "from Docker Hub; prints the image id"),
                new Item("strata pull oci-layout:./layout:1", "from an OCI layout on disk"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_INSECURE_REGISTRIES", "registries (host[:port], comma separated) spoken to over plain HTTP"),
                new Item("STRATA_REGISTRY_USER, STRATA_REGISTRY_PASSWORD", "credentials (else ~/.docker/config.json, $DOCKER_CONFIG)"),
                new Item("STRATA_PLATFORM", "the platform chosen from a manifest list (default: this machine's)"));
    }

    @Override
    public org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(org.apache.commons.cli.Option.builder("q").longOpt("quiet")
                .desc("no progress display on a terminal (there is none on a pipe)").build());
    }

    @Override
    public String arguments() {
        return "SCHEME:REFERENCE|SHORT-NAME";
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(1);
        String reference = in.argument(0, "SCHEME:REFERENCE");
        if (in.engine().sources().forReference(reference).isEmpty()) {
            if (!runtime.core.source.oci.ShortNames.isShortName(reference)) {
                throw new Invocation.UsageException("'" + reference + "' names no image source (strata sources lists them)");
            }
            // podman pull alpine:3.20: a short name through registries.conf.
            in.out().println(in.engine().resolveShortName(reference, runtime.core.Engine.PullPolicy.ALWAYS,
                    new IllegalArgumentException("'" + reference + "' is a short name")).id());
            return 0;
        }
        // As podman pull: the registry is asked even when the store has an image by this name.
        in.out().println(in.engine().resolveImage(reference, runtime.core.Engine.PullPolicy.ALWAYS).id());
        return 0;
    }
}
