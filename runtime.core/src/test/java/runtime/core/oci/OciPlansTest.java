package runtime.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;

class OciPlansTest {
    @TempDir
    Path bundle;

    private OciSpec spec(String json) throws Exception {
        Files.createDirectories(bundle.resolve("rootfs"));
        return OciSpec.parse(new ObjectMapper().readTree(json), bundle);
    }

    private static final String BASE = """
            {"ociVersion": "1.0.2", "process": {"args": ["sh", "-c", "true"], "env": ["PATH=/bin"], "cwd": "/work",
              "user": {"uid": 1000, "gid": 100, "additionalGids": [10]}, "noNewPrivileges": true,
              "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}]},
             "root": {"path": "rootfs", "readonly": true}, "hostname": "h",
             "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                        {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro", "rprivate"]}],
             "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"},
                                      {"type": "network", "path": "/run/netns/x"}],
                       "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"], "sysctl": {"net.ipv4.ip_forward": "1"}}}
            """;

    @Test
    void createPlanFollowsTheLifecycleOrder() throws Exception {
        OciSpec spec = spec(BASE);
        Path fifo = bundle.resolve("state/exec.fifo");
        List<SetupOp> plan = OciPlans.create(spec, new OciPlans.CreateRequest(fifo, Optional.empty(), 0, true, Optional.empty()));
        // The fifo first: as the caller, before a user namespace could make the state directory unreachable.
        assertEquals(new SetupOp.OpenStartFifo(fifo), plan.get(0));
        assertEquals(new SetupOp.JoinNamespace(Path.of("/run/netns/x"), Namespaces.NET), plan.get(1));
        assertEquals(new SetupOp.Unshare(Namespaces.MOUNT | Namespaces.UTS), plan.get(2));
        assertEquals(new SetupOp.OciPidNamespace(null, true), plan.get(3));
        int pivot = index(plan, SetupOp.PivotRoot.class);
        int await = index(plan, SetupOp.AwaitStart.class);
        assertTrue(index(plan, SetupOp.OpenStartFifo.class) < pivot, "the fifo is opened while its host path is reachable");
        assertTrue(plan.indexOf(new SetupOp.MaskPath(Path.of("/proc/kcore"))) > pivot);
        assertTrue(plan.contains(new SetupOp.Bind(Path.of("/srv"), Path.of("data"), false, false)));
        int sysctl = plan.indexOf(new SetupOp.WriteFile(Path.of("/proc/sys/net/ipv4/ip_forward"), "1"));
        int readOnly = plan.indexOf(new SetupOp.Bind(Path.of("/proc/sys"), Path.of("/proc/sys"), true, true));
        assertTrue(sysctl > pivot && readOnly > sysctl, "sysctls are written before /proc/sys turns read-only (as runc): " + plan);
        assertTrue(plan.contains(new SetupOp.SetHostname("h")));
        assertTrue(await > pivot);
        assertEquals(new SetupOp.ResourceLimit(7, 512, 1024), plan.get(await + 1));
        assertEquals(new SetupOp.SetUser(1000, 100, -1, List.of(10L)), plan.get(await + 2));
        assertInstanceOf(SetupOp.NoNewPrivileges.class, plan.get(await + 3));
        assertEquals(new SetupOp.Exec(List.of("sh", "-c", "true"), List.of("PATH=/bin")), plan.getLast());
    }

    @Test
    void execJoinsTheMountNamespaceAfterForkingIntoThePidNamespace() throws Exception {
        OciSpec spec = spec(BASE);
        List<SetupOp> plan = OciPlans.exec(spec, spec.process(), 42, Optional.empty(), false, 0);
        int pid = plan.indexOf(new SetupOp.OciPidNamespace(Path.of("/proc/42/ns/pid"), false));
        int mount = plan.indexOf(new SetupOp.JoinNamespace(Path.of("/proc/42/ns/mnt"), Namespaces.MOUNT));
        assertTrue(pid >= 0 && mount > pid, plan.toString());
        assertTrue(plan.contains(new SetupOp.JoinNamespace(Path.of("/proc/42/ns/net"), Namespaces.NET)));
    }

    @Test
    void aTerminalNeedsAConsoleSocket() throws Exception {
        OciSpec spec = spec(BASE.replace("\"noNewPrivileges\": true", "\"terminal\": true"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OciPlans.create(spec,
                new OciPlans.CreateRequest(bundle.resolve("f"), Optional.empty(), 0, true, Optional.empty())));
        assertTrue(e.getMessage().contains("--console-socket"), e.getMessage());
    }

    @Test
    void badConfigsFailWithOneLine() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> spec("{\"root\": {\"path\": \"rootfs\"}}"));
        assertThrows(IllegalArgumentException.class, () -> spec("{\"process\": {\"args\": []}, \"root\": {\"path\": \"rootfs\"}}"));
        OciSpec noMountNs = spec(BASE.replace("{\"type\": \"mount\"}, ", ""));
        assertThrows(IllegalArgumentException.class, () -> OciPlans.create(noMountNs,
                new OciPlans.CreateRequest(bundle.resolve("f"), Optional.empty(), 0, true, Optional.empty())));
    }

    @Test
    void missingCommandIsReportedInRuncsWords() throws Exception {
        OciSpec spec = spec(BASE.replace("[\"sh\", \"-c\", \"true\"]", "[\"nope\"]"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommandLookup.check(spec));
        assertEquals("exec: \"nope\": executable file not found in $PATH", e.getMessage());
        Files.createDirectories(bundle.resolve("rootfs/bin"));
        Files.writeString(bundle.resolve("rootfs/bin/real"), "");
        Files.createSymbolicLink(bundle.resolve("rootfs/bin/nope"), Path.of("/bin/real"));
        CommandLookup.check(spec); // found through an absolute symlink, resolved inside the root
    }

    private static int index(List<SetupOp> plan, Class<?> type) {
        for (int i = 0; i < plan.size(); i++) if (type.isInstance(plan.get(i))) return i;
        return -1;
    }

    /** The namespace shapes runc refuses are refused with one line naming the field (ConfigChecks). */
    @Test
    void namespaceShapesRuncRefusesAreRefused() throws Exception {
        String noMount = BASE.replace("{\"type\": \"mount\"}, ", "");
        assertRefused(noMount, "no mount namespace");
        assertRefused(BASE.replace("{\"type\": \"uts\"}", "{\"type\": \"uts\"}, {\"type\": \"uts\"}"), "uts namespace twice");
        assertRefused(BASE.replace("{\"type\": \"uts\"}", "{\"type\": \"time\"}"), "unsupported namespace time");
        assertRefused(BASE.replace("\"maskedPaths\"", "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}], \"maskedPaths\""),
                "no user namespace");
        assertRefused(BASE.replace("\"net.ipv4.ip_forward\": \"1\"", "\"kernel.shmmax\": \"1\""), "needs an ipc namespace");
        assertRefused(BASE.replace("\"net.ipv4.ip_forward\": \"1\"", "\"kernel.hostname\": \"x\""), "conflicts with the config's hostname");
        assertRefused(BASE.replace("\"net.ipv4.ip_forward\": \"1\"", "\"vm.swappiness\": \"1\""), "would change the host's");
        assertRefused(BASE.replace("{\"type\": \"network\", \"path\": \"/run/netns/x\"}", "{\"type\": \"ipc\"}"), "needs a network namespace");
        // What the files say: a /proc link to a namespace of another type, a relative path.
        assertRefused(() -> ConfigChecks.checkPaths(spec(BASE.replace("/run/netns/x", "/proc/self/ns/uts"))), "is a uts namespace, not net");
        assertRefused(() -> ConfigChecks.checkPaths(spec(BASE.replace("/run/netns/x", "run/netns/x"))), "is not absolute");
        assertRefused(() -> ConfigChecks.checkPaths(spec(BASE.replace("/run/netns/x", "/proc/self/ns/net"))), "the host's own");
    }

    private interface Check {
        void run() throws Exception;
    }

    private void assertRefused(String json, String says) throws Exception {
        OciSpec spec = spec(json);
        assertRefused(() -> OciPlans.create(spec, new OciPlans.CreateRequest(bundle.resolve("fifo"), Optional.empty(), 0, true, Optional.empty())), says);
    }

    private static void assertRefused(Check check, String says) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, check::run);
        assertTrue(e.getMessage().contains(says) && !e.getMessage().contains("\n"), e.getMessage());
    }
}
