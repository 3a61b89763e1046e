package runtime.jmh;

import java.io.IOException;
import java.nio.file.Files;
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

import runtime.core.store.ImageStore;
import runtime.core.store.LayerInfo;

/**
 * Listing a store of 1,000 layers ({@code strata images}' store work: reading every layer.json and
 * sorting by creation), and resolving an id prefix among them, from a warm JVM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ImageListBenchmark {
    static final int LAYERS = 1000;
    private BenchStore store;
    private String prefix;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        store = new BenchStore();
        ImageStore images = store.engine.store();
        // 10 base layers with 99 steps each, as builds leave them; each holds one small file.
        String last = null;
        for (int base = 0; base < 10; base++) {
            Optional<String> parent = Optional.empty();
            for (int step = 0; step < LAYERS / 10; step++) {
                Path staging = images.newStaging();
                try {
                    Path root = Files.createDirectory(staging.resolve("root"));
                    Files.writeString(root.resolve("step"), base + "/" + step + "\n");
                    String id = images.commit(staging, parent, "bench " + base + " " + step).id();
                    parent = Optional.of(id);
                    last = id;
                } finally {
                    images.discard(staging);
                }
            }
        }
        prefix = last.substring(0, 12);
        if (images.list().size() != LAYERS) throw new IllegalStateException("expected " + LAYERS + " layers");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
    }

    @Benchmark
    public List<LayerInfo> list() {
        return store.engine.store().list();
    }

    @Benchmark
    public String resolvePrefix() {
        return store.engine.store().resolve(prefix).id();
    }
}
