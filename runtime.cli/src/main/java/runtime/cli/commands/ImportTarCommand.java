package runtime.cli.commands;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import runtime.core.store.Layer;

@Command(name = "import-tar", description = "import a root filesystem tar (gz, xz, zstd, bz2 or plain; - for stdin) and print its image id")
public final class ImportTarCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE|-", description = "the archive, or - to read standard input")
    String file;

    @Override
    public Integer call() throws Exception {
        Layer layer;
        if (file.equals("-")) {
            layer = Context.engine().store().importTar(System.in, "standard input");
        } else {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(file + ": no such file");
            }
            try (InputStream in = Files.newInputStream(path)) {
                layer = Context.engine().store().importTar(in, file);
            }
        }
        System.out.println(layer.id());
        return 0;
    }
}
