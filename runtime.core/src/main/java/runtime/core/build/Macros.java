package runtime.core.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * strata's build macros, after plash's: every macro adds shell lines or configuration to the current
 * step, and {@code --layer} (or {@code --from}) ends the step. {@code strata build --help-macros}
 * prints this table.
 */
public final class Macros {
    private static final Map<String, Macro> BY_NAME = new LinkedHashMap<>();
    private static final List<Macro> ALL = new ArrayList<>();
    /** Macros whose arguments are commands or text: they may contain option-like words. */
    private static final List<String> FREE_FORM = List.of("--run", "--entrypoint", "--write-file", "--write-script", "--eval-string", "--#",
            "--entrypoint-script");

    /** The words plash's {@code --from KIND IMAGE} takes as KIND: each is a {@code --from-KIND} macro. */
    private static final List<String> FROM_KINDS = List.of("id", "map", "docker", "lxc", "url", "github");

    /** Where --entrypoint-script writes, as plash does. */
    static final String ENTRYPOINT_SCRIPT = "/entrypoint";

    static {
        add(List.of("--from", "-f"), 1, 2, "[KIND] IMAGE",
                "start from IMAGE (id, id prefix, map name or SOURCE:REF; KIND id, map, docker, lxc, url or github as in plash); ends the current step",
                false, (s, a) -> {
                    if (a.size() == 1) {
                        s.from(a.getFirst());
                        return;
                    }
                    Macro kind = FROM_KINDS.contains(a.getFirst()) ? BY_NAME.get("--from-" + a.getFirst()) : null;
                    if (kind == null) {
                        // plash's --from IMAGE 'shell line': the second word runs in the first step.
                        s.from(a.getFirst());
                        s.step().addScript(a.get(1));
                    } else {
                        kind.action().apply(s, a.subList(1, 2));
                    }
                });
        add(List.of("--from-id"), 1, 1, "ID", "start from the image with this id (or id prefix)", false, (s, a) -> s.from(a.getFirst()));
        add(List.of("--from-map"), 1, 1, "NAME", "start from the image this map name points to", false, (s, a) -> {
            runtime.core.store.ImageStore.checkMapName(a.getFirst());
            s.from(a.getFirst());
        });
        add(List.of("--from-docker"), 1, 1, "IMAGE", "start from IMAGE of the local podman (or docker) image store", false,
                (s, a) -> s.from(runtime.core.source.oci.ContainersStorageSource.SCHEME + ":" + a.getFirst()));
        add(List.of("--from-lxc"), 1, 1, "DISTRO:RELEASE", "start from an image of the LXC image server (lxc:DISTRO:RELEASE)", false,
                (s, a) -> s.from("lxc:" + a.getFirst()));
        add(List.of("--from-url"), 1, 1, "URL", "start from a root filesystem tar at URL (url:URL)", false,
                (s, a) -> s.from("url:" + a.getFirst()));
        add(List.of("--from-github"), 1, 2, "USER/REPO [FILE]",
                "start from the image FILE (default plashfile) of a GitHub repository's master branch builds", false, (s, a) -> {
                    s.endStep();
                    String url = RemoteBuildfile.github(String.join("/", a), s.hostEnvironment());
                    s.evaluateText(RemoteBuildfile.fetch(url), url);
                });
        add(List.of("--run", "-x"), 1, Integer.MAX_VALUE, "CMD...", "run each CMD with /bin/sh -e in the image, as root",
                true, (s, a) -> a.forEach(s.step()::addScript));
        add(List.of("--layer", "-l"), 0, 0, "", "end the current step: what follows goes into a new layer",
                false, (s, a) -> s.endStep());
        packages("--apt", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y", "Debian, Ubuntu");
        packages("--apk", "apk update && apk add", "Alpine");
        packages("--dnf", "dnf install -y", "Fedora");
        packages("--yum", "yum install -y", "CentOS");
        packages("--pacman", "pacman -Sy --noconfirm", "Arch Linux");
        packages("--emerge", "emerge", "Gentoo");
        packages("--pip", "pip install", "Python");
        packages("--pip3", "pip3 install", "Python 3");
        packages("--npm", "npm install -g", "Node.js");
        // plash's shortcuts: -A git is --from alpine --apk git.
        // The name is used when the store has it; else the image is pulled from the LXC image server once and
        // given the name, so the next build finds it offline (plash pulls from there too).
        distro("-A", "alpine", "lxc:alpine:edge", "--apk");
        distro("-D", "debian", "lxc:debian:bookworm", "--apt");
        distro("-U", "ubuntu", "lxc:ubuntu:noble", "--apt");
        distro("-F", "fedora", "lxc:fedora:41", "--dnf");
        distro("-C", "centos", "lxc:centos:9-Stream", "--yum");
        distro("-R", "archlinux", "lxc:archlinux:current", "--pacman");
        distro("-G", "gentoo", "lxc:gentoo:current:amd64:openrc", "--emerge");
        add(List.of("--defpm"), 2, Integer.MAX_VALUE, "NAME LINE...",
                "define the macro --NAME PACKAGE...: runs LINEs with {} replaced by the packages", false, (s, a) -> {
                    String name = "--" + a.getFirst();
                    if (!a.getFirst().matches("[a-z0-9][a-z0-9-]*")) {
                        throw new IllegalArgumentException("--defpm: '" + a.getFirst() + "' is not a macro name (letters, digits, -)");
                    }
                    List<String> lines = List.copyOf(a.subList(1, a.size()));
                    s.define(new Macro(List.of(name), 0, Integer.MAX_VALUE, "PACKAGE...", "defined by --defpm", false, false,
                            (t, packages) -> {
                                if (packages.isEmpty()) return; // as plash: nothing to install, nothing run
                                for (String line : lines) t.step().addScript(line.replace("{}", Shell.quote(packages)));
                            }));
                });
        add(List.of("--#"), 0, Integer.MAX_VALUE, "TEXT...", "a comment: does nothing", true, (s, a) -> {});
        add(List.of("--hint"), 1, 2, "NAME [VALUE]", "plash's hint for other tools: accepted and ignored", false, (s, a) -> {});
        add(List.of("--env", "-e"), 1, Integer.MAX_VALUE, "NAME=VALUE...", "set environment variables for later steps and runs",
                false, (s, a) -> {
                    for (String kv : a) {
                        int eq = kv.indexOf('=');
                        if (eq <= 0) throw new IllegalArgumentException("--env wants NAME=VALUE, not '" + kv + "'");
                        s.step().addChange(new ConfigChange.Env(kv.substring(0, eq), kv.substring(eq + 1)));
                    }
                });
        add(List.of("--import-env"), 1, Integer.MAX_VALUE, "NAME[:AS]...",
                "copy the host's variable NAME (as AS) into the image's environment", false, (s, a) -> {
                    for (String spec : a) {
                        int colon = spec.indexOf(':');
                        String name = colon < 0 ? spec : spec.substring(0, colon);
                        String as = colon < 0 ? spec : spec.substring(colon + 1);
                        String value = s.hostEnvironment().get(name);
                        // As in plash, a variable the host does not have is skipped.
                        if (value != null) s.step().addChange(new ConfigChange.Env(as, value));
                    }
                });
        add(List.of("--workdir"), 1, 1, "DIR", "working directory for later steps and runs", false,
                (s, a) -> {
                    if (!a.getFirst().startsWith("/")) throw new IllegalArgumentException("--workdir wants an absolute path");
                    s.step().addChange(new ConfigChange.Workdir(a.getFirst()));
                });
        add(List.of("--entrypoint"), 1, Integer.MAX_VALUE, "CMD [ARG...]", "what `strata run IMAGE` runs without a command",
                false, (s, a) -> s.step().addChange(new ConfigChange.Entrypoint(a)));
        add(List.of("--entrypoint-script"), 1, Integer.MAX_VALUE, "LINE...",
                "write LINEs as the executable /entrypoint and make it the entrypoint", false, (s, a) -> {
                    List<String> file = new ArrayList<>(List.of(ENTRYPOINT_SCRIPT));
                    if (!a.getFirst().startsWith("#!")) file.add("#!/bin/sh");
                    file.addAll(a);
                    s.step().addScript(writeFile(file, true));
                    s.step().addChange(new ConfigChange.Entrypoint(List.of(ENTRYPOINT_SCRIPT)));
                });
        add(List.of("--write-file"), 1, Integer.MAX_VALUE, "FILE [LINE...]", "write LINEs into FILE in the image",
                false, (s, a) -> s.step().addScript(writeFile(a, false)));
        add(List.of("--write-script"), 1, Integer.MAX_VALUE, "FILE [LINE...]", "write an executable FILE with LINEs",
                false, (s, a) -> s.step().addScript(writeFile(a, true)));
        add(List.of("--hash-path"), 1, Integer.MAX_VALUE, "PATH...",
                "rebuild this step when the contents of PATHs (files or directories) change", false, (s, a) -> {
                    for (String p : a) s.step().addKey("hash-path " + p + " sha256:" + hashPath(s.resolve(p)));
                });
        add(List.of("--invalidate-layer", "--polute"), 0, 0, "", "always rebuild this step (--polute is plash's older name)", false,
                (s, a) -> s.step().addKey("invalidate " + UUID.randomUUID()));
        add(List.of("--env-prefix"), 1, Integer.MAX_VALUE, "PREFIX...",
                "copy every variable of the building host whose name starts with PREFIX into the image's environment", false, (s, a) -> {
                    for (String prefix : a) {
                        if (prefix.isEmpty()) throw new IllegalArgumentException("--env-prefix wants a non-empty PREFIX");
                        new java.util.TreeMap<>(s.hostEnvironment()).forEach((name, value) -> {
                            if (name.startsWith(prefix)) s.step().addChange(new ConfigChange.Env(name, value));
                        });
                    }
                });
        add(List.of("--eval-file"), 1, Integer.MAX_VALUE, "FILE...", "evaluate the macros in buildfile FILE", false,
                (s, a) -> {
                    for (String f : a) s.evaluateFile(s.resolve(f));
                });
        add(List.of("--include"), 1, Integer.MAX_VALUE, "FILE...",
                "evaluate FILE, relative to the including buildfile's directory", false, (s, a) -> {
                    for (String f : a) s.evaluateFile(s.resolve(f));
                });
        add(List.of("--eval-string"), 1, Integer.MAX_VALUE, "TEXT...", "evaluate TEXT as a buildfile", false,
                (s, a) -> {
                    for (String t : a) s.evaluateText(t, "--eval-string");
                });
        add(List.of("--eval-stdin"), 0, 0, "", "evaluate standard input as a buildfile", false,
                (s, a) -> s.evaluateText(s.readStdin("--eval-stdin"), "--eval-stdin"));
        add(List.of("--run-stdin"), 0, 0, "", "run standard input as a shell script in the image", false,
                (s, a) -> s.step().addScript(s.readStdin("--run-stdin")));
        add(List.of("--eval-url"), 1, Integer.MAX_VALUE, "URL...", "evaluate the buildfile at each http(s) URL", false,
                (s, a) -> {
                    for (String url : a) s.evaluateText(RemoteBuildfile.fetch(url), url);
                });
        add(List.of("--eval-github"), 1, Integer.MAX_VALUE, "USER/REPO[/FILE]...",
                "evaluate FILE (default plashfile) from the master branch of a GitHub repository", false, (s, a) -> {
                    for (String spec : a) {
                        String url = RemoteBuildfile.github(spec, s.hostEnvironment());
                        s.evaluateText(RemoteBuildfile.fetch(url), url);
                    }
                });
    }

    private Macros() {}

    private static void add(List<String> names, int min, int max, String usage, String help, boolean raw, Macro.Action action) {
        Macro m = new Macro(names, min, max, usage, help, raw, FREE_FORM.contains(names.getFirst()), action);
        ALL.add(m);
        for (String n : names) {
            if (BY_NAME.put(n, m) != null) throw new IllegalStateException("duplicate macro " + n);
        }
    }

    private static void distro(String flag, String image, String source, String packageMacro) {
        Macro install = BY_NAME.get(packageMacro);
        add(List.of(flag), 0, Integer.MAX_VALUE, "[PACKAGE...]",
                "--from " + image + " " + packageMacro + " PACKAGE... (" + image + " not in the store: pulled from " + source + ")", false,
                (s, a) -> {
                    s.from(new BuildScript.From(image, Optional.of(source)));
                    if (!a.isEmpty()) install.action().apply(s, a);
                });
    }

    private static void packages(String name, String command, String what) {
        add(List.of(name), 1, Integer.MAX_VALUE, "PACKAGE...", "install " + what + " packages (" + command + ")", false,
                (s, a) -> s.step().addScript(command + " " + Shell.quote(a)));
    }

    public static Optional<Macro> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static List<Macro> all() {
        return List.copyOf(ALL);
    }

    /** The --help-macros text: one line per macro. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        for (Macro m : ALL) {
            String names = String.join(", ", m.names()) + (m.usage().isEmpty() ? "" : " " + m.usage());
            sb.append(String.format("  %-34s %s%n", names, m.help()));
        }
        return sb.toString();
    }

    static String writeFile(List<String> args, boolean executable) {
        String file = args.getFirst();
        if (!file.startsWith("/")) throw new IllegalArgumentException("--write-file wants an absolute path, not '" + file + "'");
        List<String> lines = args.subList(1, args.size());
        String q = Shell.quote(file);
        String text = lines.isEmpty() ? ": > " + q : "printf '%s\\n' " + Shell.quote(lines) + " > " + q;
        return "mkdir -p \"$(dirname " + q + ")\" && " + text + (executable ? " && chmod 755 " + q : "");
    }

    /** SHA-256 over a file, or over a directory's sorted relative names, link targets and file contents. */
    static String hashPath(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) throw new IllegalArgumentException("--hash-path: " + path + " does not exist");
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(path)) {
            entries = walk.sorted().toList();
        }
        for (Path p : entries) {
            digest.update((path.relativize(p) + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (!Files.isSymbolicLink(p)) {
                // A mode change (chmod +x) rebuilds the step, as in plash.
                String mode = java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                digest.update(("mode " + mode + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            if (Files.isSymbolicLink(p)) {
                digest.update(("-> " + Files.readSymbolicLink(p) + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(p), digest)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
