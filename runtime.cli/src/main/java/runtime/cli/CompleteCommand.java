package runtime.cli;

import runtime.core.containers.ContainerRecord;
import runtime.core.store.LayerInfo;

/**
 * {@code strata __complete images|containers}: the words the shell completion offers for an image (names,
 * then 12-character ids) or a container (names, then ids), one a line.
 */
final class CompleteCommand implements Command {
    @Override
    public String name() {
        return "__complete";
    }

    @Override
    public String summary() {
        return "words for the shell completion";
    }

    @Override
    public String arguments() {
        return "images|containers";
    }

    @Override
    public int run(Invocation in) throws Exception {
        switch (in.argument(0, "images|containers")) {
            case "images" -> {
                var store = in.engine().store();
                store.maps().keySet().forEach(in.out()::println);
                for (LayerInfo l : store.list()) in.out().println(l.id().substring(0, 12));
            }
            case "containers" -> {
                var running = in.engine().containers().list();
                for (ContainerRecord r : running) in.out().println(r.name());
                for (ContainerRecord r : running) in.out().println(r.id());
            }
            default -> throw new Invocation.UsageException("images or containers");
        }
        return 0;
    }
}
