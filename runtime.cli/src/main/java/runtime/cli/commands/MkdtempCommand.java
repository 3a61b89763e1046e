package runtime.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;

/** plash's mkdtemp: a new empty directory in the store's tmp/ (same filesystem as the layers), printed. */
public final class MkdtempCommand implements Command {
    @Override
    public String name() {
        return "mkdtemp";
    }

    @Override
    public String summary() {
        return "create an empty directory in the store's tmp/ and print its path (strata clean removes it)";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("dir=$(strata mkdtemp) && echo hi > \"$dir/hi\" && strata add-layer $img \"$dir\"",
                "prepare a layer next to the store, then add it"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(0);
        Path tmp = in.engine().store().tmpDirectory();
        Files.createDirectories(tmp);
        Path dir = Files.createTempDirectory(tmp, "mkdtemp-");
        in.out().println(dir);
        return 0;
    }
}
