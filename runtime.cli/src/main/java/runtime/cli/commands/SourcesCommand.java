package runtime.cli.commands;

import runtime.api.source.ImageSource;
import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.source.Sources;

public final class SourcesCommand implements Command {
    @Override
    public String name() {
        return "sources";
    }

    @Override
    public String summary() {
        return "list image sources (--from SCHEME:REFERENCE, strata pull)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata sources", "every image source and its reference form"));
    }

    @Override
    public int run(Invocation in) {
        Sources sources = in.engine().sources();
        in.out().printf("%-16s %s%n", "SCHEME", "DESCRIPTION");
        sources.all().stream().sorted(java.util.Comparator.comparing(ImageSource::scheme))
                .forEach(s -> in.out().printf("%-16s %s%n", s.scheme(), s.description()));
        for (String b : sources.broken()) in.out().printf("%-16s %s%n", "(broken)", b);
        return 0;
    }
}
