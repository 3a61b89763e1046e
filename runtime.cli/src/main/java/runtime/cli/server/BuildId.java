package runtime.cli.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The build id of strata's distribution: {@code DIST/build-id}, a hash of its jars and native programs
 * written by the build (runtime.cli's pom). The front sends its own in the handshake and names the
 * socket after it, so a rebuilt strata never talks to a server of the previous build.
 */
final class BuildId {
    private BuildId() {}

    /** The dist this JVM runs from (DIST/lib/runtime.cli.jar), or null outside one. */
    static Path dist() {
        try {
            var source = BuildId.class.getProtectionDomain().getCodeSource();
            if (source == null) return null;
            Path jar = Path.of(source.getLocation().toURI());
            return jar.getParent() == null ? null : jar.getParent().getParent();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** The id, or null when the file is missing or not a hex string. */
    static String read(Path dist) {
        try {
            String id = Files.readString(dist.resolve("build-id")).strip();
            return id.matches("[0-9a-f]{1,64}") ? id : null;
        } catch (IOException e) {
            return null;
        }
    }
}
