package runtime.fs.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.fs.FilesystemDriver;
import runtime.api.fs.MountRequest;
import runtime.api.plan.SetupOp;

/**
 * unionfs-fuse in copy-on-write mode: the most portable union (FUSE 2, no kernel overlay semantics
 * needed). It does not understand overlay whiteouts: it hides a path below branch N when branch N holds
 * {@code .unionfs-fuse/PATH_HIDDEN~}. So the store's layers are shown through a converted view: for
 * each layer with deletions, a metadata-only branch directly above it holds a marker per whiteout
 * (hiding the device node and everything below), and for each layer with opaque directories a
 * metadata-only branch directly below it holds a marker per opaque directory (the directory itself
 * still comes from the layer, its lower contents are hidden). The markers are made in the container's
 * scratch work directory, never in the store; which layers need them is read once per layer and cached
 * beside the layer ({@link LayerMarkers}).
 */
public final class UnionfsFuseDriver implements FilesystemDriver {
    static final String PROGRAM = "unionfs-fuse";
    static final String META = ".unionfs-fuse";
    static final String HIDDEN = "_HIDDEN~";

    @Override
    public String name() {
        return PROGRAM;
    }

    @Override
    public String description() {
        return "unionfs-fuse in copy-on-write mode (FUSE 2)";
    }

    @Override
    public int priority() {
        return 300;
    }

    @Override
    public Probe probe(ProbeContext context) {
        return FuseSupport.probe(context, PROGRAM, "unionfs-fuse", this::mount,
                "unionfs-fuse " + (context.rootless() ? "in a user namespace" : "as root"));
    }

    @Override
    public List<SetupOp> mount(MountRequest request) {
        FuseSupport.refuseSeparators(PROGRAM, request, ":=,");
        List<SetupOp> ops = new ArrayList<>();
        StringBuilder branches = new StringBuilder().append(request.upper()).append("=RW");
        int index = 0;
        for (Path layer : request.layers()) {
            LayerMarkers markers = LayerMarkers.of(layer);
            if (!markers.whiteouts().isEmpty()) {
                Path above = request.work().resolve("w" + index);
                markerOps(ops, above, markers.whiteouts());
                branches.append(':').append(above).append("=RO");
            }
            branches.append(':').append(layer).append("=RO");
            if (!markers.opaques().isEmpty()) {
                Path below = request.work().resolve("o" + index);
                markerOps(ops, below, markers.opaques());
                branches.append(':').append(below).append("=RO");
            }
            index++;
        }
        // hide_meta_files keeps .unionfs-fuse out of directory listings, but unionfs-fuse 1.0 then logs
        // every directory entry to stderr: so the daemon's stderr goes to /dev/null (quiet).
        // suid: setuid programs of the image work as on the other drivers. allow_other: ids other than
        // the container's root (e.g. apt's _apt) may use the mount.
        ops.add(new SetupOp.StartFuse(List.of(FuseSupport.programPath(PROGRAM), "-f",
                "-o", "cow,hide_meta_files,allow_other,suid,fsname=strata",
                branches.toString(), request.target().toString()),
                request.target(), true, FuseSupport.MOUNT_TIMEOUT_MILLIS));
        return ops;
    }

    /** A marker may be a directory: unionfs-fuse only lstat()s it, and MakeDirectories can make those. */
    private static void markerOps(List<SetupOp> ops, Path branch, List<String> relativePaths) {
        ops.add(new SetupOp.MakeDirectories(branch.resolve(META), 0700));
        for (String rel : relativePaths) {
            ops.add(new SetupOp.MakeDirectories(branch.resolve(META).resolve(rel + HIDDEN), 0700));
        }
    }

    @Override
    public void normalizeUpper(Path upper, List<Path> layers, boolean rootStore) throws IOException {
        UpperNormalizer.fromUnionfsFuse(upper, layers, rootStore);
    }
}
