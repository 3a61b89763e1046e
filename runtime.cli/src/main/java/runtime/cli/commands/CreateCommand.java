package runtime.cli.commands;

import java.nio.file.Path;
import java.util.Optional;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.build.Builder;
import runtime.core.store.Layer;

public final class CreateCommand implements Command {
    @Override
    public String name() {
        return "create";
    }

    @Override
    public String summary() {
        return "run a command in an image and keep its changes as a new image (prints its id)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata create busybox sh -c 'echo hi > /etc/motd'", "keep the command's changes as a new image; prints its id"));
    }

    @Override
    public String arguments() {
        return "IMAGE [CMD [ARG...]]";
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder().longOpt("fs").hasArg().argName("DRIVER").desc("filesystem driver").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        Layer image = in.engine().resolveImage(in.argument(0, "IMAGE"));
        Path cwd = in.cwd();
        Builder builder = new Builder(in.engine(), new Builder.Options(false, Optional.ofNullable(in.value("fs", null)), cwd, in.err()));
        Layer layer = builder.create(image, in.arguments().subList(1, in.arguments().size()));
        in.out().println(layer.id());
        return 0;
    }
}
