package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** Manifests as squish runs its containers (issue 22): a read-only root, SDK layers from the store, own hostnames. */
class ManifestIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    private static Path manifest(Mode mode, Path wd, String name, String text) throws Exception {
        Path file = Files.writeString(wd.resolve(name), text);
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", Installation.TEST_USER + ":", file.toString()));
        return file;
    }

    private static Result runManifest(Mode mode, Path data, Path wd, Path file) throws Exception {
        return strata.strata(mode, data, wd, Map.of(), null, "run", "-f", file.toString());
    }

    /** A service's root is read-only by default: the write is attempted and fails; /tmp, /run, /var/tmp take writes. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aManifestsRootIsReadOnlyUnlessItOptsOut(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        String probe = "touch /etc/written 2>&1 && echo root-writable; for d in /tmp /run /var/tmp; do touch $d/ok && echo $d-writable; done";
        Path service = manifest(mode, wd, "service.toml", """
                image = "%s"
                command = ["sh", "-c", "%s"]
                """.formatted(id, probe));
        Result ro = runManifest(mode, data, wd, service);
        assertEquals(List.of("touch: /etc/written: Read-only file system", "/tmp-writable", "/run-writable", "/var/tmp-writable"),
                ro.out().lines().toList(), ro.err());
        Path writable = manifest(mode, wd, "writable.toml", """
                image = "%s"
                read_only = false
                command = ["sh", "-c", "%s"]
                """.formatted(id, probe));
        Result rw = runManifest(mode, data, wd, writable);
        assertEquals(List.of("root-writable", "/tmp-writable", "/run-writable", "/var/tmp-writable"), rw.out().lines().toList(), rw.err());
    }

    /** Two containers from one manifest (or one image) do not share a hostname: each gets its id, or its name. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void containersWithoutAHostnameGetTheirOwn(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path file = manifest(mode, wd, "host.toml", """
                image = "%s"
                command = ["sh", "-c", "hostname; echo $HOSTNAME"]
                """.formatted(id));
        Result first = runManifest(mode, data, wd, file);
        Result second = runManifest(mode, data, wd, file);
        List<String> a = first.out().lines().toList(), b = second.out().lines().toList();
        assertEquals(2, a.size(), first.out() + first.err());
        assertTrue(a.getFirst().matches("[0-9a-f]{12}"), "the container's id: " + a);
        assertEquals(a.get(0), a.get(1), "HOSTNAME is the hostname");
        assertNotEquals(a.getFirst(), b.getFirst(), "two containers of one manifest");
        Result named = strata.strata(mode, data, wd, Map.of(), null, "run", "--name", "svc-1", "-f", file.toString(), "hostname");
        assertEquals("svc-1", named.line(), named.err());
        Result cli1 = strata.strata(mode, data, "run", "-I", id, "hostname");
        Result cli2 = strata.strata(mode, data, "run", "-I", id, "hostname");
        assertTrue(cli1.line().matches("[0-9a-f]{12}"), cli1.out() + cli1.err());
        assertNotEquals(cli1.line(), cli2.line(), "two containers of one image");
    }

    /**
     * squish's SDK layers: a [[layer]] names a store image (here one of two layers, built from busybox), bound
     * read-only; a layer naming no image in the store is one line naming the layer, and nothing starts.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void sdkLayersComeFromStoreImages(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result sdk = strata.strata(mode, data, "build", "--from", id, "--run", "mkdir -p /opt/sdk && echo sdk-1.2 > /opt/sdk/VERSION");
        assertEquals(0, sdk.exitCode(), sdk.err());
        Result named = strata.strata(mode, data, "map", "python-sdk:1.2", sdk.line());
        assertEquals(0, named.exitCode(), named.err());
        Path wd = strata.newWorkDirectory(mode);
        Path file = manifest(mode, wd, "sdk.toml", """
                image = "%s"
                command = ["sh", "-c", "cat /sdk/python/opt/sdk/VERSION; touch /sdk/python/x 2>&1; test -e /opt/sdk || echo image-untouched"]
                [[layer]]
                image = "python-sdk:1.2"
                target = "/sdk/python"
                """.formatted(id));
        Result r = runManifest(mode, data, wd, file);
        assertEquals(List.of("sdk-1.2", "touch: /sdk/python/x: Read-only file system", "image-untouched"), r.out().lines().toList(), r.err());
        Path missing = manifest(mode, wd, "missing.toml", """
                image = "%s"
                command = ["sh", "-c", "echo started"]
                [[layer]]
                image = "ruby-sdk:3"
                target = "/sdk/ruby"
                """.formatted(id));
        Result m = runManifest(mode, data, wd, missing);
        assertEquals(125, m.exitCode(), m.out() + m.err());
        assertEquals("", m.out());
        String noSuchSdk = "layer[0]: no image 'ruby-sdk:3' (strata images lists them); an SDK layer is a store image: build, import "
                + "or pull it and name it (strata map ruby-sdk:3 ID)";
        assertEquals("strata: " + noSuchSdk + "\n", m.err());

        // The same through the daemon: the service runs with its SDK; the missing one is the request's error (400).
        Path socket = data.resolve("d.sock");
        Map<String, String> env = Map.of("STRATA_SOCKET", socket.toString());
        Process daemon = strata.start(mode, data, wd, env, "serve", "--socket", socket.toString());
        try {
            DaemonIT.awaitListening(socket, wd);
            Path service = manifest(mode, wd, "svc.toml", "name = \"sdk-svc\"\n" + Files.readString(file));
            Result started = strata.strata(mode, data, wd, env, null, "start", service.toString());
            assertEquals(0, started.exitCode(), started.err());
            Result waited = strata.strata(mode, data, wd, env, null, "wait", "sdk-svc");
            assertEquals(0, waited.exitCode(), waited.err());
            Result logs = strata.strata(mode, data, wd, env, null, "logs", "sdk-svc");
            assertEquals(List.of("sdk-1.2", "touch: /sdk/python/x: Read-only file system", "image-untouched"), logs.out().lines().toList(),
                    logs.err());
            Result refused = strata.strata(mode, data, wd, env, null, "start", missing.toString());
            assertNotEquals(0, refused.exitCode());
            assertEquals("", refused.out());
            assertTrue(refused.err().contains(noSuchSdk), refused.err());
        } finally {
            DaemonIT.stop(daemon);
        }
    }

    /**
     * STRATA_CGROUP_MANAGER=systemd where systemd does not run (this machine, CI's): one line saying why, and
     * the limit still holds through cgroupfs (the container is killed at its memory limit; rootless, where
     * cgroupfs needs a delegated v2 tree, cgroupfs's own refusal), as podman falls back; a misspelt manager
     * is refused before anything starts.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void theSystemdCgroupManagerFallsBackToCgroupfsWhereSystemdDoesNotRun(Mode mode) throws Exception {
        strata.assumeMode(mode);
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isDirectory(Path.of("/run/systemd/system")), "systemd runs here");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path file = manifest(mode, wd, "limited.toml", """
                image = "%s"
                command = ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\\\0' a); echo ${#x}"]
                [limits]
                memory = "32m"
                """.formatted(id));
        Result r = strata.strata(mode, data, wd, Map.of("STRATA_CGROUP_MANAGER", "systemd"), null, "run", "-f", file.toString());
        if (mode == Mode.ROOTLESS && r.exitCode() == 125) {
            // cgroupfs it is, and cgroupfs cannot limit a user here (cgroup v1, nothing delegated): its own refusal.
            assertTrue(r.err().contains("strata: resource limits need root or a delegated cgroup v2 subtree"), r.err());
        } else {
            assertEquals(137, r.exitCode(), "killed at its limit: " + r.out() + r.err());
        }
        List<String> warnings = r.err().lines().filter(l -> l.contains("cgroup manager")).toList();
        assertEquals(1, warnings.size(), r.err());
        assertTrue(warnings.getFirst().matches("strata: cgroup manager systemd unavailable: systemd is not the init system here "
                + "\\(pid 1 is '.*', and there is no /run/systemd/system\\); falling back to cgroupfs"), warnings.getFirst());
        Result drivers = strata.strata(mode, data, "drivers");
        assertTrue(drivers.out().lines().anyMatch(l -> l.matches("cgrp +systemd +no +limits in a transient scope .*: systemd is not the init system here.*")),
                drivers.out());
        Result bad = strata.strata(mode, data, wd, Map.of("STRATA_CGROUP_MANAGER", "sytemd"), null, "run", "-f", file.toString());
        assertEquals("strata: STRATA_CGROUP_MANAGER: 'sytemd' is not cgroupfs or systemd\n", bad.err());
        assertEquals("", bad.out());
    }
}
