package runtime.cli.commands.oci;

import java.util.List;

/** One subcommand of {@code strata oci} (runc's command of the same name). */
interface OciSubcommand {
    List<OciArguments.Flag> flags();

    /** Options end at the first positional argument (exec's command line follows the id). */
    default boolean stopAtFirstPositional() {
        return false;
    }

    int run(OciArguments args, OciContext context) throws Exception;
}
