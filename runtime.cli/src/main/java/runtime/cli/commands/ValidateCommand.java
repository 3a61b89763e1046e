package runtime.cli.commands;

import java.nio.file.Path;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.manifest.ManifestParser;

/** {@code strata validate FILE}: checks a manifest; every problem is printed as FILE:LINE:COLUMN: message. */
public final class ValidateCommand implements Command {
    @Override
    public String name() {
        return "validate";
    }

    @Override
    public String summary() {
        return "check a container manifest (TOML) and print every problem with its line";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata validate web.toml", "every problem of a manifest, with its line"));
    }

    @Override
    public String arguments() {
        return "FILE";
    }

    @Override
    public int run(Invocation in) throws Exception {
        Path file = in.path(in.argument(0, "FILE"));
        try {
            ManifestParser.read(file);
        } catch (ManifestParser.InvalidManifestException e) {
            e.problems().forEach(in.err()::println);
            return 1;
        }
        in.out().println(file + ": ok");
        return 0;
    }
}
