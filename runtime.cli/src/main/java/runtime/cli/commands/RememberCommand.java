package runtime.cli.commands;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import runtime.cli.Command;
import runtime.cli.Context;
import runtime.cli.Invocation;
import runtime.cli.Main;
import runtime.core.store.ImageStore;

/**
 * plash's commands that remember image ids so they need not be typed: {@code this} (the image the last
 * build made), {@code recall} (the id the last recalled command printed, handed to the next one),
 * {@code cache} (a command line's printed id, kept by that line) and {@code do} (recall, with cache for
 * builds and pulls). The ids are kept as map names of the store ({@code this:last}, {@code recall:last},
 * {@code cache:HASH}), as plash keeps them; plash keys this and recall by terminal session, strata by store.
 */
public final class RememberCommand implements Command {
    /** The name build sets after every build, which {@code this} reads. */
    static final String THIS = "this:last";
    private static final String RECALL = "recall:last";

    /** Commands whose first argument is an image: recall inserts the remembered id there. */
    private static final Set<String> TAKES_IMAGE = Set.of("run", "create", "nodepath", "parent", "rm", "id", "with-mount",
            "mount", "export-tar", "export-dir", "export-oci", "export-docker", "add-layer", "check");
    /** Commands that print an image id: recall remembers it. */
    private static final Set<String> PRINTS_IMAGE = Set.of("build", "pull", "import-tar", "import-docker", "add-layer", "check",
            "parent", "create", "cache");

    private enum Kind { THIS, RECALL, DO, CACHE }

    private final Kind kind;

    private RememberCommand(Kind kind) {
        this.kind = kind;
    }

    public static RememberCommand thisImage() {
        return new RememberCommand(Kind.THIS);
    }

    public static RememberCommand recall() {
        return new RememberCommand(Kind.RECALL);
    }

    public static RememberCommand doCommand() {
        return new RememberCommand(Kind.DO);
    }

    public static RememberCommand cache() {
        return new RememberCommand(Kind.CACHE);
    }

    @Override
    public String name() {
        return switch (kind) {
            case THIS -> "this";
            case RECALL -> "recall";
            case DO -> "do";
            case CACHE -> "cache";
        };
    }

    @Override
    public String summary() {
        return switch (kind) {
            case THIS -> "print the image the last build made, or run COMMAND on it: strata this run ls";
            case RECALL -> "run COMMAND on the image id the last recalled command printed, and remember the id it prints";
            case DO -> "recall for any command, cached for build and pull: strata do pull lxc:alpine:3.20, strata do run ls";
            case CACHE -> "run COMMAND (which prints an image id) once: later the same command line prints the kept id";
        };
    }

    @Override
    public String description() {
        String kept = " Ids are kept as names in the store (strata map lists them); plash keeps them per terminal session, "
                + "strata per store.";
        return switch (kind) {
            case THIS -> "Without COMMAND, prints the id of the image the last strata build (or b, or exec) of this store made; "
                    + "with one, runs strata COMMAND IMAGE ARG... on it." + kept;
            case RECALL -> "Runs strata COMMAND ARG...; a command that takes an image (run, rm, nodepath ...) gets the remembered "
                    + "id as its first argument (build gets --from ID), and a command that prints one (build, pull, import-tar, "
                    + "add-layer ...) has it remembered. recall cache COMMAND ... caches the command too." + kept;
            case DO -> "As recall, with build, pull and import-* also cached (see strata cache): strata do pull lxc:alpine:3.20, "
                    + "then strata do build --run 'apk add git', then strata do run git --version." + kept;
            case CACHE -> "Runs strata COMMAND ARG..., which prints an image id, and keeps that id under the command line; the same "
                    + "command line in the same directory later prints the kept id without running (as long as the image exists)." + kept;
        };
    }

    @Override
    public List<Item> examples() {
        return switch (kind) {
            case THIS -> List.of(new Item("strata build --from busybox --run 'touch /a' && strata this run ls /a", "run on what was just built"));
            case RECALL -> List.of(new Item("strata recall import-tar rootfs.tar && strata recall run ls", "run the image just imported"));
            case DO -> List.of(new Item("strata do pull lxc:alpine:3.20 && strata do run cat /etc/os-release", "pull once, then run it"));
            case CACHE -> List.of(new Item("strata cache pull lxc:alpine:3.20", "pull the first time only"));
        };
    }

    @Override
    public String arguments() {
        return kind == Kind.THIS ? "[COMMAND [ARG...]]" : "COMMAND [ARG...]";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation in) throws Exception {
        List<String> args = in.arguments();
        ImageStore store = in.engine().store();
        if (kind == Kind.THIS) {
            String id = remembered(store, THIS, "no image built yet in this store: strata build sets it");
            if (args.isEmpty()) {
                in.out().println(id);
                return 0;
            }
            List<String> run = new ArrayList<>(List.of(args.getFirst(), id));
            run.addAll(args.subList(1, args.size()));
            return Main.run(in.context().withArgs(run));
        }
        if (args.isEmpty()) throw new Invocation.UsageException("no command given");
        if (args.getFirst().startsWith("-")) throw new Invocation.UsageException("the first argument is a strata command (e.g. run), not " + args.getFirst());
        if (kind == Kind.CACHE) return cached(in, store, args);
        List<String> command = new ArrayList<>();
        List<String> rest = new ArrayList<>(args);
        if (kind == Kind.DO) {
            String c = args.getFirst();
            if (c.equals("build") || c.equals("pull") || c.startsWith("import-")) command.add("cache");
        } else if (args.getFirst().equals("cache")) {
            command.add(rest.removeFirst());
            if (rest.isEmpty()) throw new Invocation.UsageException("cache needs a command");
        }
        String cmd = rest.removeFirst();
        command.add(cmd);
        if (cmd.equals("build")) {
            command.addAll(List.of("--from", remembered(store, RECALL, "nothing to recall yet: start with strata recall pull ... (or import-tar)")));
        } else if (TAKES_IMAGE.contains(cmd)) {
            command.add(remembered(store, RECALL, "nothing to recall yet: start with strata recall pull ... (or import-tar)"));
        }
        command.addAll(rest);
        if (!PRINTS_IMAGE.contains(cmd)) return Main.run(in.context().withArgs(command));
        Captured out = capture(in, command);
        if (out.code() != 0) return out.code();
        String id = imageId(store, out.firstLine(), cmd);
        store.map(RECALL, Optional.of(id));
        in.out().println(id);
        return 0;
    }

    private static int cached(Invocation in, ImageStore store, List<String> args) {
        // The working directory is part of the line: `cache import-tar ./rootfs.tar` means another file elsewhere.
        String key = "cache:" + sha256(in.cwd() + "\0" + String.join("\0", args)).substring(0, 32);
        Optional<String> kept = store.mapped(key).filter(id -> store.layer(id).isPresent());
        if (kept.isPresent()) {
            in.out().println(kept.get());
            return 0;
        }
        Captured out = capture(in, args);
        if (out.code() != 0) return out.code();
        String id = imageId(store, out.firstLine(), args.getFirst());
        store.map(key, Optional.of(id));
        in.out().println(id);
        return 0;
    }

    private static String remembered(ImageStore store, String name, String none) {
        Optional<String> id = store.mapped(name).filter(i -> store.layer(i).isPresent());
        if (id.isEmpty()) throw new IllegalArgumentException(none);
        return id.get();
    }

    private static String imageId(ImageStore store, String printed, String cmd) {
        if (printed.isEmpty()) throw new IllegalArgumentException("strata " + cmd + " printed no image id to remember");
        return store.resolve(printed).id();
    }

    private record Captured(int code, String firstLine) {}

    /** Runs a strata command with its printed output kept (its errors still reach the caller). */
    private static Captured capture(Invocation in, List<String> args) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Context c = in.context();
        Context.Stdio s = c.stdio();
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            Context.Stdio captured = new Context.Stdio(s.inFd(), s.outFd(), s.errFd(), s.in(), out, s.err(), s.inTty(), false, s.errTty());
            int code = Main.run(new Context(args, c.env(), c.cwd(), c.umask(), captured, c.program()));
            String text = buffer.toString(StandardCharsets.UTF_8);
            if (code != 0) in.out().print(text);
            return new Captured(code, text.lines().findFirst().orElse("").strip());
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
