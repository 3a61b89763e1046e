package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import runtime.core.cgroups.Cgroup;

/**
 * What strata remembers about an OCI container between commands, in {@code ROOT/ID/state.json}: the
 * first process's host pid and its start time (so a reused pid is not mistaken for it), the bundle,
 * the cgroup it made, when it was created. The status is not stored but derived: see {@link #status}.
 */
public record ContainerState(String id, long pid, long startTime, Path bundle, Path rootfs, Instant created,
                             Optional<String> cgroupsPath, Map<String, String> annotations, String ociVersion) {

    public enum Status { CREATED, RUNNING, PAUSED, STOPPED;

        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * created until {@code start} removes the fifo; paused while its group is frozen (created or running
     * before, and again after resume); stopped once the process is gone (or a zombie).
     */
    public Status status(Path directory) {
        if (!ProcessInfo.alive(pid, startTime)) return Status.STOPPED;
        if (cgroupsPath.isPresent() && Cgroup.frozen(cgroupsPath.get())) return Status.PAUSED;
        return Files.exists(directory.resolve(StateStore.START_FIFO)) ? Status.CREATED : Status.RUNNING;
    }

    /** The runtime spec's state JSON (also what hooks read on stdin). */
    public ObjectNode json(Status status) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("ociVersion", ociVersion);
        n.put("id", id);
        n.put("status", status.text());
        n.put("pid", status == Status.STOPPED ? 0 : pid);
        n.put("bundle", bundle.toString());
        n.put("rootfs", rootfs.toString());
        n.put("created", created.toString());
        n.put("owner", "");
        ObjectNode a = n.putObject("annotations");
        annotations.forEach(a::put);
        return n;
    }

    void write(Path file) throws IOException {
        ObjectNode n = json(Status.CREATED);
        n.put("pid", pid);
        n.put("startTime", startTime);
        cgroupsPath.ifPresent(c -> n.put("cgroupsPath", c));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, n.toString());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static ContainerState read(Path file) throws IOException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw e;
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        n.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        return new ContainerState(n.path("id").asText(), n.path("pid").asLong(), n.path("startTime").asLong(),
                Path.of(n.path("bundle").asText()), Path.of(n.path("rootfs").asText()), Instant.parse(n.path("created").asText()),
                n.hasNonNull("cgroupsPath") ? Optional.of(n.path("cgroupsPath").asText()) : Optional.empty(), annotations,
                n.path("ociVersion").asText());
    }
}
