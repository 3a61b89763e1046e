package runtime.cli.commands.oci;

import java.io.PrintStream;
import java.util.Map;

import runtime.core.launch.LaunchException;
import runtime.core.launch.Launcher;
import runtime.core.oci.OciRuntime;
import runtime.core.oci.StateStore;

/** What every subcommand may use: the state store, the runtime over it, the log, stdout, the environment. */
final class OciContext {
    final StateStore store;
    final OciLog log;
    final PrintStream out;
    final Map<String, String> env;
    private OciRuntime runtime;

    OciContext(StateStore store, OciLog log, PrintStream out, Map<String, String> env) {
        this.store = store;
        this.log = log;
        this.out = out;
        this.env = env;
    }

    /** Made on first use: state, list and kill do not need the helper binary. */
    OciRuntime runtime() throws LaunchException {
        if (runtime == null) runtime = new OciRuntime(store, Launcher.locate(), log::warn, log::debug);
        return runtime;
    }
}
