package runtime.core.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.Probe;

class SystemdScopeTest {
    @TempDir
    Path root;

    /** Each missing piece is named: init, busctl, the system bus, the user manager, the session bus. */
    @Test
    void theProbeNamesWhatIsMissing() throws Exception {
        Files.createDirectories(root.resolve("proc/1"));
        Files.writeString(root.resolve("proc/1/comm"), "tini\n");
        Map<String, String> env = Map.of("PATH", "/usr/bin", "XDG_RUNTIME_DIR", "/run/user/1000", "USER", "alice");
        assertEquals(Probe.unusable("systemd is not the init system here (pid 1 is 'tini', and there is no /run/systemd/system)"),
                SystemdScope.probe(env, false, root));
        Files.createDirectories(root.resolve("run/systemd/system"));
        assertEquals(Probe.unusable("busctl (systemd's D-Bus client) is not on PATH"), SystemdScope.probe(env, false, root));
        Files.createDirectories(root.resolve("usr/bin"));
        Files.createFile(root.resolve("usr/bin/busctl"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals(Probe.unusable("no system bus at /run/dbus/system_bus_socket (is dbus running?)"), SystemdScope.probe(env, false, root));
        assertEquals(Probe.unusable("no systemd user session: no user manager in /run/user/1000 (loginctl enable-linger alice)"),
                SystemdScope.probe(env, true, root));
        Files.createDirectories(root.resolve("run/user/1000/systemd"));
        Files.createFile(root.resolve("run/user/1000/systemd/private"));
        assertEquals(Probe.unusable("no session bus: DBUS_SESSION_BUS_ADDRESS is not set and /run/user/1000/bus is missing "
                + "(apt-get install dbus-user-session)"), SystemdScope.probe(env, true, root));
        Files.createFile(root.resolve("run/user/1000/bus"));
        assertTrue(SystemdScope.probe(env, true, root).usable());
        Files.createDirectories(root.resolve("run/dbus"));
        Files.createFile(root.resolve("run/dbus/system_bus_socket"));
        assertTrue(SystemdScope.probe(env, false, root).usable());
        assertFalse(SystemdScope.probe(Map.of("PATH", "/usr/bin"), true, root).usable(), "rootless without XDG_RUNTIME_DIR");
    }

    /** On a machine without systemd (this one, CI's) asking for it warns once and falls back to cgroupfs, as podman does. */
    @Test
    void askingForSystemdWhereItDoesNotRunFallsBackWithAWarning() {
        Probe here = SystemdScope.probe(Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin")), false);
        assumeFalse(here.usable(), "systemd runs here");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream warnings = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertFalse(SystemdScope.chosen(Map.of(SystemdScope.ENV, "systemd"), false, warnings));
        assertEquals("strata: cgroup manager systemd unavailable: " + here.reason() + "; falling back to cgroupfs\n",
                out.toString(StandardCharsets.UTF_8));
        out.reset();
        assertFalse(SystemdScope.chosen(Map.of(), false, warnings));
        assertFalse(SystemdScope.chosen(Map.of(SystemdScope.ENV, "cgroupfs"), false, warnings));
        assertEquals("", out.toString(StandardCharsets.UTF_8), "the default says nothing");
        assertEquals("STRATA_CGROUP_MANAGER: 'sytemd' is not cgroupfs or systemd", assertThrows(IllegalArgumentException.class,
                () -> SystemdScope.chosen(Map.of(SystemdScope.ENV, "sytemd"), false, warnings)).getMessage());
    }

    /** The D-Bus call: StartTransientUnit with the pid, Delegate and the limits in systemd's units. */
    @Test
    void theScopeCarriesThePidAndTheLimits() {
        SystemdScope scope = SystemdScope.of("0123456789ab", true,
                new Limits(OptionalLong.of(64L << 20), OptionalLong.of(100), OptionalDouble.of(0.5)));
        assertEquals(List.of("busctl", "--user", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", "strata-0123456789ab.scope", "fail", "6",
                "Description", "s", "strata container strata-0123456789ab.scope", "PIDs", "au", "1", "4242", "Delegate", "b", "true",
                "MemoryMax", "t", Long.toString(64L << 20), "TasksMax", "t", "100", "CPUQuotaPerSecUSec", "t", "500000", "0"),
                scope.startCommand(4242));
        assertEquals("--system", SystemdScope.of("x", false, Limits.NONE).startCommand(1).get(1));
    }

    /**
     * busctl itself reads the call as a well-formed StartTransientUnit message: sent on a private bus
     * (dbus-daemon, without systemd here) it gets as far as asking for systemd's name, where a wrong count or
     * signature would have been refused by busctl before sending ("Too few parameters for signature").
     */
    @Test
    void busctlAcceptsTheCall() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dbus-daemon")) && Files.isExecutable(Path.of("/usr/bin/busctl")),
                "dbus-daemon and busctl");
        Process bus = new ProcessBuilder("dbus-daemon", "--session", "--nofork", "--print-address=1")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String address = new java.io.BufferedReader(new java.io.InputStreamReader(bus.getInputStream(), StandardCharsets.UTF_8)).readLine();
            List<String> argv = new java.util.ArrayList<>(SystemdScope.of("0123456789ab", true,
                    new Limits(OptionalLong.of(64L << 20), OptionalLong.of(100), OptionalDouble.of(1.5))).startCommand(ProcessHandle.current().pid()));
            argv.set(1, "--address=" + address);
            Process call = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(call.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, call.waitFor(), out);
            assertTrue(out.startsWith("Call failed: "), out);
            assertFalse(out.contains("signature") || out.contains("parse"), out);
            argv.set(10, "7"); // the same call with a wrong property count: busctl's own refusal, so the check above can fail
            Process wrong = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String refused = new String(wrong.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, wrong.waitFor());
            assertTrue(refused.contains("Too few parameters for signature"), refused);
        } finally {
            bus.destroy();
            bus.waitFor();
        }
    }
}
