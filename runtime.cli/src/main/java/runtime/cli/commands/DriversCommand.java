package runtime.cli.commands;

import runtime.api.Probe;
import runtime.api.fs.FilesystemDriver;
import runtime.api.net.NetworkDriver;
import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.drivers.Drivers;

public final class DriversCommand implements Command {
    @Override
    public String name() {
        return "drivers";
    }

    @Override
    public String summary() {
        return "list filesystem and network drivers and whether they work here";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata drivers", "the filesystem and network drivers, and whether each works here"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(0);
        Engine engine = in.engine();
        Drivers drivers = engine.drivers();
        var context = engine.probeContext();
        in.out().printf("%-5s %-16s %-6s %s%n", "KIND", "NAME", "WORKS", "DETAILS");
        for (FilesystemDriver d : drivers.filesystems()) {
            Probe p = drivers.probe(d, context);
            in.out().printf("%-5s %-16s %-6s %s: %s%n", "fs", d.name(), p.usable() ? "yes" : "no", d.description(), p.reason());
        }
        for (NetworkDriver d : drivers.networks()) {
            Probe p = drivers.probe(d, context);
            in.out().printf("%-5s %-16s %-6s %s: %s%n", "net", d.name(), p.usable() ? "yes" : "no", d.description(), p.reason());
        }
        Probe proc = runtime.core.cgroups.Lxcfs.probe();
        in.out().printf("%-5s %-16s %-6s %s: %s%n", "proc", "lxcfs", proc.usable() ? "yes" : "no", "/proc with a container's limits", proc.reason());
        Probe systemd = runtime.core.cgroups.SystemdScope.probe(engine.environment(), engine.ids().rootless());
        in.out().printf("%-5s %-16s %-6s %s: %s%n", "cgrp", "systemd", systemd.usable() ? "yes" : "no",
                "limits in a transient scope (" + runtime.core.cgroups.SystemdScope.ENV + "=systemd)", systemd.reason());
        for (Drivers.Broken b : drivers.broken()) {
            in.out().printf("%-5s %-16s %-6s %s%n", "?", b.name(), "broken", b.reason());
        }
        return 0;
    }
}
