package runtime.cli.commands;

import runtime.core.Engine;

/** The engine for the calling user, shared by the command classes. */
final class Context {
    private static Engine engine;

    private Context() {}

    static synchronized Engine engine() {
        if (engine == null) engine = new Engine(System.getenv());
        return engine;
    }

    static boolean debug(boolean flag) {
        String env = System.getenv("STRATA_DEBUG");
        return flag || (env != null && !env.isEmpty() && !env.equals("0"));
    }
}
