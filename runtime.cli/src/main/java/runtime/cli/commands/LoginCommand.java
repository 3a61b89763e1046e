package runtime.cli.commands;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.source.oci.AuthFiles;
import runtime.core.source.oci.RegistryClient;

/**
 * podman's login and logout: credentials checked with the registry, then kept in podman's auth.json
 * (where podman reads them too), which pull, push and run oci: read; logout forgets them.
 */
public final class LoginCommand implements Command {
    private final boolean login;

    private LoginCommand(boolean login) {
        this.login = login;
    }

    public static LoginCommand login() {
        return new LoginCommand(true);
    }

    public static LoginCommand logout() {
        return new LoginCommand(false);
    }

    @Override
    public String name() {
        return login ? "login" : "logout";
    }

    @Override
    public String summary() {
        return login ? "check credentials with a registry and keep them in podman's auth.json (pull, push, run oci: use them)"
                : "forget a registry's credentials (--all: every registry's) in podman's auth.json";
    }

    @Override
    public String arguments() {
        return login ? "REGISTRY" : "[REGISTRY]";
    }

    @Override
    public Options options() {
        if (!login) return new Options().addOption(Option.builder("a").longOpt("all").desc("every registry's credentials").build());
        return new Options()
                .addOption(Option.builder("u").longOpt("username").hasArg().argName("USER").desc("the user name").build())
                .addOption(Option.builder("p").longOpt("password").hasArg().argName("PASSWORD")
                        .desc("the password (seen by other users in ps: prefer --password-stdin)").build())
                .addOption(Option.builder().longOpt("password-stdin").desc("read the password from standard input").build());
    }

    @Override
    public List<Item> environment() {
        return List.of(new Item("REGISTRY_AUTH_FILE", "the auth.json to write (default $XDG_RUNTIME_DIR/containers/auth.json, as podman)"));
    }

    @Override
    public List<Item> examples() {
        return login ? List.of(new Item("echo \"$PASS\" | strata login -u alice --password-stdin localhost:5000",
                "check alice's password with the registry and keep it"))
                : List.of(new Item("strata logout localhost:5000", "forget the credentials for localhost:5000"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        Optional<String> registry = in.arguments().isEmpty() ? Optional.empty() : Optional.of(registry(in.arguments().getFirst()));
        in.atMost(1);
        if (!login) {
            if (registry.isEmpty() && !in.has("all")) throw new Invocation.UsageException("missing REGISTRY (or --all)");
            if (AuthFiles.remove(in.env(), in.has("all") ? Optional.empty() : registry)) {
                in.out().println(in.has("all") ? "Removed login credentials for all registries" : "Removed login credentials for " + registry.get());
                return 0;
            }
            throw new IllegalArgumentException("not logged into " + (in.has("all") ? "any registry" : registry.get()) + " (in "
                    + AuthFiles.writable(in.env()) + ")");
        }
        String host = registry.orElseThrow(() -> new Invocation.UsageException("missing REGISTRY"));
        String user = in.value("username", "");
        if (user.isEmpty()) throw new Invocation.BadValueException("give the user name with -u USER");
        if (in.has("password") == in.has("password-stdin")) {
            throw new Invocation.BadValueException("give the password with --password-stdin (or -p PASSWORD)");
        }
        String password = in.has("password") ? in.value("password", "")
                : new String(in.stdio().in().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (password.isEmpty()) throw new Invocation.BadValueException("the password is empty");
        RegistryClient.checkLogin(host, user, password, in.env());
        AuthFiles.store(in.env(), host, user, password);
        in.out().println("Login Succeeded!");
        return 0;
    }

    /** podman's spelling: a registry may come as a URL or with the image path after it; the host[:port] is kept. */
    static String registry(String given) {
        String r = given.replaceFirst("^https?://", "");
        int slash = r.indexOf('/');
        if (slash >= 0) r = r.substring(0, slash);
        if (!r.matches("[A-Za-z0-9.-]+(:[0-9]+)?|\\[[0-9a-fA-F:]+](:[0-9]+)?")) {
            throw new Invocation.BadValueException("bad registry '" + given + "': want HOST[:PORT]");
        }
        return r;
    }
}
