package runtime.core.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildScriptTest {
    @TempDir
    Path dir;

    private List<BuildScript.Segment> eval(String... args) throws Exception {
        return BuildScript.fromArguments(List.of(args), dir, Map.of("HOSTVAR", "from-host")).segments();
    }

    private static Step step(BuildScript.Segment s) {
        return ((BuildScript.Build) s).step();
    }

    @Test
    void macrosUpToALayerBoundaryFormOneStep() throws Exception {
        List<BuildScript.Segment> s = eval("--from", "base", "--run", "a", "b", "--apk", "git", "curl", "-l", "-x", "c");
        assertEquals(new BuildScript.From("base"), s.get(0));
        assertEquals(List.of("a", "b", "apk update && apk add git curl"), step(s.get(1)).script());
        assertEquals(List.of("c"), step(s.get(2)).script());
        assertEquals(3, s.size());
    }

    @Test
    void packageMacrosQuoteTheirArguments() throws Exception {
        Step st = step(eval("-f", "b", "--apt", "python3", "it's").get(1));
        assertEquals("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 'it'\"'\"'s'",
                st.script().getFirst());
        assertEquals(List.of("pip3 install x"), step(eval("-f", "b", "--pip3", "x").get(1)).script());
        assertEquals(List.of("npm install -g y"), step(eval("-f", "b", "--npm", "y").get(1)).script());
    }

    @Test
    void distroShortcutsAreFroms() throws Exception {
        assertEquals(List.of(new BuildScript.From("alpine")), eval("-A"));
        assertEquals(List.of(new BuildScript.From("ubuntu")), eval("-U"));
        assertEquals(List.of(new BuildScript.From("debian")), eval("-D"));
    }

    @Test
    void configMacrosBecomeChangesAndKeys() throws Exception {
        Step st = step(eval("-f", "b", "--env", "A=1", "--import-env", "HOSTVAR:IMPORTED", "--workdir", "/w",
                "--entrypoint", "python3", "-m", "http.server").get(1));
        assertEquals(new ConfigChange.Entrypoint(List.of("python3", "-m", "http.server")), st.changes().getLast(),
                "a dash word that is no macro is an argument");
        assertTrue(st.instruction().contains("env A=1"));
        assertTrue(st.instruction().contains("env IMPORTED=from-host"));
        assertTrue(st.instruction().contains("workdir /w"));
    }

    @Test
    void errorsNameTheProblem() {
        assertEquals("unknown macro --nope (strata build --help-macros lists them)",
                assertThrows(IllegalArgumentException.class, () -> eval("--nope")).getMessage());
        assertEquals("expected a macro, got 'stray'",
                assertThrows(IllegalArgumentException.class, () -> eval("stray")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> eval("--from")).getMessage().startsWith("--from takes 1 argument"));
        assertEquals("--import-env: MISSING is not set",
                assertThrows(IllegalArgumentException.class, () -> eval("-f", "b", "--import-env", "MISSING")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> eval("-f", "b", "--env", "NOEQUALS"));
        assertThrows(IllegalArgumentException.class, () -> eval("-f", "b", "--workdir", "relative"));
    }

    @Test
    void hashPathKeysChangeWithContent() throws Exception {
        Path f = Files.writeString(dir.resolve("requirements.txt"), "flask\n");
        String first = step(eval("-f", "b", "--hash-path", "requirements.txt", "--run", "true").get(1)).instruction();
        String same = step(eval("-f", "b", "--hash-path", "requirements.txt", "--run", "true").get(1)).instruction();
        Files.writeString(f, "django\n");
        String changed = step(eval("-f", "b", "--hash-path", "requirements.txt", "--run", "true").get(1)).instruction();
        assertEquals(first, same);
        assertNotEquals(first, changed);
        Files.createDirectories(dir.resolve("d/sub"));
        Files.writeString(dir.resolve("d/sub/x"), "1");
        String d1 = Macros.hashPath(dir.resolve("d"));
        Files.writeString(dir.resolve("d/sub/y"), "");
        assertNotEquals(d1, Macros.hashPath(dir.resolve("d")), "a new empty file changes a directory's hash");
    }

    @Test
    void invalidateLayerMakesEachStepUnique() throws Exception {
        String a = step(eval("-f", "b", "--invalidate-layer", "--run", "x").get(1)).instruction();
        String b = step(eval("-f", "b", "--invalidate-layer", "--run", "x").get(1)).instruction();
        assertNotEquals(a, b);
    }

    @Test
    void buildfilesWithIncludesAndBlocks() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/extra"), "--run echo from-include\n");
        Files.writeString(dir.resolve("main"), """
                #!/usr/bin/env -S strata exec
                # comment
                --from base
                --apk git \\
                  curl
                --run
                echo one
                echo 'two three'
                --include sub/extra
                --layer
                --write-file /etc/motd hello "big world"
                """);
        List<BuildScript.Segment> s = eval("--eval-file", "main");
        assertEquals(new BuildScript.From("base"), s.get(0));
        assertEquals(List.of("apk update && apk add git curl", "echo one", "echo 'two three'", "echo from-include"),
                step(s.get(1)).script());
        assertEquals(List.of("mkdir -p \"$(dirname /etc/motd)\" && printf '%s\\n' hello 'big world' > /etc/motd"),
                step(s.get(2)).script());
    }

    @Test
    void buildfileErrorsCarryFileAndLine() throws Exception {
        Files.writeString(dir.resolve("bad"), "--from base\n\n--frobnicate x\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eval("--eval-file", "bad"));
        assertTrue(e.getMessage().matches(".*bad:3: unknown macro --frobnicate.*"), e.getMessage());
        Files.writeString(dir.resolve("loop"), "--include loop\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> eval("--eval-file", "loop")).getMessage().contains("includes itself"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> eval("--eval-file", "missing")).getMessage().contains("does not exist"));
    }

    @Test
    void shellSplitAndQuoteRoundTrip() {
        assertEquals(List.of("a b", "c", "d\"e", "$x"), Shell.split("'a b' c \"d\\\"e\" \\$x"));
        for (String w : List.of("plain", "with space", "it's", "", "$(rm -rf /)", "a\nb")) {
            assertEquals(List.of(w), Shell.split(Shell.quote(w)).isEmpty() ? List.of("") : Shell.split(Shell.quote(w)));
        }
        assertThrows(IllegalArgumentException.class, () -> Shell.split("'open"));
    }
}
