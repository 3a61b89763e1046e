package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A layer's config file keeps the image's StopSignal, and stop reads it as a number (SIGTERM when none or unknown). */
class ImageConfigTest {
    @TempDir
    Path dir;

    @Test
    void theStopSignalSurvivesTheLayerFileAndTheBuildersChanges() throws Exception {
        ImageConfig c = new ImageConfig(Map.of("A", "1"), Optional.empty(), List.of("/bin/sh"), List.of(), Optional.empty(), Optional.of("SIGUSR1"));
        c.withEnv("B", "2").withWorkdir("/srv").write(dir);
        ImageConfig read = ImageConfig.read(dir);
        assertEquals(Optional.of("SIGUSR1"), read.stopSignal());
        assertEquals(10, read.stopSignalNumber());
        assertEquals(Optional.of("SIGUSR1"), read.withEntrypoint(List.of("x")).stopSignal());
    }

    @Test
    void withoutOrWithAnUnknownOneStopSendsTerm() {
        assertEquals(15, ImageConfig.EMPTY.stopSignalNumber());
        assertEquals(15, new ImageConfig(Map.of(), Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.of("SIGPIGEON")).stopSignalNumber());
        assertEquals(9, new ImageConfig(Map.of(), Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.of("9")).stopSignalNumber());
    }

    @Test
    void aStopSignalAloneIsAConfig() throws Exception {
        new ImageConfig(Map.of(), Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.of("SIGINT")).write(dir);
        assertEquals(2, ImageConfig.read(dir).stopSignalNumber());
    }
}
