package runtime.cli.commands;

import java.nio.file.Files;
import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;

/** plash's init: make the store's directories. Every command makes them when it needs them; this is for scripts. */
public final class InitCommand implements Command {
    @Override
    public String name() {
        return "init";
    }

    @Override
    public String summary() {
        return "create the image store's directories (any command creates them when needed; running it twice is fine)";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("STRATA_DATA=/srv/images strata init", "a new store at /srv/images"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(0);
        var store = in.engine().store();
        Files.createDirectories(store.layersDirectory());
        Files.createDirectories(store.mapDirectory());
        Files.createDirectories(store.tmpDirectory());
        return 0;
    }
}
