package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * Third-party plugins for real: the sample "copy" driver under examples/ is built with Maven as its own
 * project, dropped into the plugins directory, listed and used; broken plugins (wrong SPI version, a
 * probe that throws, a missing dependency) are reported by name and leave the built-in drivers alone.
 */
class PluginIT {
    static Installation strata;
    static Path plugins;

    @BeforeAll
    static void build() throws Exception {
        strata = Installation.get();
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        Path javaHome = Path.of(System.getProperty("java.home"));
        plugins = Files.createTempDirectory(strata.home, "plugins-");
        run(List.of("mvn", "-q", "-B", "-f", repo.resolve("examples/copy-driver/pom.xml").toString(), "package",
                "-Dstrata.root=" + repo), Map.of("JAVA_HOME", javaHome.toString()));
        Files.copy(repo.resolve("examples/copy-driver/target/strata-copy-driver.jar"), plugins.resolve("strata-copy-driver.jar"));
        Path api = repo.resolve("runtime.api/target/runtime.api-0.1.0-SNAPSHOT.jar");
        Path src = Files.createTempDirectory(strata.home, "plugin-src-");
        driver(javaHome, api, src, "wrong.spi", "WrongSpi", "wrong-spi", "return 99;", "return runtime.api.Probe.usable(\"x\");", plugins);
        driver(javaHome, api, src, "bad.probe", "BadProbe", "bad-probe", "return runtime.api.Spi.VERSION;",
                "throw new IllegalStateException(\"boom\");", plugins);
        // A plugin whose dependency is not installed: compiled against it, shipped without it.
        Path dep = Files.createDirectories(src.resolve("dep/src/no/such/dep"));
        Files.writeString(src.resolve("dep/src/module-info.java"), "module no.such.dep { exports no.such.dep; }");
        Files.writeString(dep.resolve("Thing.java"), "package no.such.dep; public class Thing {}");
        run(List.of(javaHome.resolve("bin/javac").toString(), "-d", src.resolve("dep/classes").toString(),
                src.resolve("dep/src/module-info.java").toString(), dep.resolve("Thing.java").toString()), Map.of());
        Path needs = Files.createDirectories(src.resolve("needs/src"));
        Files.writeString(needs.resolve("module-info.java"), "module needs.dep { requires no.such.dep; requires runtime.api; }");
        run(List.of(javaHome.resolve("bin/javac").toString(), "-p", api + ":" + src.resolve("dep/classes"), "-d",
                src.resolve("needs/classes").toString(), needs.resolve("module-info.java").toString()), Map.of());
        run(List.of(javaHome.resolve("bin/jar").toString(), "--create", "--file", plugins.resolve("needs-dep.jar").toString(),
                "-C", src.resolve("needs/classes").toString(), "."), Map.of());
        run(List.of("chmod", "-R", "a+rX", plugins.toString()), Map.of());
    }

    /** Compiles a one-class filesystem driver plugin into PLUGINS/NAME.jar. */
    private static void driver(Path javaHome, Path api, Path src, String module, String cls, String name, String spi,
                               String probe, Path into) throws Exception {
        Path dir = Files.createDirectories(src.resolve(module + "/src/p"));
        Files.writeString(src.resolve(module + "/src/module-info.java"), "module " + module
                + " { requires runtime.api; provides runtime.api.fs.FilesystemDriver with p." + cls + "; }");
        Files.writeString(dir.resolve(cls + ".java"), """
                package p;
                public final class %s implements runtime.api.fs.FilesystemDriver {
                    public String name() { return "%s"; }
                    public String description() { return "test plugin"; }
                    public int spiVersion() { %s }
                    public runtime.api.Probe probe(runtime.api.ProbeContext c) { %s }
                    public java.util.List<runtime.api.plan.SetupOp> mount(runtime.api.fs.MountRequest r) { return java.util.List.of(); }
                }
                """.formatted(cls, name, spi, probe));
        Path classes = src.resolve(module + "/classes");
        run(List.of(javaHome.resolve("bin/javac").toString(), "-p", api.toString(), "-d", classes.toString(),
                src.resolve(module + "/src/module-info.java").toString(), dir.resolve(cls + ".java").toString()), Map.of());
        run(List.of(javaHome.resolve("bin/jar").toString(), "--create", "--file", into.resolve(name + ".jar").toString(),
                "-C", classes.toString(), "."), Map.of());
    }

    private static void run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pluginsAreListedUsedAndIsolated(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Map<String, String> env = Map.of("STRATA_PLUGINS", plugins.toString());
        Result drivers = strata.strata(mode, data, strata.home, env, null, "drivers");
        assertEquals(0, drivers.exitCode(), drivers.err());
        List<String> lines = drivers.out().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.matches("fs\\s+overlay\\s+yes\\s+.*")), drivers.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("fs\\s+copy\\s+yes\\s+.*sample plugin.*")), drivers.out());
        assertTrue(lines.stream().anyMatch(l -> l.contains("wrong-spi") && l.contains("built for driver SPI 99")), drivers.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("fs\\s+bad-probe\\s+no\\s+.*probe failed.*boom.*")), drivers.out());
        assertTrue(lines.stream().anyMatch(l -> l.contains("plugin needs-dep") && l.contains("no.such.dep")), drivers.out());

        Result run = strata.strata(mode, data, strata.home, env, null, "run", "--fs", "copy", id, "sh", "-c",
                "echo x > /etc/new && cat /etc/new && cat /etc/passwd | head -1");
        assertEquals(List.of("x", "root:x:0:0:root:/root:/bin/sh"), run.out().lines().toList(), run.err());
        Result built = strata.strata(mode, data, strata.home, env, null, "build", "--fs", "copy", "--from", id, "--run",
                "rm /bin/ls; echo made > /etc/made");
        assertEquals(0, built.exitCode(), built.err());
        // A layer the plugin built reads right through the kernel overlay driver too.
        List<String> check = new ArrayList<>(List.of("run", "--fs", "overlay", built.line(), "sh", "-c",
                "cat /etc/made; test -e /bin/ls && echo ls-present || echo ls-gone"));
        Result viaOverlay = strata.strata(mode, data, strata.home, env, null, check.toArray(String[]::new));
        assertEquals(List.of("made", "ls-gone"), viaOverlay.out().lines().toList(), viaOverlay.err());
        Result suite = strata.strata(mode, data, strata.home, env, null, "check-driver", "copy");
        assertEquals(0, suite.exitCode(), suite.out() + suite.err());
        assertTrue(suite.out().contains("copy: 33 checks, 0 failed"), "the plugin passes the conformance suite: " + suite.out());
        Result plain = strata.strata(mode, data, strata.home, env, null, "run", id, "true");
        assertEquals(0, plain.exitCode(), "broken plugins leave the built-in drivers working: " + plain.err());
    }
}
