package runtime.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

import runtime.core.Engine;
import runtime.core.launch.Timings;
import runtime.core.store.Layer;
import runtime.core.store.Trees;

/**
 * Container start to exit of /bin/true on a busybox image, plash-style (overlay, shared host), from a
 * warm JVM: the cost strata adds per container once the JVM is up. The image is imported from the tar
 * named by -Dstrata.bench.rootfs (scripts/busybox-rootfs makes one).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ContainerStartBenchmark {
    private Path data;
    private Engine engine;
    private Layer image;
    private Engine.RunOptions options;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        data = Files.createTempDirectory("strata-bench-");
        engine = new Engine(Map.of("STRATA_DATA", data.toString()));
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("strata.bench.rootfs")))) {
            image = engine.store().importTar(in, "busybox rootfs");
        }
        options = new Engine.RunOptions(Optional.empty(), "host", Path.of("/"), List.of("PATH=/bin:/usr/bin"), List.of());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        Trees.deleteRecursively(data);
    }

    @Benchmark
    public int startToExit() throws Exception {
        return engine.run(image, List.of("/bin/true"), options, new Timings()).waitFor().shellCode();
    }
}
