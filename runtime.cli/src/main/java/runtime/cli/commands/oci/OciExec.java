package runtime.cli.commands.oci;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import runtime.core.oci.OciRuntime;
import runtime.core.oci.OciSpec;

/**
 * {@code exec [--process process.json | options] ID [COMMAND...]}: one more process in a running
 * container; without --process its settings start from the container's own process (env, user, cwd,
 * capabilities) and the options change them.
 */
final class OciExec implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.value("process", "p"), OciArguments.Flag.bool("tty", "t"), OciArguments.Flag.bool("detach", "d"),
                OciArguments.Flag.value("pid-file"), OciArguments.Flag.value("console-socket"), OciArguments.Flag.value("cwd"),
                OciArguments.Flag.value("env", "e"), OciArguments.Flag.value("user", "u"), OciArguments.Flag.value("additional-gids", "g"),
                OciArguments.Flag.value("preserve-fds"), OciArguments.Flag.value("cap", "c"), OciArguments.Flag.bool("no-new-privs"),
                OciArguments.Flag.value("process-label"), OciArguments.Flag.value("apparmor"), OciArguments.Flag.value("cgroup"),
                OciArguments.Flag.value("exec-fifo"));
    }

    @Override
    public boolean stopAtFirstPositional() {
        return true;
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        String id = args.id();
        OciSpec.Process process;
        if (args.value("process").isPresent()) {
            process = OciSpec.parseProcess(new ObjectMapper().readTree(context.path(args.value("process").get()).toFile()));
        } else {
            process = fromOptions(args, context.runtime().savedSpec(id).process());
        }
        OciRuntime.ExecOptions options = new OciRuntime.ExecOptions(process, args.value("pid-file").map(context::path),
                args.value("console-socket").map(Path::of), args.flag("detach"), args.intValue("preserve-fds", 0));
        return context.runtime().exec(id, options);
    }

    private static OciSpec.Process fromOptions(OciArguments args, OciSpec.Process base) {
        List<String> command = args.positional().subList(1, args.positional().size());
        if (command.isEmpty()) throw new IllegalArgumentException("exec needs a command (or --process)");
        ObjectNode p = new ObjectMapper().createObjectNode();
        p.put("terminal", args.flag("tty"));
        ArrayNode argv = p.putArray("args");
        command.forEach(argv::add);
        List<String> env = new ArrayList<>(base.env());
        for (String e : args.values("env")) {
            String key = e.contains("=") ? e.substring(0, e.indexOf('=') + 1) : e + "=";
            env.removeIf(x -> x.startsWith(key));
            env.add(e);
        }
        ArrayNode envNode = p.putArray("env");
        env.forEach(envNode::add);
        p.put("cwd", args.value("cwd").orElse(base.cwd()));
        ObjectNode user = p.putObject("user");
        Optional<String> u = args.value("user");
        long uid = base.user().uid(), gid = base.user().gid();
        if (u.isPresent()) {
            String[] parts = u.get().split(":");
            uid = Long.parseLong(parts[0]);
            gid = parts.length > 1 ? Long.parseLong(parts[1]) : 0;
        }
        user.put("uid", uid);
        user.put("gid", gid);
        ArrayNode gids = user.putArray("additionalGids");
        for (String g : args.values("additional-gids")) gids.add(Long.parseLong(g));
        base.capabilities().ifPresent(c -> {
            ObjectNode caps = p.putObject("capabilities");
            List<String> extra = args.values("cap");
            for (var set : List.of(java.util.Map.entry("bounding", c.bounding()), java.util.Map.entry("effective", c.effective()),
                    java.util.Map.entry("permitted", c.permitted()), java.util.Map.entry("inheritable", c.inheritable()),
                    java.util.Map.entry("ambient", c.ambient()))) {
                ArrayNode a = caps.putArray(set.getKey());
                set.getValue().forEach(a::add);
                if (!set.getKey().equals("inheritable") && !set.getKey().equals("ambient")) extra.forEach(a::add);
            }
        });
        p.put("noNewPrivileges", args.flag("no-new-privs") || base.noNewPrivileges());
        ArrayNode rlimits = p.putArray("rlimits");
        for (OciSpec.Rlimit r : base.rlimits()) {
            ObjectNode n = rlimits.addObject();
            n.put("type", r.type());
            n.put("soft", r.soft());
            n.put("hard", r.hard());
        }
        return OciSpec.parseProcess(p);
    }
}
