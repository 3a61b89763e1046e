package runtime.cli.commands;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

@Command(name = "version", description = "print strata's version")
public final class VersionCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        String v = VersionCommand.class.getModule().getDescriptor() != null
                ? VersionCommand.class.getModule().getDescriptor().rawVersion().orElse("0.1.0-dev") : "0.1.0-dev";
        System.out.println("strata " + v + " (java " + Runtime.version() + ")");
        return 0;
    }
}
