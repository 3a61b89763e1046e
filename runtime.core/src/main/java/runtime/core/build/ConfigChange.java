package runtime.core.build;

import java.util.List;

import runtime.core.store.ImageConfig;

/** A change a build step makes to the image's run configuration. */
public sealed interface ConfigChange {
    ImageConfig applyTo(ImageConfig config);

    /** The canonical line this change contributes to its step's instruction (and so to the cache key). */
    String canonical();

    record Env(String name, String value) implements ConfigChange {
        @Override
        public ImageConfig applyTo(ImageConfig config) {
            return config.withEnv(name, value);
        }

        @Override
        public String canonical() {
            return "env " + name + "=" + value;
        }
    }

    record Workdir(String directory) implements ConfigChange {
        @Override
        public ImageConfig applyTo(ImageConfig config) {
            return config.withWorkdir(directory);
        }

        @Override
        public String canonical() {
            return "workdir " + directory;
        }
    }

    record Entrypoint(List<String> command) implements ConfigChange {
        public Entrypoint {
            command = List.copyOf(command);
        }

        @Override
        public ImageConfig applyTo(ImageConfig config) {
            return config.withEntrypoint(command);
        }

        @Override
        public String canonical() {
            return "entrypoint " + Shell.quote(command);
        }
    }
}
