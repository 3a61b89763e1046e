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

    /** The sealed copies made so far: helper path to its copy and the file's identity when copied. */
    private static final java.util.concurrent.ConcurrentHashMap<Path, SealedCopy> SEALED = new java.util.concurrent.ConcurrentHashMap<>();

    private record SealedCopy(Object key, java.nio.file.attribute.FileTime modified, long size, int fd) {
        /** Whether this copy was made of the file as it is now. */
        boolean of(java.nio.file.attribute.BasicFileAttributes now) {
            return key.equals(now.fileKey()) && modified.equals(now.lastModifiedTime()) && size == now.size();
        }
    }

    /**
     * A descriptor of a sealed in-memory copy of {@code helper} (docs/security.md, "sealed self"), made once
     * per JVM and file version, or -1 when none can be made (the helper then makes its own). Run from it,
     * the helper skips its own copy and second exec: ~1 ms of every start that needs the copy. A rebuilt
     * file (another inode, time or size) gets a new copy.
     */
    static int sealedCopy(Path helper) {
        try {
            var attrs = Files.readAttributes(helper, java.nio.file.attribute.BasicFileAttributes.class);
            SealedCopy known = SEALED.get(helper);
            if (known != null && known.of(attrs)) return known.fd();
            synchronized (SEALED) {
                known = SEALED.get(helper);
                if (known != null && known.of(attrs)) return known.fd();
                // The old copy stays open: a launch that took its number may still be spawning from it.
                int fd = runtime.api.sys.Posix.sealedMemfd("strata-helper", Files.readAllBytes(helper));
                SEALED.put(helper, new SealedCopy(attrs.fileKey(), attrs.lastModifiedTime(), attrs.size(), fd));
                return fd;
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private static Path check(Path p) throws LaunchException {
        if (!Files.isExecutable(p)) throw new LaunchException("strata-helper " + p + " is missing or not executable", 125);
        return p;
    }
}
