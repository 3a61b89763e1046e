package runtime.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * strata started by hand without native access for its modules, as in
 * {@code java --enable-native-access=ALL-UNNAMED -p LIB -m runtime.cli ...}: that flag covers only the class
 * path, so the JVM would print four warnings at the first native calls of runtime.api, runtime.core and
 * jline's FFM terminal. The JVM is started again with the same command line and those modules named, and
 * this one passes on its exit code. (Granting access from inside, through a module layer's controller,
 * is itself a restricted call and warns.) The launchers name the modules, so they never take this path.
 */
final class NativeAccess {
    static final String MODULES = "runtime.api,runtime.core,org.jline.terminal.ffm";
    private static final String AGAIN = "-Dstrata.nativeAccessRestart=1";

    private NativeAccess() {}

    /** The exit code of strata run again with native access, or -1 when this JVM has it (or cannot restart). */
    static int restartWithAccess() throws IOException, InterruptedException {
        Module api = runtime.api.sys.Posix.class.getModule();
        if (!api.isNamed() || api.isNativeAccessEnabled() || System.getProperty("strata.nativeAccessRestart") != null) return -1;
        List<String> argv = new ArrayList<>(List.of(new String(Files.readAllBytes(Path.of("/proc/self/cmdline")),
                StandardCharsets.UTF_8).split("\0")));
        List<String> again = new ArrayList<>(List.of(argv.getFirst(), AGAIN, "--enable-native-access=ALL-UNNAMED," + MODULES));
        // aircompressor's zstd still uses sun.misc.Unsafe: one warning on JDK 24+ otherwise.
        if (Runtime.version().feature() >= 23) again.add("--sun-misc-unsafe-memory-access=allow");
        for (String a : argv.subList(1, argv.size())) {
            if (!a.startsWith("--enable-native-access=")) again.add(a);
        }
        Process p = new ProcessBuilder(again).inheritIO().start();
        // A SIGTERM or SIGHUP for this JVM is for strata: the other one gets it too.
        Thread stop = new Thread(p::destroy);
        Runtime.getRuntime().addShutdownHook(stop);
        int code = p.waitFor();
        Runtime.getRuntime().removeShutdownHook(stop);
        return code;
    }
}
