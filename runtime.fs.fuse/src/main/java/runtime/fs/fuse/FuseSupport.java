package runtime.fs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.fs.MountRequest;
import runtime.api.plan.MountFlags;
import runtime.api.plan.SetupOp;

/** What both FUSE drivers need: finding their program, checking /dev/fuse, a trial mount. */
final class FuseSupport {
    /**
     * The helper runs with an empty environment, so programs are looked up here, in the places Debian
     * and source installs put them, and passed to it by absolute path.
     */
    private static final List<String> SEARCH_PATH =
            List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    /** A FUSE daemon that has not mounted within this time is reported as failed (measured: ~5-20 ms). */
    static final int MOUNT_TIMEOUT_MILLIS = 10_000;

    private FuseSupport() {}

    static Optional<Path> program(String name) {
        for (String dir : SEARCH_PATH) {
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The program's absolute path, or its bare name (then the helper's failure names it as not found). */
    static String programPath(String name) {
        return program(name).map(Path::toString).orElse(name);
    }

    /** Why FUSE itself cannot work for this caller, if it cannot: one line a user can act on. */
    static Optional<String> fuseProblem() {
        Path dev = Path.of("/dev/fuse");
        if (!Files.exists(dev)) return Optional.of("/dev/fuse does not exist (modprobe fuse)");
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            String mode;
            try {
                int m = (Integer) Files.getAttribute(dev, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                mode = String.format("%04o", m & 07777);
            } catch (IOException | UnsupportedOperationException e) {
                mode = "unknown";
            }
            return Optional.of("/dev/fuse is not accessible: mode " + mode + " (chmod 0666 /dev/fuse)");
        }
        return Optional.empty();
    }

    /** Tries {@code mount} for real on an empty union in a throwaway container. */
    static Probe probe(ProbeContext context, String program, String packageName,
                       Function<MountRequest, List<SetupOp>> mount, String usableHow) {
        if (program(program).isEmpty()) {
            return Probe.unusable(program + " not installed (apt-get install " + packageName + ")");
        }
        Optional<String> fuse = fuseProblem();
        if (fuse.isPresent()) return Probe.unusable(fuse.get());
        Path scratch = context.scratchDirectory();
        List<SetupOp> ops = new ArrayList<>();
        ops.add(new SetupOp.Mount("tmpfs", scratch, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=0755"));
        for (String dir : List.of("lower", "upper", "work", "merged")) {
            ops.add(new SetupOp.MakeDirectories(scratch.resolve(dir), 0755));
        }
        ops.addAll(mount.apply(new MountRequest(List.of(scratch.resolve("lower")), scratch.resolve("upper"),
                scratch.resolve("work"), scratch.resolve("merged"), context.rootless())));
        Optional<String> failure = context.tryInContainer(ops);
        return failure.map(Probe::unusable).orElseGet(() -> Probe.usable(usableHow));
    }

    /** Paths go into option strings split at these characters; the programs have no escape for them. */
    /** Refuses a request whose layer, upper, work or target path holds one of {@code separators}. */
    static void refuseSeparators(String driver, runtime.api.fs.MountRequest request, String separators) {
        List<Path> paths = new ArrayList<>(request.layers());
        paths.add(request.upper());
        paths.add(request.work());
        paths.add(request.target());
        for (Path p : paths) {
            String s = p.toString();
            for (char c : separators.toCharArray()) {
                if (s.indexOf(c) >= 0) {
                    throw new IllegalArgumentException(driver + " cannot use a path containing '" + c + "': " + s);
                }
            }
        }
    }
}
