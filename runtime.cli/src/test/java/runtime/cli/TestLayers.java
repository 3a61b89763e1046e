package runtime.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.cli.Installation.Mode;
import runtime.core.store.ImageStore;

/**
 * Child layers for tests, made the way a build step will make them (staging + commit), until a strata
 * command does: the files of {@code upper} (e.g. a {@code run --persist} directory's data, whiteouts
 * included) become a layer on {@code parent}. Needs root to copy device nodes (whiteouts).
 */
final class TestLayers {
    private TestLayers() {}

    static String commitChild(Mode mode, Path data, String parent, Path upper, String instruction) throws Exception {
        ImageStore store = new ImageStore(data, true);
        Path staging = store.newStaging();
        try {
            Installation.exec(List.of("cp", "-a", upper.toString(), staging.resolve("root").toString()));
            String id = store.commit(staging, Optional.of(parent), instruction).id();
            if (mode == Mode.ROOTLESS) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", data.toString()));
            return id;
        } finally {
            store.discard(staging);
        }
    }
}
