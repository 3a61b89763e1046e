package runtime.core.manifest;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * A container described in a file (TOML, in the spirit of squish's squishfile):
 *
 * <pre>
 * image = "busybox"                      # or: build = ["--from", "busybox", "--apk", "python3"]
 * command = ["sh", "-c", "exec httpd -f"]
 * name = "web"
 * hostname = "web"
 * workdir = "/srv"
 * read_only = true                       # the default: a read-only root with tmpfs /tmp, /run, /var/tmp
 * network = "slirp4netns"                # none (default), host, slirp4netns or a named network
 * ports = ["8080:80"]
 * env = { GREETING = "hello" }
 *
 * [[mount]]                              # host directories; read_only defaults to false
 * source = "./site"                      # relative to the manifest's directory
 * target = "/srv"
 * read_only = true
 *
 * [[layer]]                              # extra read-only directories, e.g. an SDK
 * source = "/opt/python-sdk"
 * target = "/sdk/python"
 *
 * [[layer]]                              # ... or a store image's files (strata images), by name or id
 * image = "python-sdk:3.12"
 * target = "/sdk/python"
 *
 * [limits]
 * memory = "256m"
 * pids = 100
 * cpus = 0.5
 *
 * [security]
 * seccomp = "default"                    # unconfined, default, or a profile file
 * cap_add = []
 * cap_drop = []
 * </pre>
 *
 * A manifest describes a service, so its root is read-only unless {@code read_only = false}, as squish
 * mounts its containers' root: what a service writes goes to its tmpfs directories or its mounts.
 */
public record Manifest(Optional<String> image, List<String> build, List<String> command, Optional<String> name,
                       Optional<String> hostname, Optional<String> workdir, boolean readOnly, String network,
                       List<String> ports, Map<String, String> env, List<Mount> mounts, List<ImageLayer> imageLayers,
                       Limits limits, Security security) {
    public Manifest {
        build = List.copyOf(build);
        command = List.copyOf(command);
        ports = List.copyOf(ports);
        mounts = List.copyOf(mounts);
        imageLayers = List.copyOf(imageLayers);
    }

    public record Mount(String source, String target, boolean readOnly) {}

    /**
     * A store image bound read-only at {@code target} (an SDK layer).
     *
     * @param key where the manifest names it ({@code layer[1]}, {@code layers.python}), for the error
     *            when the store has no such image
     */
    public record ImageLayer(String key, String image, String target) {}

    public record Limits(OptionalLong memoryBytes, OptionalLong pids, OptionalDouble cpus) {}

    public record Security(String seccomp, List<String> capAdd, List<String> capDrop) {}

    /** This manifest with another name (run -f's --name). */
    public Manifest withName(String name) {
        return new Manifest(image, build, command, Optional.of(name), hostname, workdir, readOnly, network, ports, env, mounts,
                imageLayers, limits, security);
    }
}
