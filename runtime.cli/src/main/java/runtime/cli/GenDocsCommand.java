package runtime.cli;

import java.nio.file.Path;

/** {@code strata __gen-docs DIR}: the man pages and completion files (Docs), run by the build into dist/share. */
final class GenDocsCommand implements Command {
    @Override
    public String name() {
        return "__gen-docs";
    }

    @Override
    public String summary() {
        return "write the man pages and the bash and zsh completion into DIR";
    }

    @Override
    public String arguments() {
        return "DIR";
    }

    @Override
    public int run(Invocation in) throws Exception {
        Docs.write(Path.of(in.argument(0, "DIR")));
        return 0;
    }
}
