package runtime.cli.commands.oci;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.core.oci.OciRuntime;

/** {@code create [--bundle B] [--pid-file P] [--console-socket S] [--preserve-fds N] ID}: set up, wait for start. */
final class OciCreate implements OciSubcommand {
    static final List<OciArguments.Flag> FLAGS = List.of(OciArguments.Flag.value("bundle", "b"), OciArguments.Flag.value("pid-file"),
            OciArguments.Flag.value("console-socket"), OciArguments.Flag.value("preserve-fds"), OciArguments.Flag.bool("no-pivot"),
            OciArguments.Flag.bool("no-new-keyring"), OciArguments.Flag.value("criu"));

    @Override
    public List<OciArguments.Flag> flags() {
        return FLAGS;
    }

    /** The create options, paths resolved against the caller's working directory (runc's are relative to it). */
    static OciRuntime.CreateOptions options(OciArguments args, boolean attached, OciContext context) {
        return new OciRuntime.CreateOptions(context.path(args.value("bundle").orElse(".")), args.value("pid-file").map(context::path),
                args.value("console-socket").map(context::path), args.intValue("preserve-fds", 0), attached);
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        context.runtime().create(args.id(), options(args, false, context));
        return 0;
    }
}
