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
 * read_only = false
 * network = "slirp4netns"                # none (default), host, slirp4netns
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
 */
public record Manifest(Optional<String> image, List<String> build, List<String> command, Optional<String> name,
                       Optional<String> hostname, Optional<String> workdir, boolean readOnly, String network,
                       List<String> ports, Map<String, String> env, List<Mount> mounts, Limits limits, Security security) {
    public record Mount(String source, String target, boolean readOnly) {}

    public record Limits(OptionalLong memoryBytes, OptionalLong pids, OptionalDouble cpus) {}

    public record Security(String seccomp, List<String> capAdd, List<String> capDrop) {}
}
