package runtime.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.api.plan.SetupOp;
import runtime.api.sys.WaitStatus;
import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.SignalForwarding;
import runtime.core.launch.Timings;
import runtime.core.manifest.Manifest;
import runtime.core.manifest.ManifestParser;
import runtime.core.manifest.ManifestRunner;
import runtime.core.cgroups.Limits;
import runtime.core.security.SecurityOptions;
import runtime.core.store.Layer;

public final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run a command in an image, sharing the host's network, homes, /tmp and working directory";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata run busybox sh", "a shell in the image, in the current directory"),
                new Item("strata run --bind \"$PWD:/srv:ro\" busybox ls /srv", "a read-only bind"),
                new Item("strata run -I --net slirp4netns -p 8080:80 --name web busybox httpd -f -p 80", "an isolated container with a published port"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_FS", "filesystem driver (as --fs)"),
                new Item("STRATA_IDMAP", "single or full: the rootless id mapping"),
                new Item("STRATA_DEFAULT_SOURCE", "the source of bare names like alpine:3.20, e.g. lxc"));
    }

    @Override
    public String arguments() {
        return "IMAGE [CMD [ARG...]]";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("fs").hasArg().argName("DRIVER")
                        .desc("filesystem driver (default: $STRATA_FS, else the first that works)").build())
                .addOption(Option.builder().longOpt("net").hasArg().argName("DRIVER")
                        .desc("network driver: host (default) or none").build())
                .addOption(Option.builder("b").longOpt("bind").hasArg().argName("SRC[:DST][:ro]")
                        .desc("bind a host path into the container (repeatable)").build())
                .addOption(Option.builder("v").longOpt("volume").hasArg().argName("SRC:DST[:ro|rw|z|Z,...]")
                        .desc("podman's spelling of --bind: SELinux labels (z, Z) are accepted and ignored (repeatable)").build())
                .addOption(Option.builder("i").longOpt("interactive")
                        .desc("keep stdin attached (podman's -i; strata always passes its stdin to the container)").build())
                .addOption(Option.builder("t").longOpt("tty")
                        .desc("podman's -t: the container uses strata's own terminal when it runs on one (no new one is made)").build())
                .addOption(Option.builder().longOpt("rm")
                        .desc("podman's --rm: a run's container and its changes always go when it ends (unless --persist)").build())
                .addOption(Option.builder().longOpt("env-file").hasArg().argName("FILE")
                        .desc("NAME=VALUE lines (a bare NAME takes the caller's value; # comments), before --env (repeatable)").build())
                .addOption(Option.builder("f").longOpt("manifest").hasArg().argName("FILE")
                        .desc("run the isolated container a manifest describes (positional arguments replace its command)").build())
                .addOption(Option.builder().longOpt("persist").hasArg().argName("DIR")
                        .desc("keep changes in DIR/data (work directory DIR/work) across runs instead of discarding them").build())
                .addOption(Option.builder().longOpt("debug").desc("print start-up phase timings (also STRATA_DEBUG=1)").build())
                .addOption(Option.builder("e").longOpt("env").hasArg().argName("NAME=VALUE")
                        .desc("set an environment variable (repeatable)").build())
                .addOption(Option.builder("w").longOpt("workdir").hasArg().argName("DIR")
                        .desc("working directory in the container (over the image's)").build())
                .addOption(Option.builder("u").longOpt("user").hasArg().argName("USER[:GROUP]")
                        .desc("run as this user, a name or id of the image's /etc/passwd (over the image's)").build())
                .addOption(Option.builder().longOpt("pull").hasArg().argName("missing|always|never")
                        .desc("when to ask the registry for an oci: image (default missing: only when the store has none by its name)").build())
                .addOption(Option.builder().longOpt("entrypoint").hasArg().argName("CMD|JSON")
                        .desc("replace the image's entrypoint (and drop its cmd): a program, a JSON array, or \"\" for none").build())
                .addOption(Option.builder("I").longOpt("isolate").desc("an isolated container: new pid, net (none unless --net), "
                        + "uts, ipc and cgroup namespaces, fresh /proc, minimal /dev, private /tmp, no host home").build())
                .addOption(Option.builder().longOpt("hostname").hasArg().argName("NAME").desc("hostname (with --isolate)").build())
                .addOption(Option.builder().longOpt("read-only").desc("read-only root filesystem (with --isolate)").build())
                .addOption(Option.builder().longOpt("name").hasArg().argName("NAME").desc("container name for ps/port/stop (with --isolate)").build())
                .addOption(Option.builder().longOpt("seccomp").hasArg().argName("unconfined|PROFILE.json")
                        .desc("seccomp policy of an isolated container (default: strata's built-in profile)").build())
                .addOption(Option.builder().longOpt("cap-add").hasArg().argName("CAP").desc("keep this capability too (repeatable)").build())
                .addOption(Option.builder().longOpt("cap-drop").hasArg().argName("CAP").desc("drop this capability, or ALL (repeatable)").build())
                .addOption(Option.builder("m").longOpt("memory").hasArg().argName("BYTES").desc("memory limit, e.g. 512m (with --isolate)").build())
                .addOption(Option.builder().longOpt("pids").hasArg().argName("N").desc("process limit (with --isolate)").build())
                .addOption(Option.builder().longOpt("cpus").hasArg().argName("N").desc("CPU limit, e.g. 0.5 (with --isolate)").build())
                .addOption(Option.builder("p").longOpt("publish").hasArg().argName("[IP:]HOST:CONTAINER[/PROTO]")
                        .desc("forward a host port (with --isolate --net slirp4netns; repeatable)").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        Timings timings = new Timings();
        if (in.has("manifest")) return runManifest(in, timings);
        String image = in.argument(0, "IMAGE");
        List<String> command = in.arguments().subList(1, in.arguments().size());
        // Every value is read before anything is done: a bad one must not cost a pull first.
        Engine.PullPolicy pull = in.parsed("pull", Engine.PullPolicy::parse).orElse(Engine.PullPolicy.MISSING);
        boolean isolate = in.has("isolate");
        if (!isolate && (in.has("hostname") || in.has("read-only") || in.has("name") || in.has("publish") || in.has("seccomp")
                || in.has("cap-add") || in.has("cap-drop") || in.has("memory") || in.has("pids") || in.has("cpus"))) {
            throw new Invocation.BadValueException("--hostname, --read-only, --name, --publish, --seccomp, --cap-* and limits go with --isolate");
        }
        Optional<String> givenHostname = in.parsed("hostname", RunCommand::hostname);
        ContainerPlans.Security security;
        Limits limits = limits(in);
        Engine.ImageOverrides overrides;
        List<SetupOp.Bind> binds;
        try {
            security = isolate ? security(in) : null;
            overrides = imageOverrides(in);
            binds = parseBinds(binds(in), in.cwd());
        } catch (IllegalArgumentException e) {
            throw new Invocation.BadValueException(e.getMessage());
        }
        Engine engine = in.engine();
        Layer layer = engine.resolveImage(image, pull);
        timings.mark("resolve");
        // No --hostname: the container's id (Engine), so two containers of one image do not share one.
        Optional<String> hostname = givenHostname;
        List<String> env = isolate ? isolatedEnvironment(in.env(), hostname) : environment(in.env());
        Engine.RunOptions options = new Engine.RunOptions(Optional.ofNullable(in.value("fs", null)),
                in.value("net", isolate ? "none" : "host"), isolate ? Path.of("/") : in.cwd(), env, binds)
                .withPersist(Optional.ofNullable(in.value("persist", null)).map(in::path))
                .overriding(overrides);
        if (isolate) {
            options = options.isolated(new ContainerPlans.Isolation(hostname, in.has("read-only"),
                    Optional.ofNullable(in.value("name", null)), in.values("publish"), security, limits));
        }
        SignalForwarding signals = SignalForwarding.install(in.stdio().inTty());
        Container container = engine.run(layer, command, options, timings);
        signals.attach(container);
        if (in.debug()) {
            in.err().println("strata: started pid " + container.pid() + ": " + timings
                    + " (total " + Timings.millis(timings.totalNanos()) + " ms)");
        }
        WaitStatus status = container.waitFor();
        return status.shellCode();
    }

    /** A hostname the kernel takes (at most 64 bytes) that prints safely: no control characters, blanks or '/'. */
    static String hostname(String name) {
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 64 || !name.matches("[\\p{L}\\p{N}._-]+")) {
            throw new IllegalArgumentException("bad --hostname '" + name + "': want 1-64 letters, digits, '.', '_' or '-'");
        }
        return name;
    }

    private int runManifest(Invocation in, Timings timings) throws Exception {
        Path file = in.path(in.value("manifest", ""));
        Manifest manifest = ManifestParser.read(file);
        if (in.has("name")) {
            manifest = manifest.withName(in.value("name", ""));
        }
        ManifestRunner.Prepared p = ManifestRunner.prepare(in.engine(), manifest, file.getParent(), in.err());
        SignalForwarding signals = SignalForwarding.install(in.stdio().inTty());
        Container container = in.engine().run(p.image(), in.arguments().isEmpty() ? p.command() : in.arguments(), p.options(), timings);
        signals.attach(container);
        return container.waitFor().shellCode();
    }

    /** plash passes the caller's environment through; a missing PATH gets the usual default. */
    static List<String> environment(Map<String, String> env) {
        List<String> result = new ArrayList<>();
        for (Map.Entry<String, String> e : env.entrySet()) result.add(e.getKey() + "=" + e.getValue());
        if (!env.containsKey("PATH")) result.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return result;
    }

    /** Isolated containers: no_new_privs, a seccomp filter and podman's capability set unless told otherwise. */
    static ContainerPlans.Security security(Invocation in) throws java.io.IOException {
        return SecurityOptions.of(in.value("seccomp", "default"), in.values("cap-add"), in.values("cap-drop"));
    }

    static Limits limits(Invocation in) {
        return new Limits(
                in.parsed("memory", Limits::parseBytes).map(OptionalLong::of).orElse(OptionalLong.empty()),
                in.parsed("pids", Limits::parsePids).map(OptionalLong::of).orElse(OptionalLong.empty()),
                in.parsed("cpus", Limits::parseCpus).map(OptionalDouble::of).orElse(OptionalDouble.empty()));
    }

    /** An isolated container starts from a clean environment, not the caller's. */
    static List<String> isolatedEnvironment(Map<String, String> env, Optional<String> hostname) {
        List<String> result = new ArrayList<>(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/root"));
        hostname.ifPresent(h -> result.add("HOSTNAME=" + h));
        if (env.containsKey("TERM")) result.add("TERM=" + env.get("TERM"));
        return result;
    }

    /** --entrypoint, --user, --workdir and --env: set over the image's configuration, as podman does. */
    static Engine.ImageOverrides imageOverrides(Invocation in) throws java.io.IOException {
        Optional<Path> workdir = Optional.ofNullable(in.value("workdir", null)).map(Path::of);
        if (workdir.isPresent() && !workdir.get().isAbsolute()) throw new IllegalArgumentException("--workdir wants an absolute path");
        Optional<List<String>> entrypoint = Optional.ofNullable(in.value("entrypoint", null)).map(RunCommand::parseEntrypoint);
        List<String> env = new ArrayList<>();
        for (String file : in.values("env-file")) env.addAll(envFile(in.path(file), in.env()));
        env.addAll(in.values("env"));
        Engine.withOverrides(List.of(), env); // a bad NAME=VALUE fails here, before anything starts
        return new Engine.ImageOverrides(entrypoint, Optional.ofNullable(in.value("user", null)), workdir, env);
    }

    /** podman's --entrypoint: a JSON array of strings, else one program; the empty string clears it. */
    static List<String> parseEntrypoint(String value) {
        if (value.isEmpty()) return List.of();
        if (!value.startsWith("[")) return List.of(value);
        String[] parts;
        try {
            parts = new com.fasterxml.jackson.databind.ObjectMapper().readValue(value, String[].class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            parts = null;
        }
        if (parts == null || java.util.Arrays.asList(parts).contains(null)) {
            throw new IllegalArgumentException("bad --entrypoint '" + value + "': want a program or a JSON array of strings");
        }
        return List.of(parts);
    }

    /** --bind and --volume (-v), in the order given within each. */
    private static List<String> binds(Invocation in) {
        List<String> all = new ArrayList<>(in.values("bind"));
        all.addAll(in.values("volume"));
        return all;
    }

    /** podman's --env-file: NAME=VALUE lines, a bare NAME for the caller's value, blank and # lines skipped. */
    static List<String> envFile(Path file, Map<String, String> callerEnv) throws java.io.IOException {
        List<String> result = new ArrayList<>();
        List<String> lines;
        try {
            lines = java.nio.file.Files.readAllLines(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("--env-file " + file + ": no such file");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--env-file " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            if (l.indexOf('=') > 0) {
                result.add(line.stripLeading());
            } else if (callerEnv.containsKey(l)) {
                result.add(l + "=" + callerEnv.get(l));
            } else if (l.startsWith("=")) {
                throw new IllegalArgumentException("--env-file " + file + ": bad line '" + line + "': want NAME=VALUE");
            }
        }
        return result;
    }

    /**
     * {@code SRC[:DST][:OPTIONS]}: DST defaults to SRC; both absolute once SRC is resolved. OPTIONS are
     * ro or rw, plus podman's SELinux relabel flags z and Z (accepted: strata does not label), comma separated.
     */
    static List<SetupOp.Bind> parseBinds(List<String> specs, Path cwd) {
        List<SetupOp.Bind> result = new ArrayList<>();
        for (String spec : specs) {
            String[] parts = spec.split(":", -1);
            boolean hasOptions = parts.length > 1 && isBindOptions(parts[parts.length - 1]);
            boolean ro = hasOptions && List.of(parts[parts.length - 1].split(",")).contains("ro");
            int n = hasOptions ? parts.length - 1 : parts.length;
            if (parts[0].isEmpty() || n > 2) {
                throw new IllegalArgumentException("bad --bind '" + spec + "': want SRC[:DST][:ro|rw|z|Z]");
            }
            Path src = cwd.resolve(parts[0]).normalize();
            String dst = n == 2 ? parts[1] : src.toString();
            if (!dst.startsWith("/")) {
                throw new IllegalArgumentException("bad --bind '" + spec + "': the container path must be absolute");
            }
            Path target = Path.of(dst.substring(1)).normalize();
            result.add(new SetupOp.Bind(src, target.toString().isEmpty() ? Path.of(".") : target, ro, false));
        }
        return result;
    }

    private static boolean isBindOptions(String field) {
        if (field.isEmpty()) return false;
        for (String o : field.split(",", -1)) {
            if (!List.of("ro", "rw", "z", "Z").contains(o)) return false;
        }
        return true;
    }
}
