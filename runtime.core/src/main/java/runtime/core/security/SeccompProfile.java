package runtime.core.security;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A seccomp policy in the Docker/OCI JSON profile format: a default action and rules naming system calls,
 * optionally with argument conditions (SCMP_CMP_EQ, _NE, _MASKED_EQ). Rules that apply only to other
 * architectures, or only when the container holds extra capabilities (includes.caps), are left out:
 * strata's isolated containers never hold those.
 */
public record SeccompProfile(Action defaultAction, List<Rule> rules) {
    /** What the kernel does on a match. */
    public record Action(String name, int errno) {
        static Action parse(String name, JsonNode errnoRet) {
            String n = name.toUpperCase(Locale.ROOT);
            int errno = errnoRet == null || errnoRet.isMissingNode() || errnoRet.isNull() ? 1 : errnoRet.asInt();
            return switch (n) {
                case "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                     "SCMP_ACT_TRAP", "SCMP_ACT_LOG" -> new Action(n, errno);
                default -> throw new IllegalArgumentException("seccomp profile: unsupported action " + name);
            };
        }
    }

    /** A condition on argument {@code index}: EQ/NE compare all 64 bits, MASKED_EQ tests (arg & value) == valueTwo. */
    public record Condition(int index, String op, long value, long valueTwo) {}

    public record Rule(List<String> names, Action action, List<Condition> conditions) {
        public Rule {
            names = List.copyOf(names);
            conditions = List.copyOf(conditions);
        }
    }

    public SeccompProfile {
        rules = List.copyOf(rules);
    }

    public static SeccompProfile read(Path file, String arch) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(java.nio.file.Files.readAllBytes(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("seccomp profile " + file + ": no such file (give a JSON profile, default or unconfined)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("seccomp profile " + file + ": not valid JSON (line "
                    + e.getLocation().getLineNr() + ")");
        }
        return parse(root, "seccomp profile " + file, arch);
    }

    /**
     * A profile in Docker's format or the OCI runtime spec's {@code linux.seccomp} (the same fields
     * without Docker's {@code includes}/{@code excludes}); {@code what} names it in errors.
     */
    public static SeccompProfile parse(JsonNode root, String what, String arch) {
        String file = what.startsWith("seccomp profile ") ? what.substring("seccomp profile ".length()) : what;
        if (!root.has("defaultAction")) throw new IllegalArgumentException("seccomp profile " + file + ": no defaultAction");
        Action def = Action.parse(root.get("defaultAction").asText(), root.path("defaultErrnoRet"));
        String scmpArch = arch.equals("x86_64") ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64";
        List<Rule> rules = new ArrayList<>();
        for (JsonNode s : root.path("syscalls")) {
            JsonNode inc = s.path("includes");
            if (inc.has("caps") && !inc.path("caps").isEmpty()) continue;
            if (inc.has("arches") && !contains(inc.path("arches"), arch, scmpArch)) continue;
            if (s.path("excludes").has("arches") && contains(s.path("excludes").path("arches"), arch, scmpArch)) continue;
            List<String> names = new ArrayList<>();
            if (s.has("name")) names.add(s.get("name").asText());
            s.path("names").forEach(n -> names.add(n.asText()));
            List<Condition> conditions = new ArrayList<>();
            for (JsonNode a : s.path("args")) {
                String op = a.path("op").asText();
                if (!List.of("SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ").contains(op)) {
                    throw new IllegalArgumentException("seccomp profile " + file + ": argument comparison " + op + " is not supported");
                }
                conditions.add(new Condition(a.path("index").asInt(), op, a.path("value").asLong(), a.path("valueTwo").asLong()));
            }
            rules.add(new Rule(names, Action.parse(s.path("action").asText(), s.path("errnoRet")), conditions));
        }
        return new SeccompProfile(def, rules);
    }

    private static boolean contains(JsonNode array, String arch, String scmpArch) {
        for (JsonNode n : array) {
            String v = n.asText();
            if (v.equals(arch) || v.equals(scmpArch) || (arch.equals("x86_64") && v.equals("amd64"))
                    || (arch.equals("aarch64") && v.equals("arm64"))) {
                return true;
            }
        }
        return false;
    }

    /** clone(2) flags that make namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET). */
    static final long CLONE_NAMESPACE_FLAGS = 0x00020000L | 0x02000000L | 0x04000000L | 0x08000000L | 0x10000000L
            | 0x20000000L | 0x40000000L;
    /** ioctl(2) requests that act on a terminal the container shares with its caller: type input into it, console tricks. */
    static final long TIOCSTI = 0x5412, TIOCLINUX = 0x541C;

    /**
     * strata's default for isolated containers, in the spirit of Docker's and containers/common's default:
     * allow everything but the calls that reach past the container (kernel modules, kexec, reboot, clock and
     * swap changes, keyrings, BPF, perf, handle-based opens, namespaces and mounts of its own), which fail
     * with EPERM. Rules are tried in order, the first that matches decides.
     */
    public static SeccompProfile defaults() {
        Action eperm = new Action("SCMP_ACT_ERRNO", 1);
        Action allow = new Action("SCMP_ACT_ALLOW", 0);
        List<String> denied = List.of("acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "clone", "create_module",
                "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms",
                "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
                "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages", "name_to_handle_at",
                "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open", "personality", "pivot_root",
                "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key",
                "set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "syslog", "sysfs", "_sysctl",
                "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vm86", "vm86old");
        List<Rule> rules = new ArrayList<>();
        // personality(2) is denied except for the harmless queries and settings glibc and tools use.
        for (long persona : new long[] {0x0L, 0x0008L, 0x20000L, 0x20008L, 0xffffffffL}) {
            rules.add(new Rule(List.of("personality"), allow, List.of(new Condition(0, "SCMP_CMP_EQ", persona, 0))));
        }
        // clone(2) for processes and threads, never for namespaces: a new user namespace would hold every
        // capability again (as Docker's default, the flags argument masked; "clone" is in the denied list).
        rules.add(new Rule(List.of("clone"), allow, List.of(new Condition(0, "SCMP_CMP_MASKED_EQ", CLONE_NAMESPACE_FLAGS, 0))));
        // clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes libc fall back to clone.
        rules.add(new Rule(List.of("clone3"), new Action("SCMP_ACT_ERRNO", 38), List.of()));
        // The kernel reads the request as 32 bits: compare only those, so high bits set cannot slip past.
        for (long request : new long[] {TIOCSTI, TIOCLINUX}) {
            rules.add(new Rule(List.of("ioctl"), eperm, List.of(new Condition(1, "SCMP_CMP_MASKED_EQ", 0xffffffffL, request))));
        }
        rules.add(new Rule(denied, eperm, List.of()));
        return new SeccompProfile(allow, rules);
    }
}
