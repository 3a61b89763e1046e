package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * Issue 22: /proc virtualization through lxcfs (scripts/test-setup installs and starts it): a container
 * with limits reads them in /proc/meminfo (what procps' free and top show) and nproc counts its CPU
 * limit; one without limits reads the host's. {@code strata drivers} says whether lxcfs works.
 */
class ProcVirtualizationIT {
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aLimitedContainerSeesItsLimitsInProc(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result drivers = strata.strata(mode, data, "drivers");
        assertTrue(drivers.out().lines().anyMatch(l -> l.matches("proc\\s+lxcfs\\s+yes\\s.*")),
                "lxcfs works (scripts/test-setup starts it): " + drivers.out());
        Result limited = strata.strata(mode, data, "run", "-I", "--memory", "64m", "--cpus", "1", id, "sh", "-c",
                "head -1 /proc/meminfo; nproc; cat /proc/uptime");
        Assumptions.assumeFalse(limited.exitCode() == 125 && limited.err().contains("resource limits need root or a delegated cgroup v2"),
                "no cgroups for this user here: " + limited.err());
        assertEquals(0, limited.exitCode(), limited.err());
        List<String> lines = limited.out().lines().toList();
        assertTrue(lines.get(0).matches("MemTotal:\\s+65536 kB"), "the memory limit: " + lines);
        assertEquals("1", lines.get(1), "nproc counts --cpus 1");
        double uptime = Double.parseDouble(lines.get(2).split(" ")[0]);
        assertTrue(uptime < 600, "the container's own uptime, not the host's: " + lines.get(2));

        Result unlimited = strata.strata(mode, data, "run", "-I", id, "sh", "-c", "head -1 /proc/meminfo; nproc");
        assertEquals(0, unlimited.exitCode(), unlimited.err());
        List<String> host = unlimited.out().lines().toList();
        assertEquals(java.nio.file.Files.readAllLines(Path.of("/proc/meminfo")).getFirst(), host.get(0), "no limits: the host's /proc");
        assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), host.get(1));
    }
}
