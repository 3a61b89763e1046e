package runtime.fs.overlay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.fs.FilesystemDriver;
import runtime.api.fs.MountRequest;
import runtime.api.plan.MountFlags;
import runtime.api.plan.SetupOp;

/**
 * The kernel's overlay filesystem: the fastest union (reads at bare-directory speed). Rootless it needs
 * a kernel that allows overlay in user namespaces (5.11+) and uses {@code userxattr}, so overlay keeps
 * its metadata in {@code user.overlay.*} attributes, which an unprivileged user may write.
 */
public final class KernelOverlayDriver implements FilesystemDriver {
    @Override
    public String name() {
        return "overlay";
    }

    @Override
    public String description() {
        return "kernel overlay filesystem";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Probe probe(ProbeContext context) {
        if (!kernelHasOverlay()) {
            return Probe.unusable("the kernel has no overlay filesystem (modprobe overlay)");
        }
        Path scratch = context.scratchDirectory();
        List<SetupOp> ops = new ArrayList<>();
        ops.add(new SetupOp.Mount("tmpfs", scratch, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=0755"));
        for (String dir : List.of("lower", "upper", "work", "merged")) {
            ops.add(new SetupOp.MakeDirectories(scratch.resolve(dir), 0755));
        }
        ops.addAll(mount(new MountRequest(List.of(scratch.resolve("lower")), scratch.resolve("upper"),
                scratch.resolve("work"), scratch.resolve("merged"), context.rootless())));
        Optional<String> failure = context.tryInContainer(ops);
        return failure.map(f -> Probe.unusable(f + (context.rootless() ? " (rootless overlay needs Linux 5.11+)" : "")))
                .orElseGet(() -> Probe.usable(context.rootless() ? "rootless overlay with userxattr" : "overlay"));
    }

    private static boolean kernelHasOverlay() {
        try {
            return Files.readAllLines(Path.of("/proc/filesystems")).stream().anyMatch(l -> l.endsWith("\toverlay"));
        } catch (IOException e) {
            return true; // cannot tell: let the trial mount decide
        }
    }

    @Override
    public List<SetupOp> mount(MountRequest request) {
        String lower = request.layers().stream().map(p -> escape(p.toString())).collect(Collectors.joining(":"));
        StringBuilder options = new StringBuilder()
                .append("lowerdir=").append(lower)
                .append(",upperdir=").append(escape(request.upper().toString()))
                .append(",workdir=").append(escape(request.work().toString()));
        if (request.rootless()) options.append(",userxattr");
        if (options.length() >= 4096) {
            throw new IllegalArgumentException("too many layers for one overlay mount (" + request.layers().size() + ")");
        }
        return List.of(new SetupOp.Mount("overlay", request.target(), "overlay", 0, options.toString()));
    }

    /** overlay splits its options at commas and lowerdir at colons: escape both in paths. */
    private static String escape(String path) {
        return path.replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:");
    }
}
