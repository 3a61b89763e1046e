package runtime.cli;

import java.util.Map;
import java.util.function.Consumer;

import runtime.core.launch.IdMaps;
import runtime.core.source.oci.ImageExporter;
import runtime.core.source.oci.OciSource;
import runtime.core.store.TarExtractor;

/**
 * The STRATA_* variables that hold a value, checked before any command runs: a bad one is one line and
 * exit 2 whatever the command, not a silent default (STRATA_IDMAP=bogus was read as auto) nor an error
 * half-way through a pull (STRATA_PLATFORM is read only when a registry offers a manifest list). Each
 * value is read by the parser its user has; only the checking is here.
 */
final class Settings {
    private Settings() {}

    private static final Map<String, Consumer<Map<String, String>>> PARSERS = Map.of(
            "STRATA_IDMAP", IdMaps::requestedMode,
            "STRATA_PLATFORM", OciSource::checkPlatform,
            TarExtractor.Limits.SIZE_VARIABLE, TarExtractor.Limits::fromEnvironment,
            TarExtractor.Limits.ENTRIES_VARIABLE, TarExtractor.Limits::fromEnvironment,
            "STRATA_PUSH_CHUNK_SIZE", ImageExporter::chunkSize);

    /** Throws {@link Invocation.BadValueException} naming the first variable of {@code env} its parser refuses. */
    static void check(Map<String, String> env) {
        for (var e : PARSERS.entrySet()) {
            if (!env.containsKey(e.getKey())) continue;
            Invocation.BadValueException.checking(e.getKey(), env.get(e.getKey()), v -> {
                e.getValue().accept(Map.of(e.getKey(), v));
                return v;
            });
        }
    }
}
