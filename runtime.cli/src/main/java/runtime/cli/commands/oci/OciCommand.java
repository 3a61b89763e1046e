package runtime.cli.commands.oci;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.launch.LaunchException;
import runtime.core.oci.StateStore;

/**
 * {@code strata oci [global options] COMMAND ...}: strata as an OCI runtime, with runc's command line
 * (what podman, conmon and containerd call): create, start, state, kill, delete, list, exec, run,
 * pause, resume, ps, update, events, features, spec. The {@code strata-oci} launcher is this command under a name podman's
 * {@code --runtime} can point to.
 */
public final class OciCommand implements Command {
    private static final Map<String, Supplier<OciSubcommand>> SUBCOMMANDS = Map.ofEntries(
            Map.entry("create", OciCreate::new), Map.entry("start", OciStart::new), Map.entry("state", OciState::new),
            Map.entry("kill", OciKill::new), Map.entry("delete", OciDelete::new), Map.entry("list", OciList::new),
            Map.entry("exec", OciExec::new), Map.entry("run", OciRun::new),
            Map.entry("features", OciFeatures::new), Map.entry("spec", OciSpecCommand::new),
            Map.entry("pause", () -> new OciFreeze(true)), Map.entry("resume", () -> new OciFreeze(false)), Map.entry("ps", OciPs::new),
            Map.entry("update", OciUpdate::new), Map.entry("events", OciEvents::new));

    private static final List<OciArguments.Flag> GLOBAL = List.of(OciArguments.Flag.value("root"), OciArguments.Flag.value("log"),
            OciArguments.Flag.value("log-format"), OciArguments.Flag.bool("systemd-cgroup"), OciArguments.Flag.bool("debug"),
            OciArguments.Flag.value("rootless"), OciArguments.Flag.value("criu"), OciArguments.Flag.value("log-level"),
            OciArguments.Flag.bool("version", "v"), OciArguments.Flag.bool("help", "h"));

    @Override
    public String name() {
        return "oci";
    }

    @Override
    public String summary() {
        return "run OCI bundles with runc's command line (podman --runtime strata-oci)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata oci run --bundle ./bundle box", "create, start, wait and delete a container from an OCI bundle"),
                new Item("podman --runtime \"$(command -v strata-oci)\" run --rm busybox true", "podman through strata"));
    }

    @Override
    public String arguments() {
        return "[--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID (create, start, state, kill, delete, list, exec, run, pause, resume, ps, update, events, features, spec)";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation invocation) {
        List<String> all = invocation.arguments();
        OciArguments global;
        OciLog log;
        try {
            global = OciArguments.parse(all, GLOBAL, true);
            log = new OciLog(global.value("log").map(invocation::path), global.value("log-format").orElse("text"), global.flag("debug"),
                    invocation.err());
        } catch (IllegalArgumentException e) {
            invocation.err().println("strata-oci: " + e.getMessage());
            return 2;
        }
        if (global.flag("version")) {
            invocation.out().println("strata-oci version 1\nspec: 1.1.0");
            return 0;
        }
        if (global.positional().isEmpty() || global.flag("help")) {
            invocation.out().println("usage: strata oci " + arguments());
            return global.flag("help") ? 0 : 2;
        }
        String name = global.positional().getFirst();
        Supplier<OciSubcommand> factory = SUBCOMMANDS.get(name);
        if (factory == null) {
            log.error("unsupported command " + name + " (create, start, state, kill, delete, list, exec, run, pause, resume, ps, update, events, features, spec)");
            return 1;
        }
        log.debug("strata oci " + String.join(" ", all));
        if (global.flag("systemd-cgroup")) log.warn("--systemd-cgroup: no systemd here, cgroupsPath slice:prefix:name is used as a cgroupfs path");
        OciSubcommand subcommand = factory.get();
        try {
            OciArguments args = OciArguments.parse(global.positional().subList(1, global.positional().size()), subcommand.flags(),
                    subcommand.stopAtFirstPositional());
            StateStore store = new StateStore(global.value("root").map(invocation::path).orElse(StateStore.defaultRoot(invocation.env())));
            return subcommand.run(args, new OciContext(store, log, invocation.out(), invocation.stdio().in(), invocation.caller()));
        } catch (LaunchException e) {
            log.error(e.getMessage());
            return 1;
        } catch (Exception e) {
            log.error(e.getMessage() == null ? e.toString() : e.getMessage());
            return 1;
        }
    }
}
