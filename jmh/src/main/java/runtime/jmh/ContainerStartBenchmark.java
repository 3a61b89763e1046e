package runtime.jmh;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.Timings;
import runtime.core.store.Layer;

/**
 * Container start to exit of /bin/true on a busybox image from a warm JVM: the cost strata adds per
 * container once the JVM is up. {@code startToExit} is plash-style (overlay, shared host network and
 * files); {@code isolatedStartToExit} is what {@code strata run -I} does (pid, net, uts and ipc
 * namespaces, no network, private /dev, /proc and /tmp).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ContainerStartBenchmark {
    private BenchStore store;
    private Layer image;
    private Engine.RunOptions plash;
    private Engine.RunOptions isolated;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        store = new BenchStore();
        image = store.busybox();
        plash = new Engine.RunOptions(Optional.empty(), "host", Path.of("/"), List.of("PATH=/bin:/usr/bin"), List.of());
        isolated = new Engine.RunOptions(Optional.empty(), "none", Path.of("/"), List.of("PATH=/bin:/usr/bin", "HOSTNAME=bench"),
                List.of()).isolated(new ContainerPlans.Isolation("bench", false));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
    }

    @Benchmark
    public int startToExit() throws Exception {
        return store.engine.run(image, List.of("/bin/true"), plash, new Timings()).waitFor().shellCode();
    }

    @Benchmark
    public int isolatedStartToExit() throws Exception {
        return store.engine.run(image, List.of("/bin/true"), isolated, new Timings()).waitFor().shellCode();
    }
}
