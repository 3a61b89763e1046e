package runtime.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import runtime.core.Engine;
import runtime.core.store.Layer;
import runtime.core.store.Trees;

/**
 * A throw-away store for one benchmark trial: under {@code -Dstrata.bench.data} (scripts/bench-jmh
 * passes /dev/shm, so that the VM's disk does not dominate), else the JVM's temp directory.
 */
final class BenchStore implements AutoCloseable {
    final Path data;
    final Engine engine;

    BenchStore() throws IOException {
        Path parent = Path.of(System.getProperty("strata.bench.data", System.getProperty("java.io.tmpdir")));
        data = Files.createTempDirectory(parent, "strata-bench-");
        engine = new Engine(runtime.core.Caller.onOwnDescriptors(Map.of("STRATA_DATA", data.toString()), System.err));
    }

    /** Imports the busybox rootfs tar named by -Dstrata.bench.rootfs (scripts/busybox-rootfs makes one). */
    Layer busybox() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of(property("strata.bench.rootfs")))) {
            return engine.store().importTar(in, "busybox rootfs");
        }
    }

    static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) throw new IllegalStateException("-D" + name + " is not set (run scripts/bench-jmh)");
        return value;
    }

    @Override
    public void close() throws IOException {
        engine.close();
        Trees.deleteRecursively(data);
    }
}
