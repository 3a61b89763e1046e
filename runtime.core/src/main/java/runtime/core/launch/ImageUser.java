package runtime.core.launch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import runtime.api.plan.SetupOp;
import runtime.core.store.MergedView;

/**
 * The user an image's process runs as: an OCI config's {@code User} (or {@code --user}) resolved the way
 * podman and runc resolve it, against the image's own /etc/passwd and /etc/group (never the host's).
 * {@code NAME|UID[:GROUP|GID]}: a name must be in the image's passwd, a number need not be (its group is
 * then 0); without a group, the passwd entry's group; supplementary groups are those of /etc/group that
 * list the user's name (none when a group is given, as runc does).
 *
 * @param home the passwd entry's home directory, empty when the user has none
 */
public record ImageUser(long uid, long gid, List<Long> groups, Optional<String> home) {
    public static final ImageUser ROOT = new ImageUser(0, 0, List.of(), Optional.of("/root"));

    public ImageUser {
        groups = List.copyOf(groups);
    }

    public boolean isRoot() {
        return uid == 0 && gid == 0 && groups.isEmpty();
    }

    /** The helper's step that becomes this user (the umask is left as it is). */
    public SetupOp.SetUser setupOp() {
        return new SetupOp.SetUser(uid, gid, -1, groups);
    }

    /** Resolves {@code spec} in {@code image}; a name or group the image does not know is one clear line. */
    public static ImageUser resolve(String spec, MergedView image) throws IOException {
        String spec0 = spec.strip();
        if (spec0.isEmpty()) return resolve("0", image);
        int colon = spec0.indexOf(':');
        String user = colon < 0 ? spec0 : spec0.substring(0, colon);
        Optional<String> group = colon < 0 ? Optional.empty() : Optional.of(spec0.substring(colon + 1));
        if (user.isEmpty()) throw new IllegalArgumentException("bad user '" + spec + "': want NAME|UID[:GROUP|GID]");
        List<String[]> passwd = entries(image, "/etc/passwd", 7);
        String[] entry = null;
        for (String[] e : passwd) {
            if (isNumber(user) ? e[2].equals(user) : e[0].equals(user)) {
                entry = e;
                break;
            }
        }
        if (entry == null && !isNumber(user)) {
            throw new IllegalArgumentException("the image has no user '" + user + "' in its /etc/passwd: give a number or add the user");
        }
        long uid = isNumber(user) ? Long.parseLong(user) : Long.parseLong(entry[2]);
        long gid;
        List<Long> groups = new ArrayList<>();
        List<String[]> groupFile = entries(image, "/etc/group", 4);
        if (group.isPresent()) {
            gid = groupId(group.get(), groupFile, spec);
        } else {
            gid = entry == null ? 0 : parseId(entry[3], "/etc/passwd");
            if (entry != null) {
                for (String[] g : groupFile) {
                    if (List.of(g[3].split(",")).contains(entry[0])) {
                        long id = parseId(g[2], "/etc/group");
                        if (id != gid && !groups.contains(id)) groups.add(id);
                    }
                }
            }
        }
        Optional<String> home = entry == null || entry[5].isEmpty() ? Optional.empty() : Optional.of(entry[5]);
        return new ImageUser(uid, gid, groups, home);
    }

    private static long groupId(String group, List<String[]> groupFile, String spec) {
        if (group.isEmpty()) throw new IllegalArgumentException("bad user '" + spec + "': want NAME|UID[:GROUP|GID]");
        if (isNumber(group)) return Long.parseLong(group);
        for (String[] g : groupFile) if (g[0].equals(group)) return parseId(g[2], "/etc/group");
        throw new IllegalArgumentException("the image has no group '" + group + "' in its /etc/group: give a number or add the group");
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() < 11 && s.chars().allMatch(Character::isDigit);
    }

    private static long parseId(String s, String file) {
        if (!isNumber(s)) throw new IllegalArgumentException("the image's " + file + " has a bad id '" + s + "'");
        return Long.parseLong(s);
    }

    /** The colon-separated lines of {@code path} in the image with at least {@code fields} fields; none when absent. */
    private static List<String[]> entries(MergedView image, String path, int fields) throws IOException {
        Optional<MergedView.Entry> file = image.find("/", path, true);
        List<String[]> result = new ArrayList<>();
        if (file.isEmpty() || file.get().type() != MergedView.Type.FILE) return result;
        String text;
        try (InputStream in = image.open(file.get())) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split(":", -1);
            if (f.length >= fields) result.add(f);
        }
        return result;
    }
}
