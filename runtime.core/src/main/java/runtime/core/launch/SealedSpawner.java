package runtime.core.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * {@link Spawner#LOCAL} for a process that starts many containers (the daemon, in the per-user server or
 * {@code strata serve}): the helper runs from a sealed in-memory copy this process made once
 * ({@code /proc/self/fd/N} of a {@link Posix#sealedMemfd}), so it finds itself sealed and skips making its
 * own copy, the ~1.2 ms of each start docs/security.md measures, with the same defence: the helper's
 * {@code /proc/PID/exe} is that sealed copy, which no one can change. A copy is made again when the file
 * changes (a rebuild: another inode, size or time); one that cannot be made (no memfd) leaves the helper
 * to copy itself as it does when spawned by anyone else.
 */
public final class SealedSpawner implements Spawner {
    public static final SealedSpawner INSTANCE = new SealedSpawner();

    /** A copy and the file it was made from. */
    private record Copy(Object fileKey, long size, long modified, int fd) {}

    private final Map<String, Copy> copies = new ConcurrentHashMap<>();

    private SealedSpawner() {}

    @Override
    public Child spawn(String program, List<String> argv, List<String> env, Map<Integer, Integer> fds) throws ErrnoException {
        return LOCAL.spawn(sealed(program), argv, env, fds);
    }

    /** {@code /proc/self/fd/N} of the sealed copy of {@code program}, or {@code program} itself when there can be none. */
    private String sealed(String program) {
        try {
            BasicFileAttributes a = Files.readAttributes(Path.of(program), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            long modified = a.lastModifiedTime().toMillis();
            Copy copy = copies.get(program);
            if (copy == null || !copy.fileKey().equals(a.fileKey()) || copy.size() != a.size() || copy.modified() != modified) {
                synchronized (this) {
                    copy = copies.get(program);
                    if (copy == null || !copy.fileKey().equals(a.fileKey()) || copy.size() != a.size() || copy.modified() != modified) {
                        // The superseded copy stays open: a spawn in flight may still be executing its path.
                        copy = new Copy(a.fileKey(), a.size(), modified, Posix.sealedMemfd("strata-helper", Files.readAllBytes(Path.of(program))));
                        copies.put(program, copy);
                    }
                }
            }
            return "/proc/self/fd/" + copy.fd();
        } catch (IOException | RuntimeException e) { // ErrnoException is an IOException
            return program;
        }
    }
}
