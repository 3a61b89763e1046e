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
        // The name when the store has it, else pulled once from the LXC image server (then named).
        assertEquals(List.of(new BuildScript.From("alpine", java.util.Optional.of("lxc:alpine:edge"))), eval("-A"));
        assertEquals(List.of(new BuildScript.From("ubuntu", java.util.Optional.of("lxc:ubuntu:noble"))), eval("-U"));
        assertEquals(List.of(new BuildScript.From("debian", java.util.Optional.of("lxc:debian:bookworm"))), eval("-D"));
        List<BuildScript.Segment> withPackages = eval("-A", "git", "curl");
        assertEquals("alpine", ((BuildScript.From) withPackages.get(0)).reference(), "-A git is --from alpine --apk git, as in plash");
        assertEquals(List.of("apk update && apk add git curl"), step(withPackages.get(1)).script());
        assertEquals(List.of("pacman -Sy --noconfirm vim"), step(eval("-R", "vim").get(1)).script());
    }

    @Test
    void commentsHintsAndUnsetImportsAddNothing() throws Exception {
        assertEquals(List.of(new BuildScript.From("b")), eval("-f", "b", "--#", "say", "--no-such-word", "--hint", "name", "x",
                "--import-env", "MISSING"), "an unset --import-env is skipped, as in plash");
        Files.writeString(dir.resolve("commented"), "--from b\n--# it's a comment\n--run true\n");
        assertEquals(List.of("true"), step(eval("--eval-file", "commented").get(1)).script());
    }

    @Test
    void entrypointScriptWritesAndSetsTheEntrypoint() throws Exception {
        Step st = step(eval("-f", "b", "--entrypoint-script", "echo hi", "exec \"$@\"").get(1));
        assertEquals(List.of("mkdir -p \"$(dirname /entrypoint)\" && printf '%s\\n' '#!/bin/sh' 'echo hi' 'exec \"$@\"'"
                + " > /entrypoint && chmod 755 /entrypoint"), st.script());
        assertEquals(new ConfigChange.Entrypoint(List.of("/entrypoint")), st.changes().getLast());
    }

    @Test
    void stdinMacrosReadTheCallersInputOnce() throws Exception {
        var in = new java.io.ByteArrayInputStream("--from b\n--run echo piped\n".getBytes());
        List<BuildScript.Segment> s = BuildScript.fromArguments(List.of("--eval-stdin"), dir, Map.of(), in).segments();
        assertEquals(List.of("echo piped"), step(s.get(1)).script());
        var script = new java.io.ByteArrayInputStream("set -x\ntouch /x\n".getBytes());
        s = BuildScript.fromArguments(List.of("-f", "b", "--run-stdin"), dir, Map.of(), script).segments();
        assertEquals(List.of("set -x\ntouch /x\n"), step(s.get(1)).script());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BuildScript.fromArguments(
                List.of("-f", "b", "--run-stdin", "--eval-stdin"), dir, Map.of(), new java.io.ByteArrayInputStream(new byte[0])))
                .getMessage().contains("already read"));
    }

    @Test
    void evalUrlAndGithubReadFromAnHttpServer() throws Exception {
        Map<String, String> files = Map.of("/file", "--from b\n--run echo url\n",
                "/me/repo/master/plashfile", "--from g\n--run echo github\n");
        var server = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
        Thread serving = Thread.ofVirtual().start(() -> serve(server, files));
        try {
            String base = "http://127.0.0.1:" + server.getLocalPort();
            assertEquals(List.of("echo url"), step(eval("--eval-url", base + "/file").get(1)).script());
            List<BuildScript.Segment> g = BuildScript.fromArguments(List.of("--eval-github", "me/repo"), dir,
                    Map.of("STRATA_GITHUB_RAW_URL", base)).segments();
            assertEquals(new BuildScript.From("g"), g.get(0));
            assertEquals(List.of("echo github"), step(g.get(1)).script());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> eval("--eval-url", base + "/missing"))
                    .getMessage().endsWith("the server answered 404"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> eval("--eval-url", "file:///etc/passwd"))
                    .getMessage().contains("wants an http or https URL"));
        } finally {
            server.close();
            serving.join();
        }
    }

    /** A plain HTTP/1.0 file server on the loopback: GET PATH answers files' text or 404, until the socket closes. */
    private static void serve(java.net.ServerSocket server, Map<String, String> files) {
        while (!server.isClosed()) {
            try (java.net.Socket client = server.accept()) {
                var reader = new java.io.BufferedReader(new java.io.InputStreamReader(client.getInputStream()));
                String path = reader.readLine().split(" ")[1];
                for (String header = reader.readLine(); header != null && !header.isEmpty(); header = reader.readLine()) {
                    // the headers are read and ignored
                }
                String body = files.get(path);
                byte[] bytes = body == null ? new byte[0] : body.getBytes();
                String head = "HTTP/1.0 " + (body == null ? "404 Not Found" : "200 OK") + "\r\nContent-Length: " + bytes.length + "\r\n\r\n";
                client.getOutputStream().write(head.getBytes());
                client.getOutputStream().write(bytes);
            } catch (java.io.IOException e) {
                return;
            }
        }
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
    void plashsFromKindsAndFromMacros() throws Exception {
        assertEquals(List.of(new BuildScript.From("1")), eval("--from", "id", "1"));
        assertEquals(List.of(new BuildScript.From("fav")), eval("--from", "map", "fav"));
        assertEquals(List.of(new BuildScript.From("fav")), eval("--from-map", "fav"));
        assertEquals(List.of(new BuildScript.From("abcd")), eval("--from-id", "abcd"));
        assertEquals(List.of(new BuildScript.From("lxc:alpine:edge")), eval("--from", "lxc", "alpine:edge"));
        assertEquals(List.of(new BuildScript.From("lxc:alpine:edge")), eval("--from-lxc", "alpine:edge"));
        assertEquals(List.of(new BuildScript.From("url:http://h/r.tar")), eval("--from-url", "http://h/r.tar"));
        assertEquals(List.of(new BuildScript.From("containers-storage:alpine")), eval("--from", "docker", "alpine"));
        assertEquals(List.of(new BuildScript.From("containers-storage:alpine")), eval("--from-docker", "alpine"));
    }

    @Test
    void wordsBeyondWhatAMacroTakesAreShellLines() throws Exception {
        // plash: `build --from id 1 'touch /a'` and `--from 1 'touch /a'` run touch in the first step.
        List<BuildScript.Segment> s = eval("--from", "id", "1", "touch /a", "touch /b");
        assertEquals(new BuildScript.From("1"), s.get(0));
        assertEquals(List.of("touch /a", "touch /b"), step(s.get(1)).script());
        assertEquals(List.of("touch /a"), step(eval("--from", "1", "touch /a").get(1)).script());
        List<BuildScript.Segment> l = eval("-f", "b", "--run", "x", "--layer", "y");
        assertEquals(List.of("x"), step(l.get(1)).script());
        assertEquals(List.of("y"), step(l.get(2)).script(), "--layer takes none: y runs in the next step");
    }

    @Test
    void polutePrefixedEnvironmentAndDefinedPackageManagers() throws Exception {
        assertNotEquals(step(eval("-f", "b", "--polute").get(1)).instruction(), step(eval("-f", "b", "--polute").get(1)).instruction(),
                "--polute (plash's older --invalidate-layer) rebuilds every time");
        List<String> env = BuildScript.fromArguments(List.of("-f", "b", "--env-prefix", "APP_"), dir,
                Map.of("APP_A", "1", "APP_B", "2", "OTHER", "3")).segments().stream().skip(1).findFirst()
                .map(seg -> step(seg).changes().stream().map(ConfigChange::canonical).toList()).orElseThrow();
        assertEquals(List.of("env APP_A=1", "env APP_B=2"), env);
        Step pm = step(eval("-f", "b", "--defpm", "mypm", "mypm update", "mypm add {}", "--mypm", "git", "it's").get(1));
        assertEquals(List.of("mypm update", "mypm add git 'it'\"'\"'s'"), pm.script());
        assertEquals(List.of(new BuildScript.From("b")), eval("-f", "b", "--defpm", "mypm", "mypm add {}", "--mypm"),
                "a defined package manager without packages runs nothing, as in plash");
    }

    @Test
    void buildfileEscapesAndDefinedMacros() throws Exception {
        Path f = Files.writeString(dir.resolve("plashfile"), String.join("\n", "#!/usr/bin/env plash", "--from 1", "--defpm pm",
                "pm install {}", "--pm x", "--write-file /f", "line1", "--\\ --dashed", "--\\", "--\\", "") + "\n");
        List<BuildScript.Segment> s = eval("--eval-file", f.toString());
        assertEquals(new BuildScript.From("1"), s.get(0));
        List<String> script = step(s.get(1)).script();
        assertEquals("pm install x", script.get(0));
        assertTrue(script.get(1).contains("line1 --dashed '' ''"), script.get(1));
    }

    @Test
    void evalPrintsTheScriptAShellRuns() throws Exception {
        assertEquals("hi\n", BuildScript.fromArguments(List.of("--run", "hi"), dir, Map.of()).toShell());
        String text = BuildScript.fromArguments(List.of("-f", "b", "--run", "a", "-l", "--env", "X=$(boom)", "--invalidate-layer"), dir, Map.of())
                .toShell();
        assertTrue(text.startsWith(": --from b\na\n: --layer\n: 'env X=$(boom)'\n: 'invalidate "), text);
    }

    @Test
    void errorsNameTheProblem() {
        assertEquals("unknown macro --nope (strata build --help-macros lists them)",
                assertThrows(IllegalArgumentException.class, () -> eval("--nope")).getMessage());
        assertEquals("expected a macro, got 'stray'",
                assertThrows(IllegalArgumentException.class, () -> eval("stray")).getMessage());
        assertEquals("--from takes at least 1 argument ([KIND] IMAGE), got 0", assertThrows(IllegalArgumentException.class, () -> eval("--from")).getMessage());
        assertEquals("invalid image name 'a b': use letters, digits and . _ - : @ + /, starting with a letter or digit",
                assertThrows(RuntimeException.class, () -> eval("--from-map", "a b")).getMessage());
        assertEquals("--defpm: 'Bad Name' is not a macro name (letters, digits, -)",
                assertThrows(IllegalArgumentException.class, () -> eval("--defpm", "Bad Name", "x {}")).getMessage());
        assertEquals("--defpm: --apk is already a macro",
                assertThrows(IllegalArgumentException.class, () -> eval("--defpm", "apk", "x {}")).getMessage());
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
        String d2 = Macros.hashPath(dir.resolve("d"));
        assertNotEquals(d1, d2, "a new empty file changes a directory's hash");
        Files.setPosixFilePermissions(dir.resolve("d/sub/y"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertNotEquals(d2, Macros.hashPath(dir.resolve("d")), "a mode change changes the hash, as in plash");
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
