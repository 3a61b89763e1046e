package runtime.core.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.plan.IdMapping;

/**
 * How the caller's ids map into a container's user namespace.
 *
 * <ul>
 *   <li>{@code ROOT}: strata runs as host root; no user namespace is needed.</li>
 *   <li>{@code FULL}: the caller becomes root, and its /etc/subuid and /etc/subgid ranges provide ids
 *   1..N, installed by the setuid newuidmap/newgidmap, so {@code apt} and {@code chown} work.</li>
 *   <li>{@code SINGLE}: only the caller's own id, as root; works everywhere user namespaces do.</li>
 * </ul>
 * {@code STRATA_IDMAP=single|full} forces a mode (full fails clearly when it cannot work).
 */
public record IdMaps(Mode mode, List<IdMapping> uids, List<IdMapping> gids, Path newuidmap, Path newgidmap) {

    public enum Mode { ROOT, FULL, SINGLE }

    public IdMaps {
        uids = List.copyOf(uids);
        gids = List.copyOf(gids);
    }

    public boolean rootless() {
        return mode != Mode.ROOT;
    }

    /**
     * {@code $STRATA_IDMAP}: auto (the default, also when empty), single or full; anything else is refused
     * (IllegalArgumentException) rather than read as auto.
     */
    public static String requestedMode(Map<String, String> env) {
        String v = env.getOrDefault("STRATA_IDMAP", "");
        if (v.isEmpty()) return "auto";
        if (!List.of("auto", "single", "full").contains(v)) {
            throw new IllegalArgumentException("bad STRATA_IDMAP '" + v + "': want auto, single or full");
        }
        return v;
    }

    public static IdMaps forCaller(int uid, int gid, String userName, Map<String, String> env) {
        String forced = requestedMode(env);
        if (uid == 0) return new IdMaps(Mode.ROOT, List.of(), List.of(), null, null);
        IdMaps single = new IdMaps(Mode.SINGLE, List.of(new IdMapping(0, uid, 1)), List.of(new IdMapping(0, gid, 1)), null, null);
        if (forced.equals("single")) return single;
        Path newuidmap = Path.of("/usr/bin/newuidmap");
        Path newgidmap = Path.of("/usr/bin/newgidmap");
        Optional<IdMapping> subuid = subordinate(Path.of("/etc/subuid"), userName, uid);
        Optional<IdMapping> subgid = subordinate(Path.of("/etc/subgid"), userName, uid);
        boolean tools = Files.isExecutable(newuidmap) && Files.isExecutable(newgidmap);
        if (subuid.isPresent() && subgid.isPresent() && tools) {
            List<IdMapping> uids = new ArrayList<>(List.of(new IdMapping(0, uid, 1)));
            uids.add(new IdMapping(1, subuid.get().outside(), subuid.get().count()));
            List<IdMapping> gids = new ArrayList<>(List.of(new IdMapping(0, gid, 1)));
            gids.add(new IdMapping(1, subgid.get().outside(), subgid.get().count()));
            return new IdMaps(Mode.FULL, uids, gids, newuidmap, newgidmap);
        }
        if (forced.equals("full")) {
            throw new IllegalStateException(!tools
                    ? "STRATA_IDMAP=full needs newuidmap and newgidmap (Debian package uidmap)"
                    : "STRATA_IDMAP=full needs ranges for " + userName + " in /etc/subuid and /etc/subgid");
        }
        return single;
    }

    /** The first range of {@code /etc/subuid}-style {@code file} for the user (by name or uid). */
    static Optional<IdMapping> subordinate(Path file, String userName, int uid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String line : lines) {
            String[] f = line.trim().split(":");
            if (f.length != 3) continue;
            if (!f[0].equals(userName) && !f[0].equals(Integer.toString(uid))) continue;
            try {
                long start = Long.parseLong(f[1]);
                long count = Long.parseLong(f[2]);
                if (count > 0) return Optional.of(new IdMapping(1, start, count));
            } catch (NumberFormatException e) {
                // skip a malformed line, as shadow-utils does
            }
        }
        return Optional.empty();
    }
}
