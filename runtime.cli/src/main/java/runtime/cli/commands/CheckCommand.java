package runtime.cli.commands;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;

/**
 * plash's check: an empty layer on IMAGE keyed by PATH's modification, change time and inode, so a build
 * from it ({@code --from $(strata check $img ./src)}) is cached until PATH changes.
 */
public final class CheckCommand implements Command {
    @Override
    public String name() {
        return "check";
    }

    @Override
    public String summary() {
        return "print an image on IMAGE that stays the same until PATH changes (a cache key for the builds on it)";
    }

    @Override
    public String description() {
        return "Prints the id of an empty layer on IMAGE keyed by PATH's modification time, change time and inode: the same "
                + "while PATH is unchanged, another one after it changed. Builds from it are cached until then. PATH itself "
                + "is not read (a file changed inside a directory does not change the directory's times).";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata build --from $(strata check $img requirements.txt) --pip -r requirements.txt",
                "reinstall when requirements.txt changes"));
    }

    @Override
    public String arguments() {
        return "IMAGE PATH";
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (in.arguments().size() != 2) throw new Invocation.UsageException("want IMAGE and PATH");
        ImageStore store = in.engine().store();
        Layer image = store.resolve(in.argument(0, "IMAGE"));
        Path path = in.path(in.argument(1, "PATH"));
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) throw new IllegalArgumentException(in.argument(1, "PATH") + ": no such file or directory");
        Map<String, Object> a = Files.readAttributes(path, "unix:ino,ctime,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        String instruction = "check " + path + " mtime " + a.get("lastModifiedTime") + " ctime " + a.get("ctime") + " ino " + a.get("ino");
        Optional<Layer> kept = store.child(image, instruction);
        if (kept.isPresent()) {
            in.out().println(kept.get().id());
            return 0;
        }
        Path staging = store.newStaging();
        try {
            Files.createDirectory(staging.resolve("root"));
            // Each layer carries the image's whole configuration: the new top keeps IMAGE's entrypoint and env.
            runtime.core.store.ImageConfig.read(image.directory()).write(staging);
            in.out().println(store.commit(staging, Optional.of(image.id()), instruction).id());
        } finally {
            store.discard(staging);
        }
        return 0;
    }
}
