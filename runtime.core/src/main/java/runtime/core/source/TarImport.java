package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Optional;

import runtime.api.source.SourceContext;

/**
 * A downloaded root filesystem archive as a base layer, keyed exactly as {@code tar:} and
 * {@code strata import-tar} key it (the SHA-256 of the archive's bytes), so the same archive is one
 * layer whichever way it arrived.
 */
final class TarImport {
    private TarImport() {}

    static String instruction(String sha256) {
        return "import-tar sha256:" + sha256;
    }

    static String importFile(SourceContext context, Downloads.Fetched fetched, String label) throws IOException {
        try (InputStream in = Files.newInputStream(fetched.file())) {
            return context.importLayer(Optional.empty(), instruction(fetched.sha256()), in);
        } finally {
            LxcSource.deleteQuietly(fetched.file());
        }
    }
}
