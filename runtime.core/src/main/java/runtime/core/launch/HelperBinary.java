package runtime.core.launch;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the native helper: {@code -Dstrata.helper} (the JVM's own, set by its launcher), else the
 * caller's {@code $STRATA_HELPER}, else
 * {@code ../libexec/strata-helper} next to the directory holding runtime.core's jar (the layout of
 * strata's distribution: {@code lib/*.jar}, {@code libexec/strata-helper}).
 */
public final class HelperBinary {
    private HelperBinary() {}

    /** The helper for a caller with environment {@code env} in directory {@code cwd}. */
    public static Path locate(java.util.Map<String, String> env, Path cwd) throws LaunchException {
        String property = System.getProperty("strata.helper");
        if (property != null && !property.isEmpty()) return check(Path.of(property));
        String variable = env.get("STRATA_HELPER");
        if (variable != null && !variable.isEmpty()) return check(cwd.resolve(variable));
        try {
            var source = HelperBinary.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                Path jar = Path.of(source.getLocation().toURI());
                Path candidate = jar.getParent().resolveSibling("libexec").resolve("strata-helper");
                if (Files.isExecutable(candidate)) return candidate;
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the error below
        }
        throw new LaunchException("cannot find strata-helper (set STRATA_HELPER or rebuild with scripts/mvn package)", 125);
    }

    private static Path check(Path p) throws LaunchException {
        if (!Files.isExecutable(p)) throw new LaunchException("strata-helper " + p + " is missing or not executable", 125);
        return p;
    }
}
