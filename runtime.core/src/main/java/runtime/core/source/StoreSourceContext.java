package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.source.RunConfig;
import runtime.api.source.SourceContext;
import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Timings;
import runtime.core.store.Decompress;
import runtime.core.store.ImageConfig;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
import runtime.core.store.TarExtractor;

/**
 * strata's side of {@link SourceContext}: layers go through the store's staging and atomic commit,
 * remembered pulls live in DATA/sources/SHA256(key).
 */
public final class StoreSourceContext implements SourceContext, AutoCloseable {
    private final Engine engine;
    private final ImageStore store;
    private Path scratch;

    public StoreSourceContext(Engine engine) {
        this.engine = engine;
        this.store = engine.store();
    }

    private Path keyFile(String key) {
        return store.data().resolve("sources").resolve(ImageStoreKeys.sha256(key));
    }

    @Override
    public Optional<String> recall(String key) {
        try {
            // The file holds the id, then the key (for people reading the store): the id is the first line.
            String id = Files.readString(keyFile(key)).lines().findFirst().orElse("").strip();
            return store.layer(id).isPresent() ? Optional.of(id) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public void remember(String key, String imageId) throws IOException {
        Path file = keyFile(key);
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "key-", ".tmp");
        Files.writeString(tmp, imageId + "\n" + key + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public boolean hasLayer(Optional<String> parent, String instruction) {
        return store.layer(ImageStore.layerId(parent, instruction)).isPresent();
    }

    @Override
    public String importLayer(Optional<String> parent, String instruction, InputStream tar) throws IOException {
        String id = ImageStore.layerId(parent, instruction);
        if (store.layer(id).isPresent()) return id;
        Path staging = store.newStaging();
        try {
            Path root = Files.createDirectory(staging.resolve("root"));
            TarExtractor extractor = new TarExtractor(root, !rootless(), store.limits());
            try (InputStream in = Decompress.open(tar)) {
                extractor.extract(in);
            } catch (runtime.core.store.StoreException e) {
                throw e;
            } catch (IOException e) {
                // A truncated or corrupt archive: one line naming what failed; staging goes in finally.
                throw new runtime.core.store.StoreException("cannot unpack " + instruction + ": " + oneLine(e), e);
            }
            if (extractor.entries() == 0) {
                throw new runtime.core.store.StoreException("cannot unpack " + instruction + ": not a tar archive (no entries)");
            }
            if (extractor.skippedDevices() > 0) {
                // Rootless users cannot make device nodes; containers get the host's /dev anyway.
                warn("skipped " + extractor.skippedDevices() + " device node(s) in " + instruction + " (rootless)");
            }
            // An OCI layer may be empty; a root filesystem archive (tar:) with nothing in it is a mistake.
            if (extractor.entries() == 0 && parent.isEmpty() && instruction.startsWith("import-tar ")) {
                throw new runtime.core.store.StoreException("not a tar archive (no entries)");
            }
            if (parent.isPresent()) {
                store.layer(parent.get()).ifPresent(p -> copyConfig(p, staging));
            }
            return store.commit(staging, parent, instruction).id();
        } finally {
            store.discard(staging);
        }
    }

    private static String oneLine(IOException e) {
        if (e instanceof java.io.EOFException) return "the archive is truncated";
        return runtime.core.Errors.oneLine(e);
    }

    private static void copyConfig(Layer parent, Path staging) {
        try {
            ImageConfig.read(parent.directory()).write(staging);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public String configure(String imageId, RunConfig config) throws IOException {
        java.util.LinkedHashMap<String, String> env = new java.util.LinkedHashMap<>();
        for (String kv : config.env()) {
            int eq = kv.indexOf('=');
            if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        ImageConfig image = new ImageConfig(env, config.workdir(), config.entrypoint(), config.cmd(), config.user(), config.stopSignal());
        String instruction = "config sha256:" + ImageStoreKeys.sha256(String.valueOf(image));
        Path staging = store.newStaging();
        try {
            Files.createDirectory(staging.resolve("root"));
            image.write(staging);
            return store.commit(staging, Optional.of(imageId), instruction).id();
        } finally {
            store.discard(staging);
        }
    }

    @Override
    public String runAndCommit(String imageId, List<String> argv, String instruction) throws IOException {
        String id = ImageStore.layerId(Optional.of(imageId), instruction);
        if (store.layer(id).isPresent()) return id;
        Layer image = store.layer(imageId).orElseThrow(() -> new IllegalArgumentException("no image " + imageId));
        Path staging = store.newStaging();
        try {
            Path upper = Files.createDirectory(staging.resolve("root"));
            Path work = Files.createDirectory(staging.resolve("work"));
            List<String> env = new ArrayList<>(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"));
            // Packages' maintainer scripts are the archive's code: they run isolated (own mount, pid, ipc, uts
            // and network namespaces, a fresh /proc, no host home), and in a user namespace even as root, so
            // that neither /proc/PID/root nor root's capabilities reach the host.
            Engine.RunOptions run = new Engine.RunOptions(Optional.empty(), "none", Path.of("/"), env, List.of(),
                    Optional.of(new Engine.WritableLayer(upper, work)), true, true)
                    .isolated(new ContainerPlans.Isolation("bootstrap", false).withUserNamespaceAsRoot());
            Container c = engine.launch(image, argv, run, new Timings());
            int code = c.waitFor().shellCode();
            if (code != 0) throw new IOException(String.join(" ", argv) + " exited with " + code);
            engine.finishUpper(c, image, upper);
            engine.deleteTree(work);
            ImageConfig.read(image.directory()).write(staging);
            return store.commit(staging, Optional.of(imageId), instruction).id();
        } catch (LaunchException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            store.discard(staging);
        }
    }

    /**
     * One client for every pull of this JVM, made on first use (thread-safe lazy holder): it depends on
     * nothing of a caller, and a server's later pulls reuse its connections.
     */
    private static final class SharedHttp {
        static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    @Override
    public HttpClient http() {
        return SharedHttp.CLIENT;
    }

    @Override
    public Progress progress(String label, long totalBytes) {
        return new TerminalProgress(engine.caller().diagnostics(), engine.caller().diagnosticsTerminal(), label, totalBytes);
    }

    @Override
    public Path workingDirectory() {
        return engine.caller().cwd();
    }

    @Override
    public void warn(String message) {
        engine.caller().diagnostics().println("strata: " + message);
    }

    @Override
    public synchronized Path scratch() throws IOException {
        if (scratch == null) scratch = store.newStaging();
        return scratch;
    }

    @Override
    public Map<String, String> environment() {
        return engine.environment();
    }

    @Override
    public boolean rootless() {
        return engine.ids().rootless();
    }

    @Override
    public synchronized void close() throws IOException {
        if (scratch != null) {
            store.discard(scratch);
            scratch = null;
        }
    }

    /**
     * A one-line progress display on a terminal (nothing on a pipe): label, bytes so far of the total,
     * percent, rate and time left; redrawn at most 10 times a second, and replaced at the end by one
     * summary line (size, time, mean rate).
     */
    static final class TerminalProgress implements Progress {
        private final PrintStream out;
        private final boolean enabled;
        private final String label;
        private final long total;
        private final long start = System.nanoTime();
        private long done;
        private long lastDraw;

        TerminalProgress(PrintStream out, boolean enabled, String label, long total) {
            this.out = out;
            this.enabled = enabled;
            this.label = label;
            this.total = total;
        }

        @Override
        public synchronized void advance(long bytes) {
            done += bytes;
            long now = System.nanoTime();
            if (enabled && now - lastDraw > 100_000_000L) {
                lastDraw = now;
                out.print("\r\033[K" + line(done, total, now - start));
                out.flush();
            }
        }

        /** What the line shows after {@code elapsedNanos}: label, bytes, percent and time left when the total is known, rate. */
        String line(long bytes, long of, long elapsedNanos) {
            double seconds = Math.max(1e-3, elapsedNanos / 1e9);
            double rate = bytes / seconds;
            StringBuilder b = new StringBuilder(label).append("  ").append(mib(bytes));
            if (of > 0) {
                b.append(" / ").append(mib(of)).append(String.format(java.util.Locale.ROOT, "  %3d%%", Math.min(100, bytes * 100 / of)));
            }
            b.append("  ").append(mib((long) rate)).append("/s");
            if (of > 0 && bytes < of && rate > 0) b.append("  ").append(duration((of - bytes) / rate)).append(" left");
            return b.toString();
        }

        /** The line that stays: size, time taken and mean rate. */
        String summary(long bytes, long elapsedNanos) {
            double seconds = Math.max(1e-3, elapsedNanos / 1e9);
            return label + ": " + mib(bytes) + " in " + duration(seconds) + " (" + mib((long) (bytes / seconds)) + "/s)";
        }

        static String duration(double seconds) {
            long s = Math.round(seconds);
            if (seconds < 10) return String.format(java.util.Locale.ROOT, "%.1f s", seconds);
            return s < 3600 ? (s / 60 > 0 ? s / 60 + " min " : "") + s % 60 + " s" : s / 3600 + " h " + s % 3600 / 60 + " min";
        }

        private static String mib(long bytes) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }

        @Override
        public synchronized void close() {
            if (enabled) {
                out.print("\r\033[K");
                out.println(summary(done, System.nanoTime() - start));
            }
        }
    }
}
