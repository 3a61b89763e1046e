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
 * the writable directory, which is then bind-mounted as the root; its top-level directories are marked
 * opaque (and top-level names it lacks whited out), so a layer built with this driver is a full snapshot
 * that hides everything below it, and every other driver reads it correctly. Slow and big, but it needs
 * nothing from the kernel beyond bind mounts. (A top-level directory that a build step deletes
 * reappears from the layers below: the marks are made when the copy is.)
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

    private static String script() {
        try (InputStream in = CopyDriver.class.getResourceAsStream("merge.sh")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
