package runtime.jmh;

import java.io.IOException;
import java.io.PrintStream;
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

import runtime.core.build.BuildScript;
import runtime.core.build.Builder;
import runtime.core.store.Layer;

/**
 * A cached build step from a warm JVM: parsing {@code --from IMAGE --run true}, resolving the image and
 * the Builder finding the step's layer already in the store (what {@code strata build} does on a
 * cache hit, without the JVM start).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BuildCacheBenchmark {
    private BenchStore store;
    private List<String> arguments;
    private Builder.Options options;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        store = new BenchStore();
        Layer image = store.busybox();
        arguments = List.of("--from", image.id(), "--run", "true");
        options = new Builder.Options(false, Optional.empty(), Path.of("/"), new PrintStream(PrintStream.nullOutputStream()));
        Builder first = new Builder(store.engine, options);
        first.build(script());
        if (first.stepsBuilt() != 1) throw new IllegalStateException("the step was not built on the first run");
    }

    private BuildScript script() throws IOException {
        return BuildScript.fromArguments(arguments, Path.of("/"), Map.of());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
    }

    @Benchmark
    public Layer cachedStep() throws Exception {
        Builder builder = new Builder(store.engine, options);
        Layer top = builder.build(script());
        if (builder.stepsCached() != 1) throw new IllegalStateException("cache miss");
        return top;
    }
}
