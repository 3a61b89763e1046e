package runtime.cli.commands;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import runtime.api.Probe;
import runtime.api.fs.FilesystemDriver;
import runtime.api.net.NetworkDriver;
import runtime.core.Engine;
import runtime.core.drivers.Drivers;

@Command(name = "drivers", description = "list filesystem and network drivers and whether they work here")
public final class DriversCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Engine engine = Context.engine();
        Drivers drivers = engine.drivers();
        var context = engine.probeContext();
        System.out.printf("%-5s %-16s %-6s %s%n", "KIND", "NAME", "WORKS", "DETAILS");
        for (FilesystemDriver d : drivers.filesystems()) {
            Probe p = drivers.probe(d, context);
            System.out.printf("%-5s %-16s %-6s %s: %s%n", "fs", d.name(), p.usable() ? "yes" : "no", d.description(), p.reason());
        }
        for (NetworkDriver d : drivers.networks()) {
            Probe p = drivers.probe(d, context);
            System.out.printf("%-5s %-16s %-6s %s: %s%n", "net", d.name(), p.usable() ? "yes" : "no", d.description(), p.reason());
        }
        for (Drivers.Broken b : drivers.broken()) {
            System.out.printf("%-5s %-16s %-6s %s%n", "?", b.name(), "broken", b.reason());
        }
        return 0;
    }
}
