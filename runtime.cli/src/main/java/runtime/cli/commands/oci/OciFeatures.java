package runtime.cli.commands.oci;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code features}: what this runtime implements, in the runtime spec's features.json shape. */
final class OciFeatures implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of();
    }

    @Override
    public int run(OciArguments args, OciContext context) {
        ObjectNode f = new ObjectMapper().createObjectNode();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", "1.1.0");
        strings(f.putArray("hooks"), "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop");
        strings(f.putArray("mountOptions"), "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "bind", "rbind",
                "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable", "noatime", "relatime",
                "strictatime", "nodiratime", "sync", "dirsync", "mand");
        ObjectNode linux = f.putObject("linux");
        strings(linux.putArray("namespaces"), "cgroup", "ipc", "mount", "network", "pid", "user", "uts");
        ObjectNode cgroup = linux.putObject("cgroup");
        cgroup.put("v1", true);
        cgroup.put("v2", true);
        cgroup.put("systemd", false);
        ObjectNode seccomp = linux.putObject("seccomp");
        seccomp.put("enabled", true);
        strings(seccomp.putArray("actions"), "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_LOG");
        strings(seccomp.putArray("operators"), "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ");
        f.putObject("annotations").put("org.opencontainers.runtime-spec.features", "strata");
        context.out.println(f.toPrettyString());
        return 0;
    }

    private static void strings(ArrayNode array, String... values) {
        for (String v : values) array.add(v);
    }
}
