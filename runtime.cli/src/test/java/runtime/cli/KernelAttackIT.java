package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * The attack suite's kernel part (issue 17, items 1, 3, 4): a static probe (attack/probe.c, compiled here
 * with gcc -static) runs inside isolated containers, with the host's network too, and inside OCI
 * containers that podman starts with strata-oci, and tries for real what a container breaking out would:
 * write /proc/sys/kernel/core_pattern and /proc/sysrq-trigger, read kernel memory and keys, make cgroups,
 * enter new namespaces by clone/clone3/unshare, type into the caller's terminal with TIOCSTI, and the
 * kernel calls podman's profile refuses. Each attempt must be refused, and the host must be untouched.
 * Then strata's defaults are compared with what podman over runc applies on this machine, so a later
 * change cannot quietly drop a mask, a refusal or a capability limit.
 */
class KernelAttackIT {
    /**
     * The kernel interfaces hidden in an isolated container (mount points over its /proc and /sys):
     * read-only, then masked. runc's and podman's defaults together.
     */
    static final Set<String> READ_ONLY = Set.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
    static final Set<String> MASKED = Set.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux",
            "/sys/dev/block", "/sys/devices/virtual/powercap");
    static final Set<String> HIDDEN = union(READ_ONLY, MASKED);

    /** System calls that would reach past the container, with what strata's default filter answers. */
    static final Map<String, String> REFUSED_CALLS = new LinkedHashMap<>();
    static {
        for (String ns : List.of("user", "net", "mount", "pid", "ipc", "uts", "cgroup")) REFUSED_CALLS.put("clone-" + ns, "EPERM");
        REFUSED_CALLS.put("clone3", "ENOSYS");
        REFUSED_CALLS.put("clone3-user", "ENOSYS");
        for (String ns : List.of("user", "net", "mount", "time")) REFUSED_CALLS.put("unshare-" + ns, "EPERM");
        for (String call : List.of("setns", "tiocsti", "tiocsti-high", "tioclinux", "keyctl", "add_key", "request_key", "bpf",
                "perf_event_open", "userfaultfd", "mount", "umount2", "pivot_root", "kexec_load", "init_module", "finit_module",
                "delete_module", "open_by_handle_at", "ptrace", "personality")) {
            REFUSED_CALLS.put(call, "EPERM");
        }
    }

    static Installation strata;
    /** A world-readable directory with the static probe, bound into containers at /p. */
    static Path probeDirectory;
    private static final Map<Mode, Podman> podmen = new EnumMap<>(Mode.class);
    private static final String TOKEN = "strata-attack-" + ProcessHandle.current().pid();

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
        probeDirectory = strata.home.resolve("attack");
        Files.createDirectories(probeDirectory);
        Path source = probeDirectory.resolve("probe.c");
        try (InputStream in = KernelAttackIT.class.getResourceAsStream("attack/probe.c")) {
            Files.copy(in, source);
        }
        Installation.exec(List.of("gcc", "-O2", "-Wall", "-Werror", "-static", "-o", probeDirectory.resolve("probe").toString(), source.toString()));
        Installation.exec(List.of("chmod", "-R", "a+rX", probeDirectory.toString()));
        try (InputStream in = KernelAttackIT.class.getResourceAsStream("pty-run.py")) {
            Files.copy(in, probeDirectory.resolve("pty-run.py"));
        }
        Installation.exec(List.of("chmod", "a+r", probeDirectory.resolve("pty-run.py").toString()));
    }

    @AfterAll
    static void removePodmanStorage() throws Exception {
        for (Podman p : podmen.values()) p.close();
    }

    private static synchronized Podman podman(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed (scripts/test-setup installs it)");
        Podman p = podmen.get(mode);
        if (p == null) {
            p = Podman.create(strata, mode);
            podmen.put(mode, p);
        }
        return p;
    }

    private static String runc() {
        return Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : "/usr/bin/runc";
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    static Stream<Arguments> modesAndNetworks() {
        List<Arguments> all = new ArrayList<>();
        for (Mode m : Mode.values()) for (String net : List.of("none", "host")) all.add(Arguments.of(m, net));
        return all.stream();
    }

    /** "NAME RESULT" lines of the probe, in order. */
    private static Map<String, String> results(Result r) {
        assertEquals(0, r.exitCode(), () -> "the probe ran: " + r.out() + r.err());
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : r.out().lines().toList()) {
            int space = line.lastIndexOf(' ');
            if (space > 0) out.put(line.substring(0, space), line.substring(space + 1));
        }
        return out;
    }

    /** What a container breaking out through /proc and /sys tries: each must be refused (masked files read as empty). */
    private static List<String> kernelInterfaceAttacks() throws Exception {
        List<String> attempts = new ArrayList<>(List.of("write:/proc/sys/kernel/core_pattern:|/proc/%P/root/payload",
                "write:/proc/sysrq-trigger:h", "read:/proc/kcore", "read:/proc/keys", "read:/proc/timer_list",
                "mkdir:/sys/fs/cgroup/" + TOKEN, "write:/sys/fs/cgroup/cgroup.procs:1"));
        // On a cgroup v1 (or hybrid) host each hierarchy is a tree of its own.
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.filter(Files::isDirectory).filter(p -> !Files.isSymbolicLink(p)).sorted().toList()) {
                attempts.add("mkdir:/sys/fs/cgroup/" + h.getFileName() + "/" + TOKEN);
            }
        }
        return attempts;
    }

    /** Cgroups the attacks might have made anywhere on the host, as paths. */
    private static List<String> cgroupsMade() throws Exception {
        Result found = Installation.run(List.of("find", "/sys/fs/cgroup", "-maxdepth", "12", "-name", TOKEN), Path.of("/"), null, 60);
        return found.out().lines().toList();
    }

    /** Runs the attacks with {@code inContainer}, then checks the host: core_pattern as before, no cgroup made. */
    private static Map<String, String> attackTheHost(java.util.concurrent.Callable<Result> inContainer) throws Exception {
        Path corePattern = Path.of("/proc/sys/kernel/core_pattern");
        String before = Files.readString(corePattern);
        try {
            Map<String, String> seen = results(inContainer.call());
            assertEquals(before, Files.readString(corePattern), "the host's core_pattern is unchanged");
            assertEquals(List.of(), cgroupsMade(), "no cgroup was made on the host");
            return seen;
        } finally {
            if (!Files.readString(corePattern).equals(before) && strata.runningAsRoot) Files.writeString(corePattern, before);
            for (String made : cgroupsMade()) Files.deleteIfExists(Path.of(made));
        }
    }

    private static void assertAllRefused(Map<String, String> seen, List<String> attempts, String where) {
        assertEquals(attempts, List.copyOf(seen.keySet()), where + ": every attempt reported");
        seen.forEach((attempt, result) -> assertNotEquals("ok", result, where + ": " + attempt + " must be refused"));
    }

    /** Item 1: run -I, with its own network and with the host's, as root and rootless. */
    @ParameterizedTest(name = "{0} --net {1}")
    @MethodSource("modesAndNetworks")
    void anIsolatedContainerCannotWriteTheHostsKernelSettingsOrReadItsMemory(Mode mode, String net) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        List<String> attempts = kernelInterfaceAttacks();
        List<String> args = new ArrayList<>(List.of("run", "-I", "--net", net, "--bind", probeDirectory + ":/p:ro", id, "/p/probe"));
        args.addAll(attempts);
        Map<String, String> seen = attackTheHost(() -> strata.strata(mode, data, strata.home, Map.of(), null, args.toArray(String[]::new)));
        assertAllRefused(seen, attempts, "run -I --net " + net);
        Result mounts = strata.strata(mode, data, strata.home, Map.of(), null, "run", "-I", "--net", net, id, "cat", "/proc/self/mountinfo");
        assertEquals(0, mounts.exitCode(), mounts.err());
        for (String line : mounts.out().lines().toList()) {
            String[] f = line.split(" ");
            boolean writable = f[5].startsWith("rw");
            if (f[4].startsWith("/sys") || READ_ONLY.contains(f[4])) assertFalse(writable, "writable in the container: " + line);
        }
    }

    /** Item 1, a manifest's container (`run -f`; the daemon starts manifests through the same plan). */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aManifestsContainerCannotWriteTheHostsKernelSettingsOrReadItsMemory(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        List<String> attempts = kernelInterfaceAttacks();
        List<String> command = new ArrayList<>(List.of("/p/probe"));
        command.addAll(attempts);
        String toml = "image = \"" + id + "\"\ncommand = [" + String.join(", ", command.stream().map(a -> "'" + a + "'").toList()) + "]\n"
                + "[[mount]]\nsource = \"" + probeDirectory + "\"\ntarget = \"/p\"\nread_only = true\n";
        Path manifest = wd.resolve("attack.toml");
        Files.writeString(manifest, toml);
        Installation.exec(List.of("chmod", "a+r", manifest.toString()));
        Map<String, String> seen = attackTheHost(() -> strata.strata(mode, data, wd, Map.of(), null, "run", "-f", manifest.toString()));
        assertAllRefused(seen, attempts, "run -f");
    }

    /** Item 1, the OCI path: podman's maskedPaths and readonlyPaths (and its sysctl) come through strata-oci. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anOciContainerCannotWriteTheHostsKernelSettingsOrReadItsMemory(Mode mode) throws Exception {
        Podman podman = podman(mode);
        String runtime = strata.home.resolve("strata-oci").toString();
        List<String> attempts = new ArrayList<>(kernelInterfaceAttacks());
        // On a cgroup v1 host, /sys/fs/cgroup is a tmpfs of the container's own holding the hierarchies,
        // writable as runc leaves it (OciRuntimeDifferentialIT): a directory there is no cgroup, and stays inside.
        if (!Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) attempts.remove("mkdir:/sys/fs/cgroup/" + TOKEN);
        List<String> args = new ArrayList<>(List.of("run", "--rm", "-v", probeDirectory + ":/p:ro", Podman.IMAGE, "/p/probe"));
        args.addAll(attempts);
        Map<String, String> seen = attackTheHost(() -> podman.run(args, runtime));
        assertAllRefused(seen, attempts, "podman --runtime strata-oci");
        // The same kernel interfaces hidden as with runc.
        assertEquals(hiddenKernelMounts(podman.run(List.of("run", "--rm", Podman.IMAGE, "cat", "/proc/self/mountinfo"), runc())),
                hiddenKernelMounts(podman.run(List.of("run", "--rm", Podman.IMAGE, "cat", "/proc/self/mountinfo"), runtime)),
                "podman's masked and read-only paths under strata-oci and under runc");
    }

    /** Mount points over /proc and /sys (below their roots) with their read-only flag, from mountinfo. */
    private static Map<String, Boolean> hiddenKernelMounts(Result mountinfo) {
        assertEquals(0, mountinfo.exitCode(), mountinfo.err());
        Map<String, Boolean> out = new java.util.TreeMap<>();
        for (String line : mountinfo.out().lines().toList()) {
            String[] f = line.split(" ");
            if ((f[4].startsWith("/proc/") || f[4].startsWith("/sys/")) && !f[4].startsWith("/sys/fs/cgroup")) {
                out.put(f[4], f[5].startsWith("ro"));
            }
        }
        return out;
    }

    /** Item 4: the default filter, performed for real, as root and rootless; and what it still allows. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void theDefaultFilterRefusesNamespacesTerminalInjectionAndKernelFacilities(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        List<String> args = new ArrayList<>(List.of("run", "-I", "--bind", probeDirectory + ":/p:ro", id, "/p/probe", "fork"));
        args.addAll(REFUSED_CALLS.keySet());
        Map<String, String> seen = results(strata.strata(mode, data, strata.home, Map.of(), null, args.toArray(String[]::new)));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("fork", "ok");
        expected.putAll(REFUSED_CALLS);
        assertEquals(expected, seen);
        // Threads still start: busybox's shell forks, and a multi-threaded program would take the clone path too.
        Result shell = strata.strata(mode, data, strata.home, Map.of(), null, "run", "-I", id, "sh", "-c", "echo $(echo nested)");
        assertEquals("nested", shell.line(), shell.err());
    }

    /**
     * Item 3: on a real terminal (a pty of its own, as a person's), the container tries TIOCSTI on its
     * stdin, the caller's terminal; then the caller's shell reads what is queued for it. The same probe
     * run directly in that shell shows the check can see an injection.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anIsolatedContainerCannotTypeIntoTheCallersTerminal(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        String probe = probeDirectory.resolve("probe").toString();
        String container = String.join(" ", strata.command(mode, data, Map.of(),
                List.of("run", "-I", "--bind", probeDirectory + ":/p:ro", id, "/p/probe", "tiocsti", "tiocsti-high")));
        assertEquals("queued:[xx]", queuedLine(probe + " tiocsti tiocsti-high; " + QUEUED, "ok"), "the check sees an injection on the host");
        assertEquals("queued:[]", queuedLine(container + "; " + QUEUED, "EPERM"), "nothing typed into the caller's shell");
        // Without the caller's terminal as its own, Ctrl-C still ends the container's foreground work, children too.
        List<String> sleeper = strata.command(mode, data, Map.of(), List.of("run", "-I", id, "sh", "-c", "echo ready; sleep 60; echo slept"));
        List<String> typed = new ArrayList<>(List.of("python3", probeDirectory.resolve("pty-run.py").toString(), "ready", "\u0003", "--"));
        typed.addAll(sleeper);
        Result interrupted = Installation.run(typed, strata.home, null, 120);
        assertEquals(130, interrupted.exitCode(), interrupted.out() + interrupted.err());
        assertFalse(interrupted.out().contains("slept"), interrupted.out());
    }

    /** Item 3, the OCI path: `strata oci run` of a bundle without a terminal of its own, on the caller's terminal. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anOciContainerCannotTypeIntoTheCallersTerminal(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = work.resolve("bundle");
        List<String> as = mode == Mode.ROOTLESS && strata.runningAsRoot ? List.of("runuser", "-u", Installation.TEST_USER, "--") : List.of();
        java.util.function.Function<List<String>, List<String>> asUser = cmd -> {
            List<String> all = new ArrayList<>(as);
            all.addAll(cmd);
            return all;
        };
        Installation.exec(asUser.apply(List.of("mkdir", "-p", bundle.resolve("rootfs").toString())));
        Installation.exec(asUser.apply(List.of("tar", "-C", bundle.resolve("rootfs").toString(), "-xf", strata.rootfsTar.toString())));
        Installation.exec(asUser.apply(mode == Mode.ROOT ? List.of(runc(), "spec", "--bundle", bundle.toString())
                : List.of(runc(), "spec", "--rootless", "--bundle", bundle.toString())));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var spec = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(bundle.resolve("config.json").toFile());
        var process = (com.fasterxml.jackson.databind.node.ObjectNode) spec.path("process");
        process.put("terminal", false);
        process.putArray("args").add("/p/probe").add("tiocsti").add("tiocsti-high");
        var probeMount = spec.withArray("mounts").addObject();
        probeMount.put("destination", "/p").put("type", "bind").put("source", probeDirectory.toString());
        probeMount.putArray("options").add("rbind").add("ro");
        Path config = work.resolve("config.json");
        Files.writeString(config, spec.toPrettyString());
        Installation.exec(List.of("chmod", "a+r", config.toString()));
        Installation.exec(asUser.apply(List.of("cp", config.toString(), bundle.resolve("config.json").toString())));
        String container = String.join(" ", strata.command(mode, work, Map.of(), List.of("oci", "--root", work.resolve("state").toString(),
                "run", "--bundle", bundle.toString(), "tiocsti-" + mode.name().toLowerCase())));
        assertEquals("queued:[]", queuedLine(container + "; " + QUEUED, "EPERM"), "nothing typed into the caller's shell");
    }

    /** Prints "queued:[...]" with what the shell would read next from its terminal: non-canonical, without waiting. */
    private static final String QUEUED = "stty -icanon min 0 time 0; printf 'queued:[%s]\\n' \"$(dd bs=64 count=1 2>/dev/null)\"";

    /**
     * Runs {@code script} (ending with {@link #QUEUED}) on a new terminal; asserts the probe there reported
     * both TIOCSTI attempts as {@code result} (so a container that never started cannot pass), and
     * returns the queued line.
     */
    private static String queuedLine(String script, String result) throws Exception {
        Result r = Installation.run(List.of("python3", probeDirectory.resolve("pty-run.py").toString(), "\u0001never-shown", "",
                "--", "sh", "-c", script), strata.home, null, 120);
        assertEquals(0, r.exitCode(), r.out() + r.err());
        List<String> shown = r.out().lines().map(String::strip).toList();
        for (String attempt : List.of("tiocsti ", "tiocsti-high ")) {
            assertTrue(shown.stream().anyMatch(l -> l.endsWith(attempt + result)), "the probe reported " + attempt + result + ": " + r.out());
        }
        return shown.stream().filter(l -> l.startsWith("queued:")).findFirst()
                .orElseThrow(() -> new AssertionError("no queued line: " + r.out()));
    }

    /**
     * strata's defaults against podman over runc on this machine: every call podman's container is refused,
     * strata's is refused too; every kernel interface podman hides is hidden (read-only where podman makes it
     * read-only); the capability sets are no larger.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void theDefaultsAreAtLeastAsStrictAsPodmanOverRunc(Mode mode) throws Exception {
        Podman podman = podman(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        List<String> calls = new ArrayList<>(REFUSED_CALLS.keySet());
        List<String> podmanArgs = new ArrayList<>(List.of("run", "--rm", "-v", probeDirectory + ":/p:ro", Podman.IMAGE, "/p/probe"));
        podmanArgs.addAll(calls);
        Map<String, String> reference = results(podman.run(podmanArgs, runc()));
        List<String> strataArgs = new ArrayList<>(List.of("run", "-I", "--bind", probeDirectory + ":/p:ro", id, "/p/probe"));
        strataArgs.addAll(calls);
        Map<String, String> ours = results(strata.strata(mode, data, strata.home, Map.of(), null, strataArgs.toArray(String[]::new)));
        long podmanRefuses = reference.values().stream().filter(r -> !r.equals("ok")).count();
        assertTrue(podmanRefuses >= 10, "podman over runc refuses the kernel facilities: " + reference);
        reference.forEach((call, result) -> {
            if (!result.equals("ok")) assertNotEquals("ok", ours.get(call), call + ": refused under podman (" + result + "), allowed by strata");
        });

        Map<String, Boolean> podmanHides = hiddenKernelMounts(podman.run(List.of("run", "--rm", Podman.IMAGE, "cat", "/proc/self/mountinfo"), runc()));
        Result mountinfo = strata.strata(mode, data, strata.home, Map.of(), null, "run", "-I", id, "cat", "/proc/self/mountinfo");
        Map<String, Boolean> strataHides = hiddenKernelMounts(mountinfo);
        assertFalse(podmanHides.isEmpty(), "podman hides kernel interfaces here: " + podmanHides);
        podmanHides.forEach((point, readOnly) -> {
            assertTrue(strataHides.containsKey(point), point + " is hidden by podman, not by strata: " + strataHides);
            if (readOnly) assertTrue(strataHides.get(point), point + " is read-only under podman, writable under strata");
        });

        String status = "grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb):' /proc/self/status";
        Map<String, Long> podmanCaps = capabilities(podman.run(List.of("run", "--rm", Podman.IMAGE, "sh", "-c", status), runc()));
        Map<String, Long> strataCaps = capabilities(strata.strata(mode, data, strata.home, Map.of(), null, "run", "-I", id, "sh", "-c", status));
        assertEquals(podmanCaps.keySet(), strataCaps.keySet());
        podmanCaps.forEach((set, mask) -> assertEquals(0L, strataCaps.get(set) & ~mask,
                set + ": strata keeps capabilities podman drops (" + Long.toHexString(strataCaps.get(set)) + " vs " + Long.toHexString(mask) + ")"));
        assertNotEquals(0L, strataCaps.get("CapBnd"), "root in the container keeps podman's default set, not none");
    }

    private static Map<String, Long> capabilities(Result r) {
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : r.out().lines().toList()) {
            String[] f = line.split(":\\s*");
            out.put(f[0], Long.parseUnsignedLong(f[1].strip(), 16));
        }
        assertEquals(5, out.size(), r.out());
        return out;
    }
}
