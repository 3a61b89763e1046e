package runtime.fs.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.fs.FilesystemDriver;
import runtime.api.fs.MountRequest;
import runtime.api.plan.SetupOp;

/**
 * fuse-overlayfs: the overlay semantics and on-disk format (whiteout devices, opaque attributes) in
 * user space, for kernels or setups where the kernel overlay is refused. It reads the store's layers as
 * they are; what it writes rootless ({@code user.fuseoverlayfs.opaque}, {@code .wh..wh..opq}, and
 * {@code .wh.NAME} files where it cannot make device nodes) is converted by {@link #normalizeUpper}.
 */
public final class FuseOverlayDriver implements FilesystemDriver {
    static final String PROGRAM = "fuse-overlayfs";

    @Override
    public String name() {
        return PROGRAM;
    }

    @Override
    public String description() {
        return "overlay in user space (fuse-overlayfs)";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Probe probe(ProbeContext context) {
        return FuseSupport.probe(context, PROGRAM, "fuse-overlayfs", this::mount,
                "fuse-overlayfs " + (context.rootless() ? "in a user namespace" : "as root"));
    }

    @Override
    public List<SetupOp> mount(MountRequest request) {
        FuseSupport.refuseSeparators(PROGRAM, request, ",:");
        String options = "lowerdir=" + request.layers().stream().map(Path::toString).collect(Collectors.joining(":"))
                + ",upperdir=" + request.upper() + ",workdir=" + request.work();
        // -f: the helper keeps the daemon in the foreground and ties its life to the container's (StartFuse).
        // fuse-overlayfs 1.10 adds an option its libfuse rejects and says so on every start ("unknown
        // argument ignored: lazytime"), so it is quiet; a failed start still names it with its status.
        return List.of(new SetupOp.StartFuse(
                List.of(FuseSupport.programPath(PROGRAM), "-f", "-o", options, request.target().toString()),
                request.target(), true, FuseSupport.MOUNT_TIMEOUT_MILLIS));
    }

    @Override
    public void normalizeUpper(Path upper, List<Path> layers, boolean rootStore) throws IOException {
        UpperNormalizer.fromFuseOverlayfs(upper, rootStore);
    }
}
