package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The namespace shapes and sysctls runc refuses, refused before anything is set up, each with one line
 * that names the field: an unknown or twice-listed namespace, no mount namespace (strata-oci always
 * pivots into its own), id maps without a user namespace, a /proc namespace link of another type, and sysctls that would change the host's (a kernel.* or net.* key the container's own
 * namespaces do not cover).
 */
final class ConfigChecks {
    /** The ipc namespace's sysctls (as runc lists them; fs.mqueue.* too). */
    private static final Set<String> IPC_SYSCTLS = Set.of("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
            "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced");

    private ConfigChecks() {}

    static void check(OciSpec spec) {
        OciSpec.Linux linux = spec.linux();
        Set<String> seen = new HashSet<>();
        for (OciSpec.Namespace ns : linux.namespaces()) {
            if (!OciPlans.NAMESPACES.containsKey(ns.type())) {
                throw new IllegalArgumentException("config.json: unsupported namespace " + (ns.type().isEmpty() ? "(no type)" : ns.type())
                        + " (mount, network, uts, ipc, pid, user, cgroup)");
            }
            if (!seen.add(ns.type())) throw new IllegalArgumentException("config.json: linux.namespaces lists the " + ns.type() + " namespace twice");
        }
        if (linux.namespace("mount").isEmpty()) {
            throw new IllegalArgumentException("config.json: linux.namespaces has no mount namespace; strata-oci runs every container in its own"
                    + " (add {\"type\": \"mount\"})");
        }
        if (linux.namespace("user").isEmpty() && (!linux.uidMappings().isEmpty() || !linux.gidMappings().isEmpty())) {
            throw new IllegalArgumentException("config.json: uidMappings/gidMappings are given but linux.namespaces has no user namespace");
        }
        for (String key : linux.sysctl().keySet()) checkSysctl(linux, key);
    }

    /**
     * What the host's files decide, checked at create: each /proc namespace link is one of its type, and net.*
     * sysctls are not written into the host's network namespace joined by path.
     */
    static void checkPaths(OciSpec spec) {
        for (OciSpec.Namespace ns : spec.linux().namespaces()) ns.path().ifPresent(path -> checkPath(ns.type(), path));
        boolean netSysctls = spec.linux().sysctl().keySet().stream().anyMatch(k -> k.startsWith("net.") || k.startsWith("net/"));
        if (netSysctls && spec.linux().namespace("network").flatMap(OciSpec.Namespace::path).map(ConfigChecks::isOurs).orElse(false)) {
            throw new IllegalArgumentException("config.json: linux.sysctl net.* would change the host's: the network namespace path is the host's own");
        }
    }

    /**
     * A path to join must be absolute, and a /proc/PID/ns/TYPE link must name that type. Whether any
     * other path is a namespace file is left to the helper's open and setns, which run in the caller's
     * mount namespace: this process (the warm server) may see another one, where a file rootless podman
     * bound its network namespace on is the empty file under it.
     */
    private static void checkPath(String type, String path) {
        String field = "config.json: linux.namespaces " + type + " path " + path;
        Path p = Path.of(path);
        if (!p.isAbsolute()) throw new IllegalArgumentException(field + " is not absolute");
        String want = OciPlans.PROC_NAMES.get(type);
        if (want == null || !path.matches("/proc/[^/]+/ns/[a-z_]+") || !Files.isSymbolicLink(p)) return;
        try {
            String target = Files.readSymbolicLink(p).toString();
            if (target.matches("[a-z_]+:\\[\\d+\\]") && !target.startsWith(want + ":")) {
                throw new IllegalArgumentException(field + " is a " + target.substring(0, target.indexOf(':')) + " namespace, not " + want);
            }
        } catch (IOException e) {
            // gone meanwhile: the helper's open says so
        }
    }

    private static void checkSysctl(OciSpec.Linux linux, String given) {
        String key = given.replace('/', '.');
        String field = "config.json: linux.sysctl " + given;
        if (IPC_SYSCTLS.contains(key) || key.startsWith("fs.mqueue.")) {
            if (linux.namespace("ipc").isEmpty()) throw new IllegalArgumentException(field + " would change the host's: it needs an ipc namespace");
            return;
        }
        if (key.startsWith("net.")) {
            if (linux.namespace("network").isEmpty()) {
                throw new IllegalArgumentException(field + " would change the host's: it needs a network namespace of the container's own");
            }
            return;
        }
        if (linux.namespace("uts").isPresent() && key.equals("kernel.domainname")) return;
        if (linux.namespace("uts").isPresent() && key.equals("kernel.hostname")) {
            throw new IllegalArgumentException(field + " conflicts with the config's hostname field: set that instead");
        }
        if (key.startsWith("user.")) {
            if (linux.namespace("user").isEmpty()) throw new IllegalArgumentException(field + " would change the host's: it needs a user namespace");
            return;
        }
        throw new IllegalArgumentException(field + " is not in a namespace of the container's own (it would change the host's)");
    }

    /** The namespace at {@code path} is this process's own network namespace (joining it is the host's network). */
    private static boolean isOurs(String path) {
        try {
            Object ours = Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino");
            Object theirs = Files.getAttribute(Path.of(path), "unix:ino");
            return ours.equals(theirs) && Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:dev").equals(Files.getAttribute(Path.of(path), "unix:dev"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
