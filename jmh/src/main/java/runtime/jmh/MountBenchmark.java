package runtime.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import runtime.core.store.Layer;

/**
 * Overlay mount setup: {@code strata mount}'s work from a warm JVM (as root), that is making the
 * changes directory, the helper mounting the image's layers with the kernel overlay on a host
 * directory, and unmounting it again with its changes removed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MountBenchmark {
    private BenchStore store;
    private Layer image;
    private Path target;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        store = new BenchStore();
        image = store.busybox();
        target = Files.createDirectory(store.data.resolve("target"));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
    }

    @Benchmark
    public Path mountAndUnmount() throws Exception {
        Path changes = store.engine.mount(image, target, Optional.empty());
        store.engine.unmount(target);
        return changes;
    }
}
