package runtime.cli.commands;

import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.source.oci.ContainersStorageSource;

/** plash's import-docker: an image of the local podman (or docker) store, by name or id. */
public final class ImportDockerCommand implements Command {
    @Override
    public String name() {
        return "import-docker";
    }

    @Override
    public String summary() {
        return "import an image of the local podman (else docker) image store and print its id (pull containers-storage:IMAGE)";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata import-docker docker.io/library/alpine:latest", "podman's alpine, as a strata image"));
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(1);
        String image = in.argument(0, "IMAGE");
        in.out().println(in.engine().resolveImage(ContainersStorageSource.SCHEME + ":" + image).id());
        return 0;
    }
}
