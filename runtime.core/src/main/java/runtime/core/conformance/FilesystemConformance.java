package runtime.core.conformance;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import runtime.api.fs.FilesystemDriver;
import runtime.api.plan.SetupOp;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.WaitStatus;
import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.FuseDaemons;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Timings;
import runtime.core.store.ImageConfig;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
import runtime.core.store.LayerFormat;

/**
 * The filesystem-driver conformance suite: what every driver must do the same way, checked through the
 * real launcher in a throwaway store. Run it with {@code strata check-driver NAME} (as root and as a
 * user with /etc/subuid ranges); strata's own tests run it for every driver found.
 *
 * <p>Three layers: a base written in the store format (files, hard links, symlinks, modes, ownership,
 * xattrs, a sparse and a large file), a layer in the store format with whiteouts and an opaque
 * directory (as an import makes), and a layer written <em>through the driver</em> by a build-like step
 * (deletions, a re-made directory, chown, xattr, hard link, a directory renamed across layers, setuid,
 * a sparse file), then normalised by the driver and committed. The committed layer must be in the
 * store's format, and the whole stack must read back as expected through the driver.
 *
 * <p>Containers see the host's {@code /usr} (bound read-only) for the tools the checks use
 * ({@code stat}, {@code getfattr}, {@code sha256sum}): the host needs a merged /usr and the package
 * {@code attr}.
 */
public final class FilesystemConformance {
    public enum Status { PASS, FAIL, SKIP }

    /** The result of one check; {@code detail} says what differed, or why it was skipped. */
    public record Outcome(String check, Status status, String detail) {
        @Override
        public String toString() {
            return status + " " + check + (detail.isEmpty() ? "" : ": " + detail);
        }
    }

    private static final String UNIONFS_XATTR = "Debian's unionfs-fuse 1.0 is built without extended attribute support "
            + "(unionfs-fuse --version does not say 'compiled with xattr support'): getxattr and setxattr fail";

    /**
     * Documented limits of built-in drivers: check name to reason. A third-party driver gets no
     * exemptions; one listed here is reported as SKIP with the reason, never silently passed.
     */
    static final Map<String, Map<String, String>> KNOWN_LIMITS = Map.of(
            "unionfs-fuse", Map.of(
                    "hard-link-inode", "unionfs-fuse gives every path its own inode number (its -o use_ino would pass "
                            + "the branches' numbers through, which collide across the filesystems of store and scratch upper)",
                    "xattr from a layer", UNIONFS_XATTR,
                    "step: xattr on a copied-up file", UNIONFS_XATTR));


    private static final String BIG_SEED = "strata-conformance";
    private static final int BIG_BYTES = 24 << 20;
    private static final long SPARSE_BYTES = 64L << 20;

    private final Engine engine;
    private final String driver;
    private final boolean rootStore;
    private final List<Outcome> outcomes = new ArrayList<>();

    private FilesystemConformance(Engine engine, String driver) {
        this.engine = engine;
        this.driver = driver;
        this.rootStore = !engine.ids().rootless();
    }

    /**
     * Runs the suite for {@code driverName} in {@code engine}'s store (use a throwaway store: the suite
     * adds layers to it).
     */
    public static List<Outcome> run(Engine engine, String driverName) throws IOException, LaunchException {
        FilesystemDriver d = engine.drivers().filesystem(driverName); // a wrong name fails here, in one line
        FilesystemConformance suite = new FilesystemConformance(engine, d.name());
        suite.runAll();
        return List.copyOf(suite.outcomes);
    }

    private void runAll() throws IOException, LaunchException {
        String bigSum = sha256(bigContent());
        Layer base = baseLayer();
        Layer deletions = storeFormatLayer(base);
        boolean fullIds = rootStore || engine.ids().uids().stream().mapToLong(m -> m.count()).sum() > 1000;
        Layer step = stepThroughDriver(deletions, fullIds);
        if (step == null) return;
        checkStoreFormat(step);
        Map<String, String> seen = readThroughDriver(step);
        if (seen == null) return;
        expect(seen, "regular file", "keep", "keep");
        expect(seen, "whiteout hides a file", "gone", "absent");
        expect(seen, "whiteout hides a directory", "gonedir", "absent");
        expect(seen, "opaque directory hides lower entries", "opq", "new");
        expect(seen, "hard link count", "hardlinks", "2");
        expect(seen, "hard-link-inode", "hardino", "same");
        expect(seen, "symlink", "sym", "keep.txt");
        expect(seen, "dangling symlink", "dangling", "nowhere");
        expect(seen, "permissions", "mode", "751");
        expect(seen, "xattr from a layer", "xattr", "hello");
        expect(seen, "large file content", "bigsum", bigSum);
        expect(seen, "sparse file size", "sparsesize", Long.toString(SPARSE_BYTES));
        expect(seen, "sparse file tail", "sparsetail", "end");
        if (rootStore) {
            expect(seen, "ownership from a layer", "l1owned", "1234:2345");
        } else {
            skip("ownership from a layer", "rootless: the host user cannot give files to subordinate ids; "
                    + "ownership made in a container is checked instead");
        }
        expect(seen, "step: deleted file", "stepdel", "absent");
        expect(seen, "step: deleted directory", "stepdeldir", "absent");
        expect(seen, "step: re-made directory is opaque", "stepopq", "n");
        expect(seen, "step: xattr on a copied-up file", "stepxattr", "v");
        expect(seen, "step: hard link", "h3links", "2");
        expect(seen, "step: directory renamed across layers", "renamed", "c");
        expect(seen, "step: old directory name gone", "renamedir", "absent");
        expect(seen, "step: setuid bit", "suid", "4755");
        expect(seen, "step: symlink", "sym2", "keep.txt");
        expect(seen, "step: sparse file stays sparse", "sparse2", "sparse");
        if (fullIds) {
            expect(seen, "step: chown to another id", "owned", "1000:1000");
        } else {
            skip("step: chown to another id", "only the caller's own id is mapped (no /etc/subuid range or newuidmap)");
        }
        checkScratchChangesVanish(step);
        checkNoDaemonLeft();
    }

    // ---- the layers ----

    private Layer baseLayer() throws IOException {
        ImageStore store = engine.store();
        Path staging = store.newStaging();
        try {
            Path root = Files.createDirectory(staging.resolve("root"));
            hostTools(root);
            Path data = Files.createDirectory(root.resolve("data"));
            Files.writeString(data.resolve("keep.txt"), "keep\n");
            Files.writeString(data.resolve("gone.txt"), "gone\n");
            Files.writeString(Files.createDirectories(data.resolve("gonedir")).resolve("x"), "x\n");
            Files.writeString(Files.createDirectories(data.resolve("opq")).resolve("old1"), "old\n");
            Files.writeString(data.resolve("hard1"), "hard\n");
            Files.createLink(data.resolve("hard2"), data.resolve("hard1"));
            Files.createSymbolicLink(data.resolve("sym"), Path.of("keep.txt"));
            Files.createSymbolicLink(data.resolve("dangling"), Path.of("nowhere"));
            Files.writeString(data.resolve("mode751"), "m\n");
            Files.setPosixFilePermissions(data.resolve("mode751"), PosixFilePermissions.fromString("rwxr-x--x"));
            Files.writeString(data.resolve("xattr.txt"), "x\n");
            setxattr(data.resolve("xattr.txt"), "user.test", "hello");
            try (RandomAccessFile f = new RandomAccessFile(data.resolve("sparse").toFile(), "rw")) {
                f.setLength(SPARSE_BYTES - 3);
                f.seek(SPARSE_BYTES - 3);
                f.write("end".getBytes(StandardCharsets.US_ASCII));
            }
            try (OutputStream out = Files.newOutputStream(data.resolve("big"))) {
                out.write(bigContent());
            }
            Files.writeString(Files.createDirectories(data.resolve("renamedir/b")).resolve("c"), "c\n");
            Files.writeString(data.resolve("renamedir/a"), "a\n");
            Files.writeString(data.resolve("stepdel.txt"), "d\n");
            Files.writeString(Files.createDirectories(data.resolve("stepdeldir")).resolve("y"), "y\n");
            Files.writeString(Files.createDirectories(data.resolve("stepopq")).resolve("old"), "old\n");
            Files.writeString(data.resolve("owned.txt"), "o\n");
            if (rootStore) {
                Files.writeString(data.resolve("l1owned"), "o\n");
                Files.setAttribute(data.resolve("l1owned"), "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(data.resolve("l1owned"), "unix:gid", 2345, LinkOption.NOFOLLOW_LINKS);
            }
            ImageConfig.EMPTY.write(staging);
            return store.commit(staging, Optional.empty(), "conformance base " + UUID.randomUUID());
        } finally {
            store.discard(staging);
        }
    }

    /**
     * The image borrows the host's tools: bin, sbin, lib and lib64 are symlinks into usr as on a merged
     * /usr host, and usr is bound from the host when a container starts.
     */
    private static void hostTools(Path root) throws IOException {
        Files.createDirectories(root.resolve("usr"));
        for (String dir : List.of("bin", "sbin", "lib", "lib64")) {
            Path host = Path.of("/", dir);
            if (Files.isSymbolicLink(host)) {
                Files.createSymbolicLink(root.resolve(dir), Files.readSymbolicLink(host));
            } else {
                Files.createDirectories(root.resolve(dir));
            }
        }
    }

    private static List<SetupOp.Bind> hostToolBinds() {
        List<SetupOp.Bind> binds = new ArrayList<>();
        binds.add(new SetupOp.Bind(Path.of("/usr"), Path.of("usr"), true, false));
        for (String dir : List.of("bin", "sbin", "lib", "lib64")) {
            Path host = Path.of("/", dir);
            if (!Files.isSymbolicLink(host) && Files.isDirectory(host)) binds.add(new SetupOp.Bind(host, Path.of(dir), true, true));
        }
        return binds;
    }

    private Layer storeFormatLayer(Layer parent) throws IOException {
        ImageStore store = engine.store();
        Path staging = store.newStaging();
        try {
            Path data = Files.createDirectories(staging.resolve("root/data"));
            LayerFormat.whiteout(data.resolve("gone.txt"));
            LayerFormat.whiteout(data.resolve("gonedir"));
            Path opq = Files.createDirectory(data.resolve("opq"));
            Files.writeString(opq.resolve("new"), "new\n");
            LayerFormat.markOpaque(opq, rootStore);
            ImageConfig.EMPTY.write(staging);
            return store.commit(staging, Optional.of(parent.id()), "conformance deletions " + UUID.randomUUID());
        } finally {
            store.discard(staging);
        }
    }

    private Layer stepThroughDriver(Layer parent, boolean fullIds) throws IOException, LaunchException {
        String script = String.join("\n",
                "rm /data/stepdel.txt",
                "rm -r /data/stepdeldir",
                "rm -r /data/stepopq",
                "mkdir /data/stepopq",
                "echo n > /data/stepopq/n",
                // a driver without xattrs fails the check below, not the whole step
                "setfattr -n user.step -v v /data/keep.txt || true",
                "echo h > /data/h3",
                "ln /data/h3 /data/h4",
                "mv /data/renamedir /data/renamed",
                "cp /data/keep.txt /data/suid",
                "chmod 4755 /data/suid",
                "ln -s keep.txt /data/sym2",
                "truncate -s 64M /data/sparse2",
                fullIds ? "chown 1000:1000 /data/owned.txt" : "true");
        ImageStore store = engine.store();
        Path staging = store.newStaging();
        try {
            Path upper = Files.createDirectory(staging.resolve("root"));
            Path work = Files.createDirectory(staging.resolve("work"));
            Engine.RunOptions run = new Engine.RunOptions(Optional.of(driver), "host", Path.of("/"),
                    List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), hostToolBinds(),
                    Optional.of(new Engine.WritableLayer(upper, work)), true, true);
            Container c = engine.launch(parent, List.of("/bin/sh", "-e", "-c", script), run, new Timings());
            WaitStatus status = waitFor(c);
            if (status.shellCode() != 0) {
                fail("step through the driver", "the step's commands failed with exit code " + status.shellCode()
                        + " (their errors are above)");
                return null;
            }
            engine.finishUpper(c, parent, upper);
            engine.deleteTree(work);
            ImageConfig.EMPTY.write(staging);
            pass("step through the driver");
            return store.commit(staging, Optional.of(parent.id()), "conformance step " + UUID.randomUUID());
        } finally {
            store.discard(staging);
        }
    }

    // ---- the checks ----

    private void checkStoreFormat(Layer step) throws IOException {
        Path data = step.root().resolve("data");
        check("store format: deleted file is a whiteout device", LayerFormat.isWhiteout(data.resolve("stepdel.txt")), "");
        check("store format: deleted directory is a whiteout device", LayerFormat.isWhiteout(data.resolve("stepdeldir")), "");
        check("store format: re-made directory carries " + LayerFormat.opaqueAttribute(rootStore),
                Files.isDirectory(data.resolve("stepopq")) && LayerFormat.isOpaque(data.resolve("stepopq"), rootStore), "");
        List<String> foreign = new ArrayList<>();
        Files.walkFileTree(step.root(), new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.getFileName().toString().equals(".unionfs-fuse") || dir.getFileName().toString().equals(".unionfs")) {
                    foreign.add(step.root().relativize(dir).toString());
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (xattr(dir, "user.fuseoverlayfs.opaque") != null) foreign.add(step.root().relativize(dir) + " (user.fuseoverlayfs.opaque)");
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (name.startsWith(".wh.") || name.startsWith(".fuse_hidden")) foreign.add(step.root().relativize(file).toString());
                return FileVisitResult.CONTINUE;
            }
        });
        check("store format: no driver metadata left", foreign.isEmpty(), "found " + foreign);
    }

    private Map<String, String> readThroughDriver(Layer top) throws IOException, LaunchException {
        String script = String.join("\n",
                "p() { printf '%s=%s\\n' \"$1\" \"$2\"; }",
                "ex() { if [ -e \"$1\" ] || [ -L \"$1\" ]; then echo present; else echo absent; fi; }",
                "cd /data",
                "p keep \"$(cat keep.txt)\"",
                "p gone \"$(ex gone.txt)\"",
                "p gonedir \"$(ex gonedir)\"",
                "p opq \"$(ls -A opq | tr '\\n' ' ' | sed 's/ $//')\"",
                "p hardlinks \"$(stat -c %h hard1)\"",
                "p hardino \"$(if [ $(stat -c %i hard1) = $(stat -c %i hard2) ]; then echo same; else echo different; fi)\"",
                "p sym \"$(readlink sym)\"",
                "p dangling \"$(readlink dangling)\"",
                "p mode \"$(stat -c %a mode751)\"",
                "p xattr \"$(getfattr --only-values -n user.test xattr.txt)\"",
                "p bigsum \"$(sha256sum big | cut -d' ' -f1)\"",
                "p sparsesize \"$(stat -c %s sparse)\"",
                "p sparsetail \"$(tail -c 3 sparse)\"",
                "p l1owned \"$(stat -c %u:%g l1owned 2>/dev/null)\"",
                "p stepdel \"$(ex stepdel.txt)\"",
                "p stepdeldir \"$(ex stepdeldir)\"",
                "p stepopq \"$(ls -A stepopq | tr '\\n' ' ' | sed 's/ $//')\"",
                "p stepxattr \"$(getfattr --only-values -n user.step keep.txt)\"",
                "p h3links \"$(stat -c %h h3)\"",
                "p renamed \"$(cat renamed/b/c)\"",
                "p renamedir \"$(ex renamedir)\"",
                "p suid \"$(stat -c %a suid)\"",
                "p sym2 \"$(readlink sym2)\"",
                "p sparse2 \"$(if [ $(stat -c %b sparse2) -lt 2048 ]; then echo sparse; else echo allocated; fi)\"",
                "p owned \"$(stat -c %u:%g owned.txt)\"");
        Path out = Files.createTempFile(engine.store().data().resolve("tmp"), "conformance-", ".out");
        try {
            List<String> env = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C");
            String command = "exec > " + out + "\n" + script;
            Engine.RunOptions run = new Engine.RunOptions(Optional.of(driver), "host", Path.of("/"), env, bindsWith(out));
            Container c = engine.launch(top, List.of("/bin/sh", "-c", command), run, new Timings());
            WaitStatus status = waitFor(c);
            if (status.shellCode() != 0) {
                fail("read the layers through the driver", "the reading script exited with " + status.shellCode());
                return null;
            }
            Map<String, String> seen = new LinkedHashMap<>();
            for (String line : Files.readAllLines(out)) {
                int eq = line.indexOf('=');
                if (eq > 0) seen.put(line.substring(0, eq), line.substring(eq + 1));
            }
            return seen;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The output file is bound into the container: /tmp is shared, but the store may not be under it. */
    private static List<SetupOp.Bind> bindsWith(Path out) {
        List<SetupOp.Bind> binds = new ArrayList<>(hostToolBinds());
        binds.add(new SetupOp.Bind(out, Path.of(out.toString().substring(1)), false, false));
        return binds;
    }

    private void checkScratchChangesVanish(Layer top) throws IOException, LaunchException {
        List<String> env = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
        Engine.RunOptions run = new Engine.RunOptions(Optional.of(driver), "host", Path.of("/"), env, hostToolBinds());
        WaitStatus first = waitFor(engine.launch(top, List.of("/bin/sh", "-e", "-c",
                "echo scratch > /data/scratch && rm /data/keep.txt && test ! -e /data/keep.txt && test -f /data/scratch"), run, new Timings()));
        check("writes and deletes in a container", first.shellCode() == 0, "exit code " + first.shellCode());
        WaitStatus second = waitFor(engine.launch(top, List.of("/bin/sh", "-e", "-c",
                "test ! -e /data/scratch && test -f /data/keep.txt"), run, new Timings()));
        check("a container's changes vanish with it", second.shellCode() == 0, "exit code " + second.shellCode());
    }

    private void checkNoDaemonLeft() {
        FuseDaemons.awaitGone(engine.store().data(), java.time.Duration.ofSeconds(5));
        List<FuseDaemons.Daemon> left = FuseDaemons.find(engine.store().data());
        check("no FUSE daemon outlives its container", left.isEmpty(), "still running: " + left);
    }

    // ---- helpers ----

    private void expect(Map<String, String> seen, String check, String key, String expected) {
        String reason = KNOWN_LIMITS.getOrDefault(driver, Map.of()).get(check);
        if (reason != null) {
            skip(check, reason);
            return;
        }
        String actual = seen.get(key);
        check(check, expected.equals(actual), "expected '" + expected + "', saw '" + actual + "'");
    }

    private void check(String check, boolean ok, String detail) {
        if (ok) pass(check);
        else fail(check, detail);
    }

    private void pass(String check) {
        outcomes.add(new Outcome(check, Status.PASS, ""));
    }

    private void fail(String check, String detail) {
        outcomes.add(new Outcome(check, Status.FAIL, detail));
    }

    private void skip(String check, String reason) {
        outcomes.add(new Outcome(check, Status.SKIP, reason));
    }

    private static WaitStatus waitFor(Container c) throws IOException {
        try {
            return c.waitFor();
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static byte[] bigContent() {
        byte[] b = new byte[BIG_BYTES];
        new Random(BIG_SEED.hashCode()).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void setxattr(Path p, String name, String value) throws IOException {
        try {
            Posix.setxattr(p.toString(), name, value.getBytes(StandardCharsets.UTF_8));
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static byte[] xattr(Path p, String name) throws IOException {
        try {
            return Posix.getxattr(p.toString(), name);
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
