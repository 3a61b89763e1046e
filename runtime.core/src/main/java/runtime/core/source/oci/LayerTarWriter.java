package runtime.core.source.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import runtime.api.plan.IdMapping;
import runtime.api.sys.Posix;
import runtime.core.store.LayerFormat;

/**
 * Writes one store layer directory as an OCI layer tar. The store's overlay-format deletions become
 * OCI's again: a 0:0 character device is a {@code .wh.NAME} entry, an opaque directory gets a
 * {@code .wh..wh..opq} entry. Owners are written as the container sees them: in a rootless store the
 * caller's files are root's (0), files of a subordinate id are mapped back through the id map, and
 * ids outside the map become 65534 (nobody), as they appear inside the container.
 */
final class LayerTarWriter {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int NOBODY = 65534;

    private final boolean rootStore;
    private final List<IdMapping> uids;
    private final List<IdMapping> gids;
    private final Map<Long, String> hardLinks = new HashMap<>();
    private TarArchiveOutputStream tar;
    private long entries;

    /**
     * @param uids the id map (inside → outside) of a rootless store; ignored for a root store, whose
     *             ids are written as they are
     */
    LayerTarWriter(boolean rootStore, List<IdMapping> uids, List<IdMapping> gids) {
        this.rootStore = rootStore;
        this.uids = uids;
        this.gids = gids;
    }

    /** True when the layer has nothing to say (an empty root that is not opaque), e.g. a config-only layer. */
    boolean isEmpty(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            if (s.findAny().isPresent()) return false;
        }
        return !LayerFormat.isOpaque(root, rootStore);
    }

    /** Writes the tar of {@code root} to {@code out} (not closed) and returns the number of entries. */
    long write(Path root, OutputStream out) throws IOException {
        hardLinks.clear(); // a hard link never crosses layers
        tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        if (LayerFormat.isOpaque(root, rootStore)) marker(LayerFormat.OCI_OPAQUE);
        walk(root, "");
        tar.finish();
        return entries;
    }

    private void walk(Path dir, String prefix) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted().toList();
        }
        for (Path child : children) {
            String name = prefix + child.getFileName();
            Map<String, Object> a = Files.readAttributes(child, "unix:mode,uid,gid,rdev,ino,nlink,size,lastModifiedTime",
                    LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int type = mode & S_IFMT;
            if (type == Posix.S_IFCHR && (Long) a.get("rdev") == 0) {
                marker(prefix + LayerFormat.OCI_WHITEOUT_PREFIX + child.getFileName());
                continue;
            }
            TarArchiveEntry e;
            switch (type) {
                case S_IFDIR -> e = new TarArchiveEntry(name + "/", TarArchiveEntry.LF_DIR, true);
                case S_IFLNK -> {
                    e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
                    e.setLinkName(Files.readSymbolicLink(child).toString());
                }
                case S_IFREG -> {
                    long ino = (Long) a.get("ino");
                    String first = (Integer) a.get("nlink") > 1 ? hardLinks.putIfAbsent(ino, name) : null;
                    if (first != null) {
                        e = new TarArchiveEntry(name, TarArchiveEntry.LF_LINK, true);
                        e.setLinkName(first);
                    } else {
                        e = new TarArchiveEntry(name, TarArchiveEntry.LF_NORMAL, true);
                        e.setSize((Long) a.get("size"));
                    }
                }
                case Posix.S_IFCHR, Posix.S_IFBLK -> {
                    e = new TarArchiveEntry(name, type == Posix.S_IFCHR ? TarArchiveEntry.LF_CHR : TarArchiveEntry.LF_BLK, true);
                    long rdev = (Long) a.get("rdev");
                    e.setDevMajor((int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL)));
                    e.setDevMinor((int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)));
                }
                case Posix.S_IFIFO -> e = new TarArchiveEntry(name, TarArchiveEntry.LF_FIFO, true);
                default -> {
                    continue; // sockets live only while their server runs; tar has no type for them
                }
            }
            e.setMode(mode & 07777);
            e.setUserId(map((Integer) a.get("uid"), uids));
            e.setGroupId(map((Integer) a.get("gid"), gids));
            // Whole seconds: a finer time needs a PAX header, which carries the current time, and the
            // same image would push under a new digest each time.
            e.setModTime(FileTime.fromMillis(((FileTime) a.get("lastModifiedTime")).toMillis() / 1000 * 1000));
            tar.putArchiveEntry(e);
            if (type == S_IFREG && e.getLinkFlag() == TarArchiveEntry.LF_NORMAL) {
                try (InputStream in = Files.newInputStream(child, LinkOption.NOFOLLOW_LINKS)) {
                    long copied = in.transferTo(tar);
                    if (copied != e.getSize()) throw new OciException(child + " changed size while being exported");
                }
            }
            tar.closeArchiveEntry();
            entries++;
            if (type == S_IFDIR) {
                if (LayerFormat.isOpaque(child, rootStore)) marker(name + "/" + LayerFormat.OCI_OPAQUE);
                walk(child, name + "/");
            }
        }
    }

    private void marker(String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_NORMAL, true);
        e.setMode(0);
        e.setSize(0);
        e.setModTime(FileTime.fromMillis(0)); // not "now": the same layer must give the same bytes
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        entries++;
    }

    /** The id as the container sees it. */
    private long map(int hostId, List<IdMapping> mappings) {
        if (rootStore) return hostId;
        for (IdMapping m : mappings) {
            if (hostId >= m.outside() && hostId < m.outside() + m.count()) return m.inside() + (hostId - m.outside());
        }
        return NOBODY;
    }
}
