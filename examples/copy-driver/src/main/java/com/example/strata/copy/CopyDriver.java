package com.example.strata.copy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.fs.FilesystemDriver;
import runtime.api.fs.MountRequest;
import runtime.api.plan.SetupOp;

/**
 * The "copy" driver, like podman's vfs: no union filesystem at all. The image's layers are copied into
 * the writable directory, which is then bind-mounted as the root. After a build step the copy is reduced
 * to a diff in the store's format ({@link #normalizeUpper}), so the new layer is as small as with a union
 * filesystem and every driver reads it. Slow, but it needs nothing from the kernel beyond bind mounts.
 */
public final class CopyDriver implements FilesystemDriver {
    private static final List<String> TOOLS = List.of("/bin/sh", "/bin/cp", "/usr/bin/find", "/usr/bin/stat", "/usr/bin/getfattr",
            "/usr/bin/setfattr", "/bin/mknod");

    @Override
    public String name() {
        return "copy";
    }

    @Override
    public String description() {
        return "full copies of the layers, no union filesystem (sample plugin)";
    }

    @Override
    public int priority() {
        return 900;
    }

    @Override
    public Probe probe(ProbeContext context) {
        for (String tool : TOOLS) {
            if (!Files.isExecutable(Path.of(tool))) {
                return Probe.unusable(tool + " is missing (coreutils, findutils and attr are needed)");
            }
        }
        return Probe.usable("copies layers with cp -a");
    }

    @Override
    public List<SetupOp> mount(MountRequest request) {
        String attr = request.rootless() ? "user.overlay.opaque" : "trusted.overlay.opaque";
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", script(), "merge", request.upper().toString(), attr));
        List<Path> bottomFirst = new ArrayList<>(request.layers());
        java.util.Collections.reverse(bottomFirst);
        bottomFirst.forEach(p -> argv.add(p.toString()));
        return List.of(new SetupOp.RunProgram(argv), new SetupOp.Bind(request.upper(), request.target(), false, false));
    }

    /**
     * After a build step: the upper directory holds a complete copy, so reduce it to what the step
     * changed against the layers below: unchanged entries go, entries the step deleted become whiteouts
     * (the store's format), and the opaque marks made for running are removed where the layers below
     * have the directory. Files count as unchanged when type, size, mode, owner and mtime match (cp -a
     * preserves them), as rsync judges.
     */
    @Override
    public void normalizeUpper(Path upper, List<Path> layers, boolean rootStore) throws IOException {
        reduce(upper, layers, Path.of(""), rootStore ? "trusted.overlay.opaque" : "user.overlay.opaque");
    }

    private void reduce(Path upper, List<Path> layers, Path rel, String attr) throws IOException {
        Path dir = upper.resolve(rel.toString());
        java.util.Map<String, Path> lower = merged(layers, rel, attr);
        java.util.Set<String> names = new java.util.TreeSet<>();
        try (var s = Files.list(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        if (!lower.isEmpty() && lower.keySet().stream().noneMatch(names::contains) && !rel.toString().isEmpty()) {
            // Everything below is gone: the directory was emptied or made anew; one opaque mark says so.
            setOpaque(dir, attr);
        } else {
            for (String name : lower.keySet()) {
                if (!names.contains(name)) mknodWhiteout(dir.resolve(name));
            }
        }
        for (String name : names) {
            Path up = dir.resolve(name);
            Path low = lower.get(name);
            if (low == null) {
                // Not below: new, unless it is one of the top-level whiteouts made for running.
                if (isWhiteout(up)) Files.delete(up);
                continue;
            }
            if (isDirectory(up) && isDirectory(low)) {
                removeOpaque(up, attr);
                reduce(upper, layers, rel.resolve(name), attr);
            } else if (same(up, low)) {
                Files.delete(up);
            }
        }
    }

    /** Name -> top-most entry of the layers' merged view of directory {@code rel} (whiteouts and opaque applied). */
    private static java.util.Map<String, Path> merged(List<Path> layers, Path rel, String attr) throws IOException {
        java.util.Map<String, Path> result = new java.util.TreeMap<>();
        java.util.Set<String> deleted = new java.util.HashSet<>();
        for (Path layer : layers) {
            Path d = layer.resolve(rel.toString());
            if (!Files.exists(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
            if (!isDirectory(d)) break; // a file or whiteout here hides the directory below
            try (var s = Files.list(d)) {
                for (Path p : s.toList()) {
                    String name = p.getFileName().toString();
                    if (result.containsKey(name) || deleted.contains(name)) continue;
                    if (isWhiteout(p)) deleted.add(name);
                    else result.put(name, p);
                }
            }
            if (isOpaque(d, attr)) break;
        }
        return result;
    }

    private static boolean same(Path a, Path b) throws IOException {
        var x = Files.readAttributes(a, java.nio.file.attribute.PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        var y = Files.readAttributes(b, java.nio.file.attribute.PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (x.isSymbolicLink() != y.isSymbolicLink() || x.isRegularFile() != y.isRegularFile() || x.isDirectory() != y.isDirectory()) {
            return false;
        }
        if (x.isSymbolicLink()) return Files.readSymbolicLink(a).equals(Files.readSymbolicLink(b));
        return x.size() == y.size() && userXattrs(a).equals(userXattrs(b)) && x.lastModifiedTime().equals(y.lastModifiedTime())
                && x.permissions().equals(y.permissions())
                && Files.getAttribute(a, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        .equals(Files.getAttribute(b, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                && Files.getAttribute(a, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        .equals(Files.getAttribute(b, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                && Files.getAttribute(a, "unix:gid", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        .equals(Files.getAttribute(b, "unix:gid", java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    /** The file's user.* extended attributes (what a rootless step can set). */
    private static java.util.Map<String, String> userXattrs(Path p) throws IOException {
        java.util.Map<String, String> result = new java.util.TreeMap<>();
        var view = Files.getFileAttributeView(p, java.nio.file.attribute.UserDefinedFileAttributeView.class);
        if (view == null) return result;
        for (String name : view.list()) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(view.size(name));
            view.read(name, buf);
            result.put(name, java.util.HexFormat.of().formatHex(buf.array()));
        }
        return result;
    }

    private static void setOpaque(Path dir, String attr) throws IOException {
        try {
            runtime.api.sys.Posix.setxattr(dir.toString(), attr, new byte[] {'y'});
        } catch (runtime.api.sys.ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static boolean isDirectory(Path p) {
        return Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    private static boolean isWhiteout(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return false;
        int mode = (Integer) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == runtime.api.sys.Posix.S_IFCHR
                && (Long) Files.getAttribute(p, "unix:rdev", java.nio.file.LinkOption.NOFOLLOW_LINKS) == 0;
    }

    private static boolean isOpaque(Path dir, String attr) throws IOException {
        try {
            byte[] v = runtime.api.sys.Posix.getxattr(dir.toString(), attr);
            return v != null && v.length == 1 && v[0] == 'y';
        } catch (runtime.api.sys.ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void removeOpaque(Path dir, String attr) throws IOException {
        if (!isOpaque(dir, attr)) return;
        try {
            runtime.api.sys.Posix.removexattr(dir.toString(), attr);
        } catch (runtime.api.sys.ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void mknodWhiteout(Path p) throws IOException {
        try {
            runtime.api.sys.Posix.mknod(p.toString(), runtime.api.sys.Posix.S_IFCHR, 0, 0);
        } catch (runtime.api.sys.ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static String script() {
        try (InputStream in = CopyDriver.class.getResourceAsStream("merge.sh")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
