package runtime.cli.commands;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import runtime.core.Engine;
import runtime.core.build.BuildScript;
import runtime.core.launch.LaunchException;
import runtime.core.store.Layer;

/**
 * The image the AOT cache's training runs use: made from nothing on the host but strata's own static helper
 * binary (as {@code /usr/bin/true}; without a plan descriptor it exits 0 at once), so training works on any machine.
 */
final class TrainingImage {
    /** The build step whose layer {@link #cacheBuildStep} makes: {@code strata build --from IMAGE --run true}. */
    static final List<String> BUILD_STEP = List.of("--run", "true");

    private TrainingImage() {}

    static Layer create(Engine engine) throws IOException, LaunchException {
        return engine.store().importTar(new ByteArrayInputStream(tar(engine.launcher().helper())), "training");
    }

    /** Makes the layer of {@link #BUILD_STEP} on {@code image} by hand, so that building it is a cache hit. */
    static void cacheBuildStep(Engine engine, Layer image) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("--from", image.id()));
        args.addAll(BUILD_STEP);
        var script = BuildScript.fromArguments(args, Path.of("/"), Map.of());
        var built = (BuildScript.Build) script.segments().get(1);
        Path staging = engine.store().newStaging();
        Files.createDirectory(staging.resolve("root"));
        engine.store().commit(staging, Optional.of(image.id()), built.step().instruction());
        engine.store().discard(staging);
    }

    private static byte[] tar(Path program) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            directory(tar, "etc/");
            file(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0100644);
            directory(tar, "usr/");
            directory(tar, "usr/bin/");
            file(tar, "usr/bin/true", Files.readAllBytes(program), 0100755);
            TarArchiveEntry link = new TarArchiveEntry("bin", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("usr/bin");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
        tar.putArchiveEntry(new TarArchiveEntry(name));
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setMode(mode);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }
}
