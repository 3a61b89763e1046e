package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * containerd as strata-oci's client: Debian's containerd, started by the test as root on a private
 * socket, root and state directory (no CRI plugin), runs containers through its io.containerd.runc.v2
 * shim with strata-oci as the shim's runc binary ({@code ctr run --runc-binary}, the BinaryName option a
 * CRI runtime handler sets, docs/kubernetes.md). Every scenario runs with runc first, the reference:
 * what ctr shows must be the same. Root only: rootless containerd needs RootlessKit, which Debian does
 * not package.
 */
class ContainerdIT {
    static Installation strata;
    static Path work;
    static Path rootfs;
    static Process containerd;

    @BeforeAll
    static void startContainerd() throws Exception {
        strata = Installation.get();
        strata.assumeMode(Mode.ROOT);
        for (String program : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2")) {
            assumeTrue(Files.isExecutable(Path.of(program)), program + " is not installed (scripts/test-setup installs containerd)");
        }
        work = strata.newWorkDirectory(Mode.ROOT);
        rootfs = work.resolve("rootfs");
        Files.createDirectory(rootfs);
        Installation.exec(List.of("tar", "-C", rootfs.toString(), "-xf", strata.rootfsTar.toString()));
        Path config = work.resolve("config.toml");
        // Everything of this containerd's below work: no CRI, no snapshotters it would probe, no metrics listener.
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                """.formatted(work));
        // strata's environment (its private server directory) reaches the shim, and so strata-oci, through containerd.
        containerd = new ProcessBuilder(strata.as(Mode.ROOT, strata.newStore(Mode.ROOT), Map.of(),
                List.of("/usr/bin/containerd", "--config", config.toString()))).redirectErrorStream(true)
                .redirectOutput(work.resolve("containerd.log").toFile()).start();
        for (int i = 0; i < 300 && !Files.exists(work.resolve("containerd.sock")); i++) Thread.sleep(100);
        assertTrue(Files.exists(work.resolve("containerd.sock")), () -> "containerd started: " + log());
    }

    @AfterAll
    static void stopContainerd() throws Exception {
        if (containerd == null) return;
        containerd.destroy();
        containerd.waitFor();
        // Its shims outlive it by design; those of this test's containers end with their containers (deleted above).
        Installation.run(List.of("sh", "-c", "grep -l '" + work + "' /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | xargs -r kill"), Path.of("/"), null, 30);
        Installation.run(List.of("sh", "-c", "grep ' " + work + "' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l"), Path.of("/"), null, 30);
    }

    private static String log() {
        try {
            return Files.readString(work.resolve("containerd.log"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private enum Runtime { RUNC, STRATA }

    private static Result ctr(Runtime runtime, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/ctr", "--address", work.resolve("containerd.sock").toString()));
        List<String> rest = new ArrayList<>(List.of(args));
        // The shim's runc binary is a create option: it goes with run (and stays the task's for exec, kill, ...).
        if (runtime == Runtime.STRATA && rest.getFirst().equals("run")) rest.add(1, "--runc-binary=" + strata.home.resolve("strata-oci"));
        cmd.addAll(rest);
        return Installation.run(cmd, work, null, 120);
    }

    private static Result ok(Result r) {
        assertEquals(0, r.exitCode(), r.out() + r.err());
        return r;
    }

    /** ctr run --rm: the command's output, error output and exit status, in the container's own cgroup. */
    @Test
    void runGivesTheSameOutputAndStatusAsRunc() throws Exception {
        List<String> seen = new ArrayList<>();
        for (Runtime runtime : Runtime.values()) {
            String id = "run-" + runtime.name().toLowerCase();
            Result r = ctr(runtime, "run", "--rm", "--rootfs", rootfs.toString(), id, "/bin/sh", "-c",
                    "echo out; echo err >&2; id -u; hostname; grep -c ':/default/" + id + "$' /proc/self/cgroup >/dev/null && echo own-cgroup; exit 3");
            seen.add(r.exitCode() + "\n" + r.out() + "\n" + r.err().lines().filter(l -> !l.contains("level=")).toList());
        }
        // No hostname in ctr's spec: the container's uts namespace starts with the host's name.
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        assertEquals("3\nout\n0\n" + host + "\nown-cgroup\n\n[err]", seen.getFirst(), "runc's run here");
        assertEquals(seen.getFirst(), seen.get(1));
    }

    /**
     * A detached task through its life: exec (output and status), ps, pause (PAUSED) and resume
     * (RUNNING), kill (STOPPED, 137), delete; the same statuses and answers as under runc.
     */
    @Test
    void execPsPauseKillAndDeleteAsRunc() throws Exception {
        List<List<String>> seen = new ArrayList<>();
        for (Runtime runtime : Runtime.values()) {
            String id = "task-" + runtime.name().toLowerCase();
            List<String> s = new ArrayList<>();
            ok(ctr(runtime, "run", "--detach", "--rootfs", rootfs.toString(), id, "/bin/sleep", "1000"));
            try {
                Result exec = ctr(runtime, "task", "exec", "--exec-id", "e1", id, "/bin/sh", "-c", "echo in; exit 4");
                s.add("exec " + exec.exitCode() + " " + exec.out().strip());
                s.add("ps " + (ok(ctr(runtime, "task", "ps", id)).out().lines().count() - 1));
                ok(ctr(runtime, "task", "pause", id));
                s.add(taskStatus(runtime, id));
                ok(ctr(runtime, "task", "resume", id));
                s.add(taskStatus(runtime, id));
                s.add(ok(ctr(runtime, "task", "metrics", id)).out().contains("memory.usage_in_bytes") ? "metrics" : "no metrics");
                ok(ctr(runtime, "task", "kill", "--signal", "SIGKILL", id));
                for (int i = 0; i < 200 && taskStatus(runtime, id).equals("RUNNING"); i++) Thread.sleep(50);
                s.add(taskStatus(runtime, id));
                Result deleted = ok(ctr(runtime, "task", "delete", id));
                s.add("deleted " + deleted.err().contains("137"));
            } finally {
                ctr(runtime, "task", "delete", "--force", id);
                ctr(runtime, "container", "delete", id);
            }
            seen.add(s);
        }
        assertEquals(List.of("exec 4 in", "ps 1", "PAUSED", "RUNNING", "metrics", "STOPPED", "deleted true"), seen.getFirst(), "runc's answers here");
        assertEquals(seen.getFirst(), seen.get(1));
    }

    /** The task's status as {@code ctr task ls} shows it. */
    private static String taskStatus(Runtime runtime, String id) throws Exception {
        for (String line : ok(ctr(runtime, "task", "ls")).out().lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 3 && f[0].equals(id)) return f[2];
        }
        return "absent";
    }
}
