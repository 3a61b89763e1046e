package runtime.core.source.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;

/**
 * {@code containers-storage:IMAGE}: an image of the caller's local podman image store (containers-storage),
 * or of docker's when only docker is installed, as plash's import-docker takes it from the local docker. The
 * image is written out by the store's own tool ({@code podman image save}, {@code docker save}) in docker's
 * archive format and imported as {@code docker-archive:} does, verified against its config's diff_ids.
 */
public final class ContainersStorageSource implements ImageSource {
    /** podman's name for its local store (podman pull containers-storage:IMAGE). */
    public static final String SCHEME = "containers-storage";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String description() {
        return "an image of the local podman (else docker) image store: containers-storage:IMAGE";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        String label = SCHEME + ":" + reference;
        if (reference.isEmpty() || reference.startsWith("-")) throw new IllegalArgumentException(label + ": expected an image name or id");
        Optional<Path> tool = tool(context.environment(), "podman").or(() -> tool(context.environment(), "docker"));
        if (tool.isEmpty()) throw new IllegalArgumentException(label + ": neither podman nor docker is on PATH");
        Path archive = context.scratch().resolve("image.tar");
        List<String> argv = new ArrayList<>(List.of(tool.get().toString()));
        if (tool.get().getFileName().toString().equals("podman")) argv.addAll(List.of("image", "save", "--format", "docker-archive"));
        else argv.add("save");
        argv.addAll(List.of("-o", archive.toString(), "--", reference));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // The caller's environment: podman finds the caller's store by HOME, XDG_DATA_HOME, XDG_RUNTIME_DIR.
        pb.environment().clear();
        pb.environment().putAll(context.environment());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(label + ": interrupted");
        }
        if (code != 0 || !Files.isRegularFile(archive)) {
            String last = output.strip().lines().reduce((a, b) -> b).orElse("exit status " + code);
            throw new IllegalArgumentException(label + ": " + tool.get().getFileName() + " could not save it: " + last);
        }
        return new DockerArchiveSource().pull(archive.toString(), context);
    }

    private static Optional<Path> tool(Map<String, String> env, String name) {
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }
}
