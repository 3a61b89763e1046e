package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * The oci: source and strata push against a real registry (Debian's docker-registry) on 127.0.0.1,
 * as root and rootless: round trips, caching, platform choice, and every kind of corrupt or hostile
 * image (each must fail with one line and leave nothing in the store).
 */
class OciIT {
    static Installation strata;
    static Registry registry;

    @BeforeAll
    static void start() throws Exception {
        strata = Installation.get();
        registry = Registry.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) registry.close();
    }

    private static Result ok(Result r) {
        assertEquals(0, r.exitCode(), r.err());
        return r;
    }

    /** Busybox plus two build layers: files owned by 1000, a hard link, a deleted file, an opaque directory; env and entrypoint. */
    private static String buildImage(Mode mode, Path data) throws Exception {
        String base = strata.importBusybox(mode, data);
        String one = ok(strata.strata(mode, data, "build", "--from", base, "--run",
                "mkdir -p /opt/old /d && echo gone > /opt/old/x && echo hi > /d/f && chown 1000:1000 /d/f && ln /d/f /d/hard")).line();
        return ok(strata.strata(mode, data, "build", "--from", one, "--layer", "--run",
                "rm /etc/group && rm -rf /opt && mkdir /opt && echo new > /opt/new",
                "--env", "GREETING=hello", "--workdir", "/d", "--entrypoint", "sh", "-c", "echo \"$GREETING from $(pwd)\"")).line();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pushThenPullRoundTrip(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = buildImage(mode, data);
        String repo = "roundtrip/" + mode.name().toLowerCase();
        // Small chunks as root: the chunked upload path (POST, PATCH..., PUT) against the real registry.
        Map<String, String> pushEnv = mode == Mode.ROOT ? Map.of("STRATA_PUSH_CHUNK_SIZE", "262144") : Map.of();
        Result pushed = ok(strata.strata(mode, data, strata.home, pushEnv, null, "push", image, registry.host() + "/" + repo + ":v1"));
        assertTrue(pushed.line().matches(registry.host() + "/" + repo + ":v1@sha256:[0-9a-f]{64}"), pushed.out());

        Path fresh = strata.newStore(mode);
        String ref = "oci:" + registry.host() + "/" + repo + ":v1";
        String pulled = ok(strata.strata(mode, fresh, "pull", ref)).line();
        // No command: the image's entrypoint, with its env and workdir.
        assertEquals("hello from /d", ok(strata.strata(mode, fresh, "run", pulled)).line());
        Result files = ok(strata.strata(mode, fresh, "run", pulled, "sh", "-c",
                "cat /d/f; stat -c %u:%g /d/f; test $(stat -c %i /d/f) = $(stat -c %i /d/hard) && echo linked;"
                        + " test -e /etc/group || echo group-deleted; ls /opt"));
        String owner = mode == Mode.ROOT ? "1000:1000" : "0:0"; // a rootless store keeps no owners: all files are the caller's
        assertEquals(List.of("hi", owner, "linked", "group-deleted", "new"), files.out().lines().toList());
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) {
            // The rootless push mapped the subordinate owner back to 1000: a root store sees it.
            Path rootStore = strata.newStore(Mode.ROOT);
            String asRoot = ok(strata.strata(Mode.ROOT, rootStore, "pull", ref)).line();
            assertEquals("1000:1000", ok(strata.strata(Mode.ROOT, rootStore, "run", asRoot, "stat", "-c", "%u:%g", "/d/f")).line());
        }
        // By digest: the same image (its layers are there; only the config is fetched).
        String digest = pushed.line().substring(pushed.line().indexOf('@') + 1);
        assertEquals(pulled, ok(strata.strata(mode, fresh, "pull", "oci:" + registry.host() + "/" + repo + "@" + digest)).line());
        // Pushing again uploads nothing new and names the same manifest.
        assertEquals(pushed.line(), ok(strata.strata(mode, data, "push", image, registry.host() + "/" + repo + ":v1")).line());
    }

    /** A layer made by {@code script} on {@code base}. */
    private static String buildOn(Mode mode, Path data, String base, String script) throws Exception {
        return ok(strata.strata(mode, data, "build", "--from", base, "--run", script)).line();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aPulledImageIsNamedByItsReferenceAndRunUsesItUntilToldToPull(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        String one = buildOn(mode, data, base, "echo one > /v");
        String two = buildOn(mode, data, base, "echo two > /v");
        String name = registry.host() + "/names/" + mode.name().toLowerCase() + ":1";
        ok(strata.strata(mode, data, "push", one, name));

        Path fresh = strata.newStore(mode);
        String pulled = ok(strata.strata(mode, fresh, "pull", "oci:" + name)).line();
        assertTrue(ok(strata.strata(mode, fresh, "images")).out().contains(name), "images shows the reference");
        ok(strata.strata(mode, fresh, "gc"));
        assertEquals(pulled, ok(strata.strata(mode, fresh, "id", name)).line(), "gc kept the named image; the name resolves");
        assertEquals("one", ok(strata.strata(mode, fresh, "run", name, "cat", "/v")).line());

        // The tag now names another image in the registry: run's default (missing) keeps the local one, as podman
        // does, without asking the registry; --pull=always fetches the new one and moves the name.
        ok(strata.strata(mode, data, "push", two, name));
        String repository = "names/" + mode.name().toLowerCase();
        long asked = registry.manifestRequests(repository);
        assertTrue(asked > 0, "the registry's log counts manifest requests");
        assertEquals("one", ok(strata.strata(mode, fresh, "run", "oci:" + name, "cat", "/v")).line());
        assertEquals(asked, registry.manifestRequests(repository), "--pull=missing asked the registry");
        assertEquals("two", ok(strata.strata(mode, fresh, "run", "--pull=always", "oci:" + name, "cat", "/v")).line());
        assertEquals("two", ok(strata.strata(mode, fresh, "run", "--pull=never", "oci:" + name, "cat", "/v")).line());
        Result never = strata.strata(mode, fresh, "run", "--pull=never", "oci:" + registry.host() + "/names/absent:1", "true");
        assertTrue(never.exitCode() != 0, never.out());
        assertEquals(1, never.err().strip().lines().count(), never.err());
        assertTrue(never.err().contains("--pull=never"), never.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSecondPullDownloadsNothingAndSharedBaseLayersAreNotFetched(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        String a = buildOn(mode, data, base, "echo a > /a");
        String b = buildOn(mode, data, base, "echo b > /b");
        String repoA = "cache/" + mode.name().toLowerCase() + "-a";
        String repoB = "cache/" + mode.name().toLowerCase() + "-b";
        ok(strata.strata(mode, data, "push", a, registry.host() + "/" + repoA + ":1"));
        ok(strata.strata(mode, data, "push", b, registry.host() + "/" + repoB + ":1"));

        Path fresh = strata.newStore(mode);
        String first = ok(strata.strata(mode, fresh, "pull", "oci:" + registry.host() + "/" + repoA + ":1")).line();
        long gets = registry.blobGets(repoA);
        assertEquals(3, gets, "busybox layer, the build layer and the config");
        long layers = Installation.layerCount(fresh);
        String second = ok(strata.strata(mode, fresh, "pull", "oci:" + registry.host() + "/" + repoA + ":1")).line();
        assertEquals(first, second);
        assertEquals(gets, registry.blobGets(repoA), "the second pull downloads no blob");
        assertEquals(layers, Installation.layerCount(fresh));
        // A build on the pulled image resolves it the same way, without downloading.
        ok(strata.strata(mode, fresh, "build", "--from", "oci:" + registry.host() + "/" + repoA + ":1", "--run", "cat /a > /c"));
        assertEquals(gets, registry.blobGets(repoA));
        // Via run too.
        assertEquals("a", ok(strata.strata(mode, fresh, "run", "oci:" + registry.host() + "/" + repoA + ":1", "cat", "/a")).line());
        assertEquals(gets, registry.blobGets(repoA));

        // Image B shares the busybox layer: only its own layer and config are fetched.
        String imageB = ok(strata.strata(mode, fresh, "pull", "oci:" + registry.host() + "/" + repoB + ":1")).line();
        assertEquals(2, registry.blobGets(repoB), "the shared base layer is not downloaded again");
        assertEquals("b", ok(strata.strata(mode, fresh, "run", imageB, "cat", "/b")).line());
    }

    private static Mode anyMode() {
        return strata.runningAsRoot ? Mode.ROOT : Mode.ROOTLESS;
    }

    @Test
    void aManifestListGivesThisMachinesPlatform() throws Exception {
        String repo = "multi/arch";
        String here = switch (System.getProperty("os.arch")) {
            case "aarch64" -> "arm64";
            default -> "amd64";
        };
        String other = here.equals("amd64") ? "arm64" : "amd64";
        List<String> entries = new ArrayList<>();
        for (String arch : List.of("arm64", "amd64", "s390x")) {
            String manifest = registry.pushImage(repo, null, new Registry.Tar().file("arch", arch).bytes(), "{}");
            String digest = registry.putManifest(repo, Registry.sha256(manifest.getBytes()), "application/vnd.oci.image.manifest.v1+json", manifest);
            entries.add("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + digest + "\",\"size\":"
                    + manifest.getBytes().length + ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + arch + "\""
                    + (arch.equals("arm64") ? ",\"variant\":\"v8\"" : "") + "}}");
        }
        registry.putManifest(repo, "latest", "application/vnd.oci.image.index.v1+json",
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" + String.join(",", entries) + "]}");
        Mode mode = anyMode();
        Path data = strata.newStore(mode);
        String id = ok(strata.strata(mode, data, "pull", "oci:" + registry.host() + "/" + repo)).line();
        assertEquals(here, archOf(data, id));
        Path data2 = strata.newStore(mode);
        String forced = ok(strata.strata(mode, data2, strata.home, Map.of("STRATA_PLATFORM", "linux/" + other), null,
                "pull", "oci:" + registry.host() + "/" + repo + ":latest")).line();
        assertEquals(other, archOf(data2, forced));
        Result none = strata.strata(mode, data2, strata.home, Map.of("STRATA_PLATFORM", "linux/riscv64"), null,
                "pull", "oci:" + registry.host() + "/" + repo);
        assertEquals(125, none.exitCode());
        assertTrue(none.err().matches("strata: .*no linux/riscv64 image in the manifest list \\(it has linux/arm64/v8, linux/amd64, linux/s390x\\)\n"), none.err());
    }

    @Test
    void plainGzipAndZstdLayersWithDockerMediaTypes() throws Exception {
        byte[] plain = new Registry.Tar().file("etc/one", "plain").bytes();
        byte[] gz = new Registry.Tar().file("etc/two", "gzip").bytes();
        byte[] zst = new Registry.Tar().file("etc/three", "zstd").file(".wh.gone", "").bytes();
        registry.pushLayers("formats/mixed", "1", List.of(
                new Object[] {"application/vnd.docker.image.rootfs.diff.tar", plain, plain},
                new Object[] {"application/vnd.docker.image.rootfs.diff.tar.gzip", Registry.gzip(gz), gz},
                new Object[] {"application/vnd.oci.image.layer.v1.tar+zstd", Registry.zstd(zst), zst}));
        Mode mode = anyMode();
        Path data = strata.newStore(mode);
        String id = ok(strata.strata(mode, data, "pull", "oci:" + registry.host() + "/formats/mixed:1")).line();
        assertEquals(4, Installation.layerCount(data), "three layers and the config");
        Path top = data.resolve("layers").resolve(Files.readString(data.resolve("layers").resolve(id).resolve("parent")).strip());
        assertEquals("zstd", Files.readString(top.resolve("root/etc/three")));
        assertEquals("0 0", Files.getAttribute(top.resolve("root/gone"), "unix:rdev", java.nio.file.LinkOption.NOFOLLOW_LINKS) + " "
                + ((Integer) Files.getAttribute(top.resolve("root/gone"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 0170000 ^ 0020000),
                "the OCI whiteout became the store's 0:0 character device");
        try (var layers = Files.list(data.resolve("layers"))) {
            String all = layers.map(l -> l.resolve("root/etc")).filter(Files::isDirectory).map(d -> {
                try (var f = Files.list(d)) {
                    return f.map(p -> p.getFileName().toString()).sorted().toList().toString();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList().toString();
            assertEquals("[[one], [three], [two]]", all);
        }
    }

    /** The file /arch of an image: its config layer's parent holds it. */
    private static String archOf(Path data, String id) throws Exception {
        String parent = Files.readString(data.resolve("layers").resolve(id).resolve("parent")).strip();
        return Files.readString(data.resolve("layers").resolve(parent).resolve("root/arch"));
    }

    enum Corruption { BAD_BLOB_DIGEST, TRUNCATED_BLOB, WRONG_MANIFEST_DIGEST, PATH_TRAVERSAL, SYMLINK_ESCAPE }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void aCorruptOrHostileImageFailsWithOneLineAndKeepsNothing(Corruption corruption) throws Exception {
        String marker = "strata-escape-" + UUID.randomUUID();
        String repo = "corrupt/" + corruption.name().toLowerCase().replace('_', '-');
        Registry.Tar tar = new Registry.Tar().file("unique", marker);
        if (corruption == Corruption.PATH_TRAVERSAL) tar.file("../../../../../../tmp/" + marker, "pwned");
        if (corruption == Corruption.SYMLINK_ESCAPE) tar.symlink("evil", "/tmp").file("evil/" + marker, "pwned");
        byte[] layer = tar.bytes();
        String manifest = registry.pushImage(repo, "1", layer, "{\"Cmd\":[\"sh\"]}");
        String layerDigest = Registry.sha256(Registry.gzip(layer));
        switch (corruption) {
            case BAD_BLOB_DIGEST -> {
                byte[] stored = Files.readAllBytes(registry.blobData(layerDigest));
                stored[stored.length / 2] ^= 0x55;
                Files.write(registry.blobData(layerDigest), stored);
            }
            case TRUNCATED_BLOB -> {
                byte[] stored = Files.readAllBytes(registry.blobData(layerDigest));
                Files.write(registry.blobData(layerDigest), java.util.Arrays.copyOf(stored, stored.length / 2));
            }
            case WRONG_MANIFEST_DIGEST -> {
                // Still valid JSON, so the registry serves it, under the digest of the original.
                Path file = registry.blobData(Registry.sha256(manifest.getBytes()));
                Files.writeString(file, manifest.replace("\"schemaVersion\":2", "\"schemaVersion\": 2"));
            }
            default -> { }
        }
        String expected = switch (corruption) {
            case BAD_BLOB_DIGEST -> "strata: blob " + layerDigest + " of " + registry.host() + "/" + repo + ": digest mismatch (got sha256:";
            case TRUNCATED_BLOB -> "strata: blob " + layerDigest + " of " + registry.host() + "/" + repo + ": truncated (got ";
            case WRONG_MANIFEST_DIGEST -> "strata: manifest 1 of " + registry.host() + "/" + repo + ": digest mismatch (expected sha256:";
            case PATH_TRAVERSAL -> "strata: " + registry.host() + "/" + repo + ":1: layer " + layerDigest + ": tar entry ../../../../../../tmp/"
                    + marker + " points outside the layer (refused)";
            case SYMLINK_ESCAPE -> "strata: " + registry.host() + "/" + repo + ":1: layer " + layerDigest + ": tar entry evil/" + marker
                    + " goes through the symlink evil (refused)";
        };
        for (Mode mode : Mode.values()) {
            if (mode == Mode.ROOT && !strata.runningAsRoot) continue;
            if (mode == Mode.ROOTLESS && strata.runningAsRoot && new ProcessBuilder("id", Installation.TEST_USER).start().waitFor() != 0) continue;
            Path data = strata.newStore(mode);
            Result r = strata.strata(mode, data, "pull", "oci:" + registry.host() + "/" + repo + ":1");
            assertEquals(125, r.exitCode(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith(expected), "expected " + expected + "\n got " + r.err());
            assertEquals(0, Installation.layerCount(data), "no layer kept");
            Path tmp = data.resolve("tmp");
            if (Files.isDirectory(tmp)) {
                try (var s = Files.list(tmp)) {
                    assertEquals(List.of(), s.toList(), "nothing left in DATA/tmp");
                }
            }
            assertFalse(Files.exists(Path.of("/tmp", marker)), "nothing escaped onto the host");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void tokenAuthAgainstARealRegistry(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path dir = java.nio.file.Files.createTempDirectory("strata-token-");
        try (TokenServer tokens = new TokenServer(dir); Registry secured = Registry.start(tokens.registryConfig())) {
            Path data = strata.newStore(mode);
            String base = strata.importBusybox(mode, data);
            Map<String, String> credentials = Map.of("STRATA_REGISTRY_USER", TokenServer.USER, "STRATA_REGISTRY_PASSWORD", TokenServer.PASSWORD);
            String target = secured.host() + "/auth/img:1";
            Result anonymousPush = strata.strata(mode, data, "push", base, target);
            assertEquals(125, anonymousPush.exitCode());
            assertEquals("strata: " + secured.host() + ": access denied by the token server (no credentials: strata login " + secured.host()
                    + ", or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD)\n", anonymousPush.err());
            ok(strata.strata(mode, data, strata.home, credentials, null, "push", base, target));
            assertTrue(tokens.requests.stream().anyMatch(r -> r.contains("scope=repository%3Aauth%2Fimg%3Apull%2Cpush")), tokens.requests.toString());

            Path fresh = strata.newStore(mode);
            Result wrong = strata.strata(mode, fresh, strata.home, Map.of("STRATA_REGISTRY_USER", "alice", "STRATA_REGISTRY_PASSWORD", "guess"),
                    null, "pull", "oci:" + target);
            assertEquals("strata: " + secured.host() + ": access denied by the token server (check the credentials)\n", wrong.err());
            String id = ok(strata.strata(mode, fresh, strata.home, credentials, null, "pull", "oci:" + target)).line();
            assertEquals("ok", ok(strata.strata(mode, fresh, "run", id, "echo", "ok")).line());
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    /** podman's login/logout (issue 20): checked with the registry, kept in auth.json (0600), read by push and pull, forgotten. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void loginKeepsCredentialsInPodmansAuthJsonAndLogoutForgetsThem(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path dir = java.nio.file.Files.createTempDirectory("strata-login-");
        try (TokenServer tokens = new TokenServer(dir); Registry secured = Registry.start(tokens.registryConfig())) {
            Path data = strata.newStore(mode);
            String base = strata.importBusybox(mode, data);
            Path wd = strata.newWorkDirectory(mode);
            Path authFile = wd.resolve("auth.json");
            Map<String, String> env = Map.of("REGISTRY_AUTH_FILE", authFile.toString());
            Result wrong = strata.strata(mode, data, wd, env, "guess\n", "login", "-u", TokenServer.USER, "--password-stdin", secured.host());
            assertEquals(125, wrong.exitCode());
            assertEquals("strata: " + secured.host() + ": access denied by the token server (check the credentials)\n", wrong.err());
            assertFalse(java.nio.file.Files.exists(authFile), "refused credentials are not kept");
            Result login = strata.strata(mode, data, wd, env, TokenServer.PASSWORD + "\n", "login", "-u", TokenServer.USER, "--password-stdin",
                    secured.host());
            assertEquals("Login Succeeded!\n", login.out(), login.err());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(authFile)));
            assertTrue(java.nio.file.Files.readString(authFile).contains("\"" + secured.host() + "\""), java.nio.file.Files.readString(authFile));
            String target = secured.host() + "/login/img:1";
            ok(strata.strata(mode, data, wd, env, null, "push", base, target));
            Path fresh = strata.newStore(mode);
            String id = ok(strata.strata(mode, fresh, wd, env, null, "pull", "oci:" + target)).line();
            assertEquals(base.length(), id.length());
            Result logout = strata.strata(mode, data, wd, env, null, "logout", secured.host());
            assertEquals("Removed login credentials for " + secured.host() + "\n", logout.out(), logout.err());
            Path fresher = strata.newStore(mode);
            Result anonymous = strata.strata(mode, fresher, wd, env, null, "pull", "oci:" + target);
            assertEquals(125, anonymous.exitCode());
            assertTrue(anonymous.err().contains("no credentials: strata login " + secured.host()), anonymous.err());
            Result again = strata.strata(mode, data, wd, env, null, "logout", secured.host());
            assertEquals(125, again.exitCode());
            assertEquals("strata: not logged into " + secured.host() + " (in " + authFile + ")\n", again.err());
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    /** Short names through registries.conf as podman resolves them: an alias first, else the search registries in order. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void shortNamesResolveThroughRegistriesConf(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        ok(strata.strata(mode, data, "push", base, registry.host() + "/app:1"));
        ok(strata.strata(mode, data, "push", base, registry.host() + "/lib/web:2"));
        Path wd = strata.newWorkDirectory(mode);
        Path conf = java.nio.file.Files.writeString(wd.resolve("registries.conf"), """
                unqualified-search-registries = ["127.0.0.1:1", "%s"]
                [aliases]
                "web" = "%s/lib/web"
                """.formatted(registry.host(), registry.host()));
        Map<String, String> env = Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString());
        Path fresh = strata.newStore(mode);
        Result searched = strata.strata(mode, fresh, wd, env, null, "run", "app:1", "echo", "searched");
        assertEquals("searched", searched.line(), searched.err());
        Result aliased = strata.strata(mode, fresh, wd, env, null, "run", "web:2", "echo", "aliased");
        assertEquals("aliased", aliased.line(), aliased.err());
        String names = ok(strata.strata(mode, fresh, "images", "--format", "{{.Names}}")).out();
        assertTrue(names.contains(registry.host() + "/app:1") && names.contains(registry.host() + "/lib/web:2"), names);
        Result local = strata.strata(mode, fresh, wd, env, null, "run", "--pull", "never", "app:1", "echo", "local");
        assertEquals("local", local.line(), "the pulled image by its qualified name: " + local.err());
        Result missing = strata.strata(mode, fresh, wd, env, null, "pull", "web:9");
        assertEquals(125, missing.exitCode());
        assertEquals("strata: web:9 is " + registry.host() + "/lib/web:9 (the alias in registries.conf): manifest 9 of " + registry.host()
                + "/lib/web: not found\n", missing.err());
    }

    /** A pull on a terminal shows its progress and ends with a summary line; on a pipe, and with -q, only the id. */
    @Test
    void pullProgressOnATerminalOnly() throws Exception {
        Mode mode = anyMode();
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        ok(strata.strata(mode, data, "push", base, registry.host() + "/progress/app:1"));
        Path script = strata.newWorkDirectory(mode).resolve("pty-run.py");
        try (java.io.InputStream in = OciIT.class.getResourceAsStream("pty-run.py")) {
            java.nio.file.Files.copy(in, script);
        }
        List<String> shown = new java.util.ArrayList<>();
        for (List<String> flags : List.of(List.<String>of(), List.of("-q"))) {
            List<String> cmd = new java.util.ArrayList<>(List.of("python3", script.toString(), "\u0001never-shown", "", "--"));
            List<String> pull = new java.util.ArrayList<>(List.of("pull"));
            pull.addAll(flags);
            pull.add("oci:" + registry.host() + "/progress/app:1");
            cmd.addAll(strata.command(mode, strata.newStore(mode), Map.of(), pull));
            Result r = Installation.run(cmd, strata.home, null, 120);
            assertEquals(0, r.exitCode(), r.out() + r.err());
            shown.add(r.out());
        }
        assertTrue(shown.get(0).matches("(?s).*progress/app:1 \\(1 of 1 layers\\)  [0-9.]+ MiB / [0-9.]+ MiB +[0-9]+%.*"), shown.get(0));
        assertTrue(shown.get(0).matches("(?s).*progress/app:1 \\(1 of 1 layers\\): [0-9.]+ MiB in [0-9.]+ s \\([0-9.]+ MiB/s\\)\r?\n.*"), shown.get(0));
        assertFalse(shown.get(1).contains("MiB"), "-q: no progress: " + shown.get(1));
        Result piped = ok(strata.strata(mode, strata.newStore(mode), "pull", "oci:" + registry.host() + "/progress/app:1"));
        assertEquals("", piped.err(), "nothing but the id on a pipe");
        assertTrue(piped.out().matches("[0-9a-f]{64}\n"), piped.out());
    }

    @Test
    void badReferencesAndUnreachableRegistriesAreOneLine() throws Exception {
        Mode mode = anyMode();
        Path data = strata.newStore(mode);
        Result bad = strata.strata(mode, data, "pull", "oci:Alpine//x");
        assertEquals(125, bad.exitCode());
        assertTrue(bad.err().startsWith("strata: bad image reference 'Alpine//x'"), bad.err());
        Result missing = strata.strata(mode, data, "pull", "oci:" + registry.host() + "/no/such:tag");
        assertEquals("strata: manifest tag of " + registry.host() + "/no/such: not found\n", missing.err());
        Result refused = strata.strata(mode, data, "pull", "oci:127.0.0.1:1/x:1");
        assertEquals("strata: cannot reach registry 127.0.0.1:1 (http): connection refused\n", refused.err());
        Path noRegistries = java.nio.file.Files.writeString(strata.newWorkDirectory(mode).resolve("registries.conf"), "# nothing\n");
        Result noScheme = strata.strata(mode, data, strata.home, Map.of("CONTAINERS_REGISTRIES_CONF", noRegistries.toString()), null,
                "pull", "nothing-here");
        assertEquals(125, noScheme.exitCode());
        assertEquals("strata: 'nothing-here' is a short name; registries.conf has no alias for it and no unqualified-search-registries ("
                + noRegistries + ")\n", noScheme.err());
        assertEquals(2, strata.strata(mode, data, "pull", "Not A Reference").exitCode());
        Result sources = ok(strata.strata(mode, data, "sources"));
        assertTrue(sources.out().contains("oci "), sources.out());
        assertTrue(sources.out().contains("oci-layout "), sources.out());
        assertTrue(sources.out().contains("docker-archive "), sources.out());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void ociLayoutAndDockerArchiveExportAndImport(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = buildImage(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        ok(strata.strata(mode, data, wd, Map.of(), null, "export-oci", "--tag", "v2", image, "layout"));
        ok(strata.strata(mode, data, wd, Map.of(), null, "export-docker", "--tag", "strata/test:v2", image, "image.tar"));
        assertTrue(Files.isRegularFile(wd.resolve("layout/oci-layout")));
        assertTrue(Files.readString(wd.resolve("layout/index.json")).contains("\"org.opencontainers.image.ref.name\" : \"v2\""));

        for (String source : List.of("oci-layout:" + wd.resolve("layout") + ":v2", "docker-archive:" + wd.resolve("image.tar"))) {
            Path fresh = strata.newStore(mode);
            String id = ok(strata.strata(mode, fresh, "pull", source)).line();
            assertEquals("hello from /d", ok(strata.strata(mode, fresh, "run", id)).line(), source);
            Result files = ok(strata.strata(mode, fresh, "run", id, "sh", "-c", "cat /d/f; test -e /etc/group || echo group-deleted; ls /opt"));
            assertEquals(List.of("hi", "group-deleted", "new"), files.out().lines().toList(), source);
            assertEquals(id, ok(strata.strata(mode, fresh, "pull", source)).line(), "cached");
        }
        // A layout blob that does not match its digest is refused, keeping nothing.
        Path fresh = strata.newStore(mode);
        String index = Files.readString(wd.resolve("layout/index.json"));
        try (var blobs = Files.list(wd.resolve("layout/blobs/sha256"))) {
            for (Path blob : blobs.toList()) {
                if (Files.size(blob) > 100_000) Files.write(blob, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
            }
        }
        Result corrupt = strata.strata(mode, fresh, "pull", "oci-layout:" + wd.resolve("layout") + ":v2");
        assertEquals(125, corrupt.exitCode(), index);
        assertTrue(corrupt.err().matches("strata: oci-layout:.*: blob sha256:[0-9a-f]{64}: digest mismatch \\(got sha256:[0-9a-f]{64}\\)\n"), corrupt.err());
        assertEquals(0, Installation.layerCount(fresh));
    }
}
