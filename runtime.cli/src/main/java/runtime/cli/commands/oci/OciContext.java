package runtime.cli.commands.oci;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import runtime.core.Caller;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Launcher;
import runtime.core.oci.OciRuntime;
import runtime.core.oci.StateStore;

/** What every subcommand may use: the state store, the runtime over it, the log, stdout, the caller. */
final class OciContext {
    final StateStore store;
    final OciLog log;
    final PrintStream out;
    final Map<String, String> env;
    /** The caller's standard input ({@code update --resources -}). */
    final java.io.InputStream in;
    private final Caller caller;
    private OciRuntime runtime;

    OciContext(StateStore store, OciLog log, PrintStream out, java.io.InputStream in, Caller caller) {
        this.store = store;
        this.in = in;
        this.log = log;
        this.out = out;
        this.env = caller.env();
        this.caller = caller;
    }

    /** A path given on the command line, resolved against the caller's working directory. */
    Path path(String given) {
        return caller.resolve(Path.of(given));
    }

    /** Made on first use: state, list and kill do not need the helper binary. */
    OciRuntime runtime() throws LaunchException {
        if (runtime == null) runtime = new OciRuntime(store, Launcher.locate(env, caller.cwd()), caller.childStdio(Map.of()), log::warn, log::debug);
        return runtime;
    }
}
