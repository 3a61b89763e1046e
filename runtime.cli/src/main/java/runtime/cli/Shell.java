package runtime.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;

import runtime.cli.commands.ImagesCommand;
import runtime.core.store.ImageConfig;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
import runtime.core.store.LayerAnalysis;
import runtime.core.store.LayerInfo;
import runtime.core.store.LayerTree;
import runtime.core.store.MergedView;
import runtime.core.store.MergedView.Entry;
import runtime.core.store.MergedView.Type;

/**
 * The interactive shell's commands and state, apart from the terminal ({@link ShellCommand} drives it
 * with jline on a terminal, or line by line from a script). Exploring commands read an image's merged
 * filesystem straight from the store ({@link MergedView}): nothing is mounted or run; every other word
 * goes to the CLI ({@link Main#run}) as if typed after {@code strata}.
 */
final class Shell {
    /** What a positional argument of a command is, for completion. */
    enum Kind { IMAGE, NAME, PATH, COMMAND, NONE }

    @FunctionalInterface
    interface Handler {
        int run(List<String> args) throws Exception;
    }

    /** A command of the shell itself. {@code args}: the kind of each positional argument, the last one repeating. */
    record Builtin(String name, String usage, String summary, List<Kind> args, List<String> options, Handler handler) {
        Kind kind(int position) {
            if (args.isEmpty()) return Kind.NONE;
            return args.get(Math.min(position, args.size() - 1));
        }
    }

    /** Finds an image by reference, pulling {@code SOURCE:REF} as every strata command does. */
    @FunctionalInterface
    interface ImageResolver {
        Layer resolve(String reference) throws IOException;
    }

    /** Asked to leave the shell, with this exit code. */
    static final class Exit extends RuntimeException {
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    /**
     * How output looks: the terminal's width (0: unlimited, one entry per line), whether it takes colour,
     * and its height (0: no terminal, so no pager).
     */
    record Screen(int width, boolean colour, java.util.function.Function<AttributedString, String> ansi, int height) {
        static final Screen PLAIN = new Screen(0, false, AttributedString::toString, 0);

        Screen(int width, boolean colour, java.util.function.Function<AttributedString, String> ansi) {
            this(width, colour, ansi, 0);
        }

        String paint(String text, AttributedStyle style) {
            return colour ? ansi.apply(new AttributedString(text, style)) : text;
        }
    }

    static final AttributedStyle DIR = AttributedStyle.BOLD.foreground(AttributedStyle.BLUE);
    static final AttributedStyle LINK = AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN);
    static final AttributedStyle EXEC = AttributedStyle.BOLD.foreground(AttributedStyle.GREEN);
    static final AttributedStyle DIM = AttributedStyle.DEFAULT.faint();
    static final AttributedStyle ERROR = AttributedStyle.DEFAULT.foreground(AttributedStyle.RED);
    static final AttributedStyle ADDED = AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN);
    static final AttributedStyle PROMPT = AttributedStyle.BOLD.foreground(AttributedStyle.MAGENTA);

    private final ImageStore store;
    private final Context caller;
    private final Map<String, String> env;
    /** Where commands write: the terminal's stream, or for one line a pipe, a file or the pager. */
    private PrintStream out;
    private final PrintStream terminalOut;
    private final PrintStream err;
    private volatile Screen screen;
    private final Map<String, Builtin> builtins = new LinkedHashMap<>();
    private ImageResolver resolver;
    private Layer image;
    private String imageLabel;
    private MergedView view;
    private String cwd = "/";

    /** A shell for {@code caller}: its environment, directory and streams; commands typed run for it too. */
    Shell(ImageStore store, Context caller, Screen screen) {
        this.store = store;
        this.caller = caller;
        this.env = caller.env();
        this.out = caller.stdio().out();
        this.terminalOut = this.out;
        this.resolver = store::resolve;
        this.err = caller.stdio().err();
        this.screen = screen;
        add("help", "[COMMAND]", "the shell's commands, or one command's options", List.of(Kind.COMMAND), List.of(), this::help);
        add("exit", "[CODE]", "leave the shell (also quit, Ctrl-D)", List.of(Kind.NONE), List.of(), this::exit);
        add("quit", "[CODE]", "leave the shell", List.of(Kind.NONE), List.of(), this::exit);
        add("images", "", "the images and layers as a tree, with sizes, instructions and names (* marks the current one)",
                List.of(), List.of(), this::images);
        add("use", "IMAGE", "explore IMAGE: cd, ls, cat, ... then work inside its merged filesystem", List.of(Kind.IMAGE), List.of(),
                this::use);
        add("pwd", "", "the current directory in the image", List.of(), List.of(), a -> {
            requireImage();
            out.println(cwd);
            return 0;
        });
        add("cd", "[DIR]", "change directory inside the image (/ without DIR)", List.of(Kind.PATH), List.of(), this::cd);
        add("ls", "[-l] [PATH...]", "list a directory of the image (-l: mode, owner, size, layer)", List.of(Kind.PATH), List.of("-l"),
                this::ls);
        add("cat", "FILE...", "print files of the image (not binary ones: hd shows those)", List.of(Kind.PATH), List.of(), this::cat);
        add("hd", "FILE...", "a file of the image in hex and ASCII, as hexdump -C", List.of(Kind.PATH), List.of(), this::hexdump);
        add("clear", "", "clear the terminal", List.of(), List.of(), a -> {
            if (screen.height() > 0) out.print("\u001b[H\u001b[2J\u001b[3J");
            out.flush();
            return 0;
        });
        add("stat", "PATH...", "type, size, mode, owner, time and layer of a path", List.of(Kind.PATH), List.of(), this::stat);
        add("find", "[DIR] [-name GLOB] [-type f|d|l]", "paths below DIR (not following symlinks)", List.of(Kind.PATH),
                List.of("-name", "-type"), this::find);
        add("tree", "[DIR] [-L DEPTH]", "a directory as a tree", List.of(Kind.PATH), List.of("-L"), this::tree);
        add("du", "[PATH]", "bytes of files below PATH, biggest entries first", List.of(Kind.PATH), List.of(), this::du);
        add("layer", "PATH", "which layer PATH comes from, and what each layer did to it", List.of(Kind.PATH), List.of(), this::layer);
        add("diff", "[IMAGE_A] [IMAGE_B]", "files added (A), changed (C) and deleted (D) from A to B; one image: since its parent layer",
                List.of(Kind.IMAGE), List.of(), this::diff);
        add("inspect", "[IMAGE]", "an image's id, configuration (env, workdir, entrypoint) and layer chain", List.of(Kind.IMAGE),
                List.of(), this::inspect);
        add("history", "[IMAGE]", "the layers of an image, oldest first, with instructions, times and sizes", List.of(Kind.IMAGE),
                List.of(), this::history);
        add("layers", "[IMAGE]", "each layer, oldest first: size, what it added (+), changed (~) and removed (-), instruction",
                List.of(Kind.IMAGE), List.of(), this::layers);
        add("wasted", "[IMAGE]", "bytes and files that later layers overwrote or deleted, largest first", List.of(Kind.IMAGE),
                List.of(), this::wasted);
        add("efficiency", "[IMAGE]", "dive's score: 1 - wasted/total bytes (see check-image for CI)", List.of(Kind.IMAGE),
                List.of(), this::efficiency);
        add("strata", "COMMAND [ARGS...]", "a strata command even where the shell has one of the same name (e.g. strata inspect)",
                List.of(Kind.COMMAND, Kind.NONE), List.of(), this::cli);
    }

    private void add(String name, String usage, String summary, List<Kind> args, List<String> options, Handler handler) {
        builtins.put(name, new Builtin(name, usage, summary, args, options, handler));
    }

    /** Resolves {@code use} and image arguments with {@code r} (the engine's, which pulls) instead of the store's. */
    Shell resolveWith(ImageResolver r) {
        resolver = r;
        return this;
    }

    Map<String, Builtin> builtins() {
        return builtins;
    }

    ImageStore store() {
        return store;
    }

    Optional<MergedView> view() {
        return Optional.ofNullable(view);
    }

    String cwd() {
        return cwd;
    }

    void screen(Screen s) {
        screen = s;
    }

    /** The prompt: the current image and directory. */
    String prompt() {
        String where = image == null ? "" : " " + imageLabel + ":" + cwd;
        return screen.paint("strata" + where, PROMPT) + "> ";
    }

    /**
     * Runs one line; returns its exit code (0 for an empty line). Errors are printed as one line,
     * {@code strata: ...}, and give a non-zero code; {@link Exit} ends the shell.
     */
    int execute(String line) {
        ShellPipeline pipeline;
        try {
            pipeline = ShellPipeline.parse(line);
            ShellWords.split(pipeline.command());
        } catch (IllegalArgumentException e) {
            error(e.getMessage());
            return 2;
        }
        if (pipeline.file().isPresent()) return toFile(pipeline.command(), Path.of(pipeline.file().get()), pipeline.append());
        if (pipeline.host().isPresent()) return toHost(pipeline.command(), pipeline.host().get(), false);
        if (screen.height() > 0 && pages(pipeline.command())) return toHost(pipeline.command(), pagerCommand(), true);
        return executeWords(ShellWords.split(pipeline.command()));
    }

    /**
     * The shell's own commands page long output on a terminal; strata commands (run, build, also as
     * {@code strata run}) stream, and may need the terminal themselves.
     */
    private boolean pages(String command) {
        List<String> words = ShellWords.split(command);
        return !words.isEmpty() && builtins.containsKey(words.getFirst())
                && !List.of("clear", "exit", "quit", "strata").contains(words.getFirst());
    }

    private String pagerCommand() {
        String pager = env.get("PAGER");
        return pager == null || pager.isBlank() ? "less" : pager;
    }

    /** {@code COMMAND > FILE}: the command's output into a host file (relative to the shell's directory on the host). */
    private int toFile(String command, Path file, boolean append) {
        var options = append
                ? new java.nio.file.OpenOption[] {java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND}
                : new java.nio.file.OpenOption[] {java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                        java.nio.file.StandardOpenOption.WRITE};
        try (PrintStream target = new PrintStream(java.nio.file.Files.newOutputStream(file, options), false, StandardCharsets.UTF_8)) {
            out = target;
            int code = executeWords(ShellWords.split(command));
            target.flush();
            if (target.checkError()) {
                error(file + ": could not write all of the output (disk full?)");
                return 1;
            }
            return code;
        } catch (IOException e) {
            error(file + ": cannot write (" + Main.message(e) + ")");
            return 1;
        } finally {
            out = terminalOut;
        }
    }

    /**
     * {@code COMMAND | HOST}: the command's output is the standard input of {@code sh -c HOST} on the host,
     * whose output goes to the terminal; the line's status is the host command's, as in sh. As a pager
     * ({@code paging}), the output is shown directly unless it is longer than the screen.
     */
    private int toHost(String command, String host, boolean paging) {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", host).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        // As git does: quit at once when it fits after all, keep colours, leave the text on the screen.
        if (paging && env.get("LESS") == null) pb.environment().put("LESS", "FRX");
        terminalOut.flush();
        HostOutput sink = new HostOutput(pb, paging ? Math.max(1, screen.height() - 1) : 0, screen.width());
        PrintStream target = new PrintStream(sink, false, StandardCharsets.UTF_8);
        int code;
        try {
            out = target;
            code = executeWords(ShellWords.split(command));
        } finally {
            out = terminalOut;
        }
        target.flush();
        try {
            int host_ = sink.finish();
            return paging ? code : host_;
        } catch (IOException e) {
            error("cannot run the host command '" + host + "' (" + Main.message(e) + ")");
            return 127;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /**
     * Output for a host command's standard input, started on the first byte, or as a pager only once more
     * than {@code pageLines} rows were written (until then it is held, then shown directly if short).
     * Bytes the host command no longer reads (it quit, as head or q in less do) are dropped.
     */
    private final class HostOutput extends java.io.OutputStream {
        private final ProcessBuilder command;
        private final int pageLines;
        private final int width;
        private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
        private int rows;
        private int column;
        private Process process;
        private java.io.OutputStream stdin;
        private IOException failed;

        HostOutput(ProcessBuilder command, int pageLines, int width) {
            this.command = command;
            this.pageLines = pageLines;
            this.width = width;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (process == null && failed == null) {
                held.write(b, off, len);
                if (pageLines > 0) count(b, off, len);
                if (pageLines == 0 || rows > pageLines) start();
                return;
            }
            forward(b, off, len);
        }

        private void count(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    rows++;
                    column = 0;
                } else if ((b[i] & 0xc0) != 0x80 && width > 0 && ++column > width) {
                    rows++;
                    column = 1;
                }
            }
        }

        private void start() {
            try {
                process = command.start();
                stdin = process.getOutputStream();
                byte[] first = held.toByteArray();
                held.reset();
                forward(first, 0, first.length);
            } catch (IOException e) {
                failed = e;
            }
        }

        private void forward(byte[] b, int off, int len) {
            if (stdin == null) return;
            try {
                stdin.write(b, off, len);
            } catch (IOException e) {
                stdin = null; // it stopped reading
            }
        }

        /** Ends the input; returns the host command's status (0 when held output was shown directly). */
        int finish() throws IOException, InterruptedException {
            if (failed != null) throw failed;
            if (process == null) {
                if (pageLines == 0) start(); // no output at all: the host command still runs, on empty input
                else {
                    terminalOut.write(held.toByteArray());
                    terminalOut.flush();
                    return 0;
                }
                if (failed != null) throw failed;
            }
            if (stdin != null) {
                try {
                    stdin.close();
                } catch (IOException e) {
                    // it stopped reading
                }
            }
            return process.waitFor();
        }
    }

    private int executeWords(List<String> words) {
        if (words.isEmpty()) return 0;
        String name = words.getFirst();
        List<String> args = words.subList(1, words.size());
        Builtin b = builtins.get(name);
        if (b == null) {
            if (name.equals("shell")) {
                error("already in the shell");
                return 2;
            }
            if (!Main.COMMANDS.containsKey(Main.ALIASES.getOrDefault(name, name)) && !name.startsWith("-")) {
                error("unknown command '" + name + "' (help lists them)");
                return 2;
            }
            return cli(words);
        }
        try {
            return b.handler().run(List.copyOf(args));
        } catch (Exit e) {
            throw e;
        } catch (Invocation.UsageException e) {
            error(name + ": " + e.getMessage() + " (usage: " + name + (b.usage().isEmpty() ? "" : " " + b.usage()) + ")");
            return 2;
        } catch (java.io.InterruptedIOException e) {
            error("interrupted");
            return 130;
        } catch (Exception | OutOfMemoryError e) {
            error(Main.message(e));
            if (env.get("STRATA_TRACE") != null) e.printStackTrace(err);
            return 1;
        }
    }

    private void error(String message) {
        err.println(screen.paint("strata: " + message, ERROR));
        err.flush();
    }

    /** A strata command, as {@code strata WORDS...} would run it. */
    private int cli(List<String> words) {
        if (words.isEmpty()) throw new Invocation.UsageException("missing command");
        if (words.getFirst().equals("shell")) {
            error("already in the shell");
            return 2;
        }
        int code = Main.run(caller.withArgs(words));
        out.flush();
        // A container's status is its own; say it, as a prompt showing $? would.
        if (code != 0 && words.getFirst().equals("run")) error("exit status " + code);
        return code;
    }

    // ---- commands ----

    private int help(List<String> args) {
        if (!args.isEmpty()) {
            Builtin b = builtins.get(args.getFirst());
            if (b != null) {
                out.println("usage: " + b.name() + (b.usage().isEmpty() ? "" : " " + b.usage()));
                out.println("  " + b.summary());
                return 0;
            }
            return cli(List.of("help", args.getFirst()));
        }
        out.println("Shell commands (Tab completes commands, options, images and paths; Ctrl-R searches the history):");
        for (Builtin b : builtins.values()) {
            String head = String.format("  %-10s %-34s ", b.name(), b.usage());
            if (head.length() > 2 + 10 + 1 + 34 + 1) head = head.stripTrailing() + "\n" + " ".repeat(48);
            out.println(wrap(head, b.summary(), 48));
        }
        out.println("strata commands (as after 'strata'; run and build also work here):");
        StringBuilder line = new StringBuilder("  ");
        for (String c : Main.COMMANDS.keySet()) {
            if (c.startsWith("__") || c.equals("shell")) continue;
            if (screen.width() > 0 && line.length() + c.length() + 1 > screen.width()) {
                out.println(line.toString().stripTrailing());
                line = new StringBuilder("  ");
            }
            line.append(c).append(' ');
        }
        out.println(line.toString().stripTrailing());
        return 0;
    }

    private int exit(List<String> args) {
        if (args.size() > 1) throw new Invocation.UsageException("too many arguments");
        int code = 0;
        if (!args.isEmpty()) {
            try {
                code = Integer.parseInt(args.getFirst());
            } catch (NumberFormatException e) {
                throw new Invocation.UsageException("not a number: " + args.getFirst());
            }
        }
        throw new Exit(code);
    }

    private int images(List<String> unused) {
        if (!unused.isEmpty()) throw new Invocation.UsageException("no arguments expected");
        List<LayerInfo> layers = store.list();
        if (layers.isEmpty()) {
            out.println("no images (strata import-tar, pull or build make some)");
            return 0;
        }
        out.println(screen.paint(String.format("  %-12s  %10s  %s", "ID", "SIZE", "INSTRUCTION  [NAMES]"), DIM));
        for (LayerTree.Row row : LayerTree.rows(layers, store.maps())) {
            boolean current = image != null && image.id().equals(row.layer().id());
            String names = row.names().isEmpty() ? "" : "  [" + String.join(", ", row.names()) + "]";
            String text = String.format("%s %s%-12s  %10s  %s", current ? "*" : " ", row.prefix(), row.layer().id().substring(0, 12),
                    ImagesCommand.human(row.layer().size()), LayerTree.shortInstruction(row.layer().instruction()));
            out.println(fit(text) + screen.paint(names, LINK));
        }
        return 0;
    }

    private int use(List<String> args) throws IOException {
        if (args.size() != 1) throw new Invocation.UsageException(args.isEmpty() ? "missing IMAGE" : "too many arguments");
        Layer l = resolver.resolve(args.getFirst());
        MergedView v = MergedView.of(store, l);
        image = l;
        view = v;
        imageLabel = ImageStore.isMapName(args.getFirst()) && store.mapped(args.getFirst()).isPresent() ? args.getFirst() : l.shortId();
        ImageConfig config = ImageConfig.read(l.directory());
        cwd = "/";
        if (config.workdir().isPresent()) {
            Optional<Entry> wd = v.find("/", config.workdir().get(), true);
            if (wd.isPresent() && wd.get().isDirectory()) cwd = wd.get().path();
        }
        return 0;
    }

    private MergedView requireImage() {
        if (view == null) throw new IllegalStateException("no image in use: use IMAGE first (images lists them)");
        return view;
    }

    private int cd(List<String> args) throws IOException {
        MergedView v = requireImage();
        if (args.size() > 1) throw new Invocation.UsageException("too many arguments");
        String target = args.isEmpty() ? "/" : args.getFirst();
        Entry e = v.get(cwd, target, true);
        if (!e.isDirectory()) throw new IllegalArgumentException(target + ": not a directory");
        cwd = e.path();
        return 0;
    }

    private int ls(List<String> args) throws IOException {
        MergedView v = requireImage();
        boolean longFormat = false;
        List<String> paths = new ArrayList<>();
        for (String a : args) {
            if (a.equals("-l")) longFormat = true;
            else if (a.startsWith("-") && a.length() > 1) throw new Invocation.UsageException("unknown option " + a);
            else paths.add(a);
        }
        if (paths.isEmpty()) paths.add(".");
        int code = 0;
        for (int i = 0; i < paths.size(); i++) {
            String p = paths.get(i);
            Optional<Entry> found = v.find(cwd, p, true);
            if (found.isEmpty()) {
                error(p + ": no such file or directory");
                code = 1;
                continue;
            }
            Entry e = found.get();
            List<Entry> entries = e.isDirectory() ? v.list(e) : List.of(v.get(cwd, p, false));
            if (paths.size() > 1 && e.isDirectory()) out.println((i > 0 ? "\n" : "") + p + ":");
            if (longFormat) {
                for (Entry x : entries) out.println(longLine(x, x.isDirectory() && !e.isDirectory() ? p : x.name()));
            } else {
                columns(entries.stream().map(x -> x.name()).toList(), entries);
            }
        }
        return code;
    }

    private String longLine(Entry e, String label) {
        String link = e.target().map(t -> " -> " + t).orElse("");
        return String.format("%s %5d %5d %10d %s %s  %s%s", modeString(e), e.uid(), e.gid(), e.size(), date(e.modified()),
                e.layer().shortId(), styled(e, label), link);
    }

    /** Names in columns across the terminal's width (one per line when the width is unknown, as ls does in a pipe). */
    private void columns(List<String> names, List<Entry> entries) {
        if (names.isEmpty()) return;
        int width = screen.width();
        if (width <= 0) {
            for (int i = 0; i < names.size(); i++) out.println(styled(entries.get(i), names.get(i)));
            return;
        }
        int longest = names.stream().mapToInt(String::length).max().orElse(1) + 2;
        int cols = Math.max(1, width / longest);
        int rows = (names.size() + cols - 1) / cols;
        for (int r = 0; r < rows; r++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                int i = c * rows + r;
                if (i >= names.size()) break;
                String n = names.get(i);
                line.append(styled(entries.get(i), n));
                if (c < cols - 1 && (c + 1) * rows + r < names.size()) line.append(" ".repeat(longest - n.length()));
            }
            out.println(line);
        }
    }

    private String styled(Entry e, String label) {
        return switch (e.type()) {
            case DIRECTORY -> screen.paint(label, DIR);
            case SYMLINK -> screen.paint(label, LINK);
            case FILE -> (e.mode() & 0111) != 0 ? screen.paint(label, EXEC) : label;
            case OTHER -> label;
        };
    }

    private int cat(List<String> args) throws IOException {
        MergedView v = requireImage();
        if (args.isEmpty()) throw new Invocation.UsageException("missing FILE");
        int code = 0;
        for (String p : args) {
            try (InputStream in = v.open(v.get(cwd, p, true))) {
                byte[] start = in.readNBytes(8192);
                if (isBinary(start)) {
                    error(p + ": a binary file (hd " + p + " shows it in hex)");
                    code = 1;
                    continue;
                }
                out.write(start, 0, start.length);
                byte[] buffer = new byte[65536];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException();
                    out.write(buffer, 0, n);
                }
            }
        }
        out.flush();
        return code;
    }

    /** As grep and git decide: a NUL byte in the first 8 KiB. */
    private static boolean isBinary(byte[] start) {
        for (byte b : start) {
            if (b == 0) return true;
        }
        return false;
    }

    /** {@code hd FILE}: 16 bytes a line, offset, hex in two groups of 8, the printable ASCII; a repeated line is one *. */
    private int hexdump(List<String> args) throws IOException {
        MergedView v = requireImage();
        if (args.isEmpty()) throw new Invocation.UsageException("missing FILE");
        for (String p : args) {
            try (InputStream in = new java.io.BufferedInputStream(v.open(v.get(cwd, p, true)))) {
                long offset = 0;
                byte[] line = new byte[16];
                byte[] previous = null;
                boolean starred = false;
                int n;
                while ((n = in.readNBytes(line, 0, 16)) > 0) {
                    if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException();
                    if (n == 16 && previous != null && java.util.Arrays.equals(line, previous)) {
                        if (!starred) out.println("*");
                        starred = true;
                    } else {
                        starred = false;
                        StringBuilder text = new StringBuilder(String.format("%08x ", offset));
                        StringBuilder ascii = new StringBuilder();
                        for (int i = 0; i < 16; i++) {
                            if (i % 8 == 0) text.append(' ');
                            if (i < n) {
                                int b = line[i] & 0xff;
                                text.append(String.format("%02x ", b));
                                ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                            } else {
                                text.append("   ");
                            }
                        }
                        out.println(text + " |" + ascii + "|");
                    }
                    previous = n == 16 ? line.clone() : null;
                    offset += n;
                }
                out.println(String.format("%08x", offset));
            }
        }
        out.flush();
        return 0;
    }

    private int stat(List<String> args) throws IOException {
        MergedView v = requireImage();
        if (args.isEmpty()) throw new Invocation.UsageException("missing PATH");
        for (String p : args) {
            Entry e = v.get(cwd, p, false);
            out.println("  Path: " + e.path() + e.target().map(t -> " -> " + t).orElse(""));
            out.println("  Type: " + e.type().name().toLowerCase(java.util.Locale.ROOT) + "   Size: " + e.size()
                    + "   Mode: " + String.format("%04o", e.mode()) + " (" + modeString(e) + ")");
            out.println("  Owner: " + e.uid() + ":" + e.gid() + "   Modified: " + date(e.modified()));
            out.println("  Layer: " + e.layer().shortId() + "  " + instruction(e.layer()));
        }
        return 0;
    }

    private int find(List<String> args) throws IOException {
        MergedView v = requireImage();
        String start = ".";
        PathMatcher name = null;
        Character type = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-name") || a.equals("-type")) {
                if (i + 1 >= args.size()) throw new Invocation.UsageException(a + " needs a value");
                String value = args.get(++i);
                if (a.equals("-name")) {
                    name = FileSystems.getDefault().getPathMatcher("glob:" + value);
                } else {
                    if (!value.matches("[fdl]")) throw new Invocation.UsageException("-type is f, d or l");
                    type = value.charAt(0);
                }
            } else if (a.startsWith("-")) {
                throw new Invocation.UsageException("unknown option " + a);
            } else {
                start = a;
            }
        }
        Entry root = v.get(cwd, start, true);
        String shown = start.endsWith("/") && start.length() > 1 ? start.substring(0, start.length() - 1) : start;
        PathMatcher n = name;
        Character t = type;
        java.util.function.Predicate<Entry> matches = e -> (n == null || n.matches(Path.of(e.name())))
                && (t == null || typeLetter(e) == t);
        if (matches.test(root)) out.println(shown);
        if (root.isDirectory()) {
            String base = root.path();
            v.walk(root, e -> {
                if (matches.test(e)) {
                    out.println((shown.equals("/") ? "" : shown) + e.path().substring(base.equals("/") ? 0 : base.length()));
                }
            });
        }
        return 0;
    }

    private static char typeLetter(Entry e) {
        return switch (e.type()) {
            case DIRECTORY -> 'd';
            case FILE -> 'f';
            case SYMLINK -> 'l';
            case OTHER -> '?';
        };
    }

    private int tree(List<String> args) throws IOException {
        MergedView v = requireImage();
        String start = ".";
        int depth = Integer.MAX_VALUE;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("-L")) {
                if (i + 1 >= args.size()) throw new Invocation.UsageException("-L needs a depth");
                try {
                    depth = Integer.parseInt(args.get(++i));
                } catch (NumberFormatException e) {
                    throw new Invocation.UsageException("-L needs a number");
                }
            } else if (args.get(i).startsWith("-")) {
                throw new Invocation.UsageException("unknown option " + args.get(i));
            } else {
                start = args.get(i);
            }
        }
        Entry root = v.get(cwd, start, true);
        out.println(styled(root, start));
        int[] counts = {0, 0};
        if (root.isDirectory()) tree(v, root, "", depth, counts);
        out.println();
        out.println(counts[0] + " directories, " + counts[1] + " files");
        return 0;
    }

    private void tree(MergedView v, Entry dir, String indent, int depth, int[] counts) throws IOException {
        if (depth <= 0) return;
        List<Entry> entries = v.list(dir);
        for (int i = 0; i < entries.size(); i++) {
            if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException();
            Entry e = entries.get(i);
            boolean last = i == entries.size() - 1;
            out.println(fit(indent + (last ? "└── " : "├── ") + styled(e, e.name()) + e.target().map(t -> " -> " + t).orElse("")));
            counts[e.isDirectory() ? 0 : 1]++;
            if (e.isDirectory()) tree(v, e, indent + (last ? "    " : "│   "), depth - 1, counts);
        }
    }

    private int du(List<String> args) throws IOException {
        MergedView v = requireImage();
        if (args.size() > 1) throw new Invocation.UsageException("too many arguments");
        Entry e = v.get(cwd, args.isEmpty() ? "." : args.getFirst(), true);
        if (e.isDirectory()) {
            List<Map.Entry<Long, Entry>> sizes = new ArrayList<>();
            for (Entry child : v.list(e)) sizes.add(Map.entry(v.diskUsage(child), child));
            sizes.sort(Map.Entry.<Long, Entry>comparingByKey(Comparator.reverseOrder()).thenComparing(x -> x.getValue().name()));
            for (var s : sizes) out.printf("%10s  %s%n", ImagesCommand.human(s.getKey()), styled(s.getValue(), s.getValue().name()));
        }
        out.printf("%10s  %s%n", ImagesCommand.human(v.diskUsage(e)), "total");
        return 0;
    }

    private int layer(List<String> args) throws IOException {
        MergedView v = requireImage();
        if (args.size() != 1) throw new Invocation.UsageException(args.isEmpty() ? "missing PATH" : "too many arguments");
        Optional<Entry> e = v.find(cwd, args.getFirst(), false);
        // The history is of the path as written (resolving its directories' symlinks), so a deleted file still has one.
        String path = e.map(Entry::path).orElseGet(() -> MergedView.normalise(args.getFirst().startsWith("/")
                ? args.getFirst() : cwd + "/" + args.getFirst()));
        if (e.isPresent()) {
            out.println(path + ": from layer " + e.get().layer().shortId() + "  " + instruction(e.get().layer()));
        } else {
            out.println(path + ": not in the image");
        }
        for (MergedView.LayerState s : v.history(path)) {
            String what = s.type().map(t -> t.name().toLowerCase(java.util.Locale.ROOT) + (t == Type.FILE ? ", " + s.size() + " bytes" : ""))
                    .orElse("whiteout");
            out.println(fit("  " + s.layer().shortId() + "  " + String.format("%-8s", s.state()) + " " + what + "  "
                    + screen.paint(instruction(s.layer()), DIM)));
        }
        if (e.isEmpty()) return 1;
        return 0;
    }

    private int diff(List<String> args) throws IOException {
        if (args.size() > 2) throw new Invocation.UsageException("too many arguments");
        Layer b;
        MergedView from;
        if (args.size() == 2) {
            from = MergedView.of(store, resolver.resolve(args.get(0)));
            b = resolver.resolve(args.get(1));
        } else {
            if (args.isEmpty()) requireImage();
            b = args.isEmpty() ? image : resolver.resolve(args.getFirst());
            // A layer's own changes: against its parent, or against nothing for a base layer.
            from = b.parent().isPresent() ? MergedView.of(store, store.layer(b.parent().get()).orElseThrow(() ->
                    new IllegalStateException("parent layer of " + b.shortId() + " is missing"))) : null;
        }
        MergedView to = MergedView.of(store, b);
        List<MergedView.Change> changes = from == null ? baseChanges(to) : MergedView.diff(from, to);
        for (MergedView.Change c : changes) {
            AttributedStyle style = switch (c.kind()) {
                case 'A' -> ADDED;
                case 'D' -> ERROR;
                default -> AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW);
            };
            out.println(screen.paint(c.kind() + " " + c.path(), style));
        }
        return 0;
    }

    private static List<MergedView.Change> baseChanges(MergedView to) throws IOException {
        List<MergedView.Change> all = new ArrayList<>();
        to.walk(to.root(), e -> all.add(new MergedView.Change('A', e.path())));
        return all;
    }

    private Layer imageArgument(List<String> args) throws IOException {
        if (args.size() > 1) throw new Invocation.UsageException("too many arguments");
        if (args.isEmpty()) {
            requireImage();
            return image;
        }
        return resolver.resolve(args.getFirst());
    }

    private int inspect(List<String> args) throws IOException {
        Layer l = imageArgument(args);
        List<Layer> chain = store.chain(l);
        ImageConfig config = ImageConfig.read(l.directory());
        out.println("Id:          " + l.id());
        List<String> names = store.maps().entrySet().stream().filter(m -> m.getValue().equals(l.id())).map(Map.Entry::getKey).toList();
        if (!names.isEmpty()) out.println("Names:       " + String.join(", ", names));
        out.println("Instruction: " + instruction(l));
        out.println("Created:     " + store.info(l.id()).map(LayerInfo::created).orElse("?"));
        long size = 0;
        for (Layer x : chain) size += store.info(x.id()).map(LayerInfo::size).orElse(0L);
        out.println("Size:        " + ImagesCommand.human(size) + " in " + chain.size() + " layer" + (chain.size() == 1 ? "" : "s"));
        out.println("Entrypoint:  " + (config.entrypoint().isEmpty() ? "-" : String.join(" ", config.entrypoint())));
        out.println("Cmd:         " + (config.cmd().isEmpty() ? "-" : String.join(" ", config.cmd())));
        out.println("Workdir:     " + config.workdir().orElse("-"));
        out.println("User:        " + config.user().orElse("-"));
        out.println("Env:" + (config.env().isEmpty() ? "         -" : ""));
        for (String e : config.envList()) out.println(fit("  " + e));
        out.println("Parents:");
        for (Layer x : chain) out.println(fit("  " + x.shortId() + "  " + instruction(x)));
        return 0;
    }

    private int history(List<String> args) throws IOException {
        Layer l = imageArgument(args);
        out.println(screen.paint(String.format("%-12s  %-22s  %10s  %s", "LAYER", "CREATED", "SIZE", "INSTRUCTION"), DIM));
        for (Layer x : store.chain(l).reversed()) {
            Optional<LayerInfo> info = store.info(x.id());
            String created = info.map(i -> date(Instant.parse(i.created()).toEpochMilli())).orElse("?");
            out.println(fit(String.format("%-12s  %-22s  %10s  %s", x.shortId(), created, ImagesCommand.human(info.map(LayerInfo::size).orElse(0L)),
                    instruction(x))));
        }
        return 0;
    }

    private int layers(List<String> args) throws IOException {
        LayerAnalysis.Result r = LayerAnalysis.analyse(store, imageArgument(args));
        out.println(screen.paint(String.format("%-12s  %10s  %6s  %7s  %7s  %s", "LAYER", "SIZE", "ADDED", "CHANGED", "REMOVED",
                "INSTRUCTION"), DIM));
        for (LayerAnalysis.LayerSummary l : r.layers()) {
            out.println(fit(String.format("%-12s  %10s  %6s  %7s  %7s  %s", l.layer().shortId(), ImagesCommand.human(l.size()),
                    "+" + l.added(), "~" + l.changed(), "-" + l.removed(), LayerTree.shortInstruction(l.instruction()))));
        }
        return 0;
    }

    private int wasted(List<String> args) throws IOException {
        LayerAnalysis.Result r = LayerAnalysis.analyse(store, imageArgument(args));
        out.println(screen.paint(String.format("%10s  %5s  %s", "BYTES", "COUNT", "PATH (layers whose versions are hidden)"), DIM));
        for (LayerAnalysis.WastedPath w : r.wasted()) {
            out.println(fit(String.format("%10s  %5d  %s  (%s)", ImagesCommand.human(w.bytes()), w.versions(), w.path(),
                    String.join(" ", w.layers()))));
        }
        out.println(String.format("wasted: %s in %d files (%d bytes)", ImagesCommand.human(r.wastedBytes()), r.wastedFiles(),
                r.wastedBytes()));
        return 0;
    }

    private int efficiency(List<String> args) throws IOException {
        LayerAnalysis.Result r = LayerAnalysis.analyse(store, imageArgument(args));
        out.println(String.format(java.util.Locale.ROOT, "efficiency: %.4f (%d wasted of %d bytes)", r.efficiency(),
                r.wastedBytes(), r.totalBytes()));
        return 0;
    }

    // ---- helpers ----

    private String instruction(Layer l) {
        return store.info(l.id()).map(i -> LayerTree.shortInstruction(i.instruction())).orElse("?");
    }

    /**
     * {@code head} then {@code text}, its words wrapped at the terminal's width onto lines indented by
     * {@code indent} (one line when the width is unknown or too narrow to indent).
     */
    private String wrap(String head, String text, int indent) {
        int w = screen.width();
        if (w <= 0 || w < indent + 20) return head + text;
        StringBuilder all = new StringBuilder(head);
        int column = head.length() - head.lastIndexOf('\n') - 1;
        for (String word : text.split(" ")) {
            if (column > indent && column + 1 + word.length() > w) {
                all.append('\n').append(" ".repeat(indent));
                column = indent;
            } else if (column > indent) {
                all.append(' ');
                column++;
            }
            all.append(word);
            column += word.length();
        }
        return all.toString();
    }

    /** Cuts a line to the terminal's width so tables stay tables (nothing is cut when the width is unknown). */
    private String fit(String line) {
        int w = screen.width();
        if (w <= 0 || line.codePointCount(0, line.length()) <= w || line.contains("\u001b")) return line;
        return line.substring(0, line.offsetByCodePoints(0, w - 1)) + "…";
    }

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm xx").withZone(ZoneId.systemDefault());

    private static String date(long millis) {
        return DATE.format(Instant.ofEpochMilli(millis));
    }

    static String modeString(Entry e) {
        char t = switch (e.type()) {
            case DIRECTORY -> 'd';
            case SYMLINK -> 'l';
            case FILE -> '-';
            case OTHER -> 'c';
        };
        StringBuilder s = new StringBuilder().append(t);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) s.append((e.mode() & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        return s.toString();
    }

    /**
     * Runs the lines of a script (no terminal): no prompt, and the first failing line ends it with its
     * exit code, as {@code sh -e} would.
     */
    int script(InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            int code;
            try {
                code = execute(line);
            } catch (Exit e) {
                return e.code;
            }
            if (code != 0) return code;
        }
        return 0;
    }
}
