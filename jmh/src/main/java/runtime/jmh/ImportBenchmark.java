package runtime.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import runtime.core.store.Layer;

/**
 * Layer import throughput: {@code ImageStore.importTar} of a realistic root filesystem (scripts/bench-rootfs:
 * ~370 MiB, ~34,000 entries, small and large files) as plain tar, tar.gz and tar.xz, from a warm JVM
 * (C2, unlike the CLI's C1-only JVM). The archives are {@code -Dstrata.bench.bigrootfs} plus ".gz" / ".xz".
 * One import per invocation; the layer is removed between them. Divide the archive's unpacked size by the
 * time for MiB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(1)
public class ImportBenchmark {
    @Param({"", ".gz", ".xz"})
    public String compression;

    private BenchStore store;
    private Path archive;
    private Layer imported;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        store = new BenchStore();
        archive = Path.of(BenchStore.property("strata.bench.bigrootfs") + compression);
        if (!Files.isRegularFile(archive)) throw new IllegalStateException(archive + " is missing (scripts/bench-jmh makes it)");
    }

    @TearDown(Level.Invocation)
    public void removeLayer() throws Exception {
        if (imported != null) store.engine.remove(imported);
        imported = null;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
    }

    @Benchmark
    public Layer importTar() throws IOException {
        try (InputStream in = Files.newInputStream(archive)) {
            imported = store.engine.store().importTar(in, archive.toString());
        }
        return imported;
    }
}
