package runtime.core.source;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;
import runtime.core.store.StoreException;

/**
 * {@code dir:PATH}: a directory tree as a base layer. The tree is written as a tar (sorted, so the same
 * tree gives the same bytes) and imported through the same safe extraction as any archive: symlinks
 * stay symlinks and are never followed, modes and times are kept, ownership too when root imports (a
 * rootless store owns everything itself), hard links stay linked, device nodes need root.
 * The layer is keyed by the tar's SHA-256, so an unchanged tree is one image.
 */
public final class DirSource implements ImageSource {
    @Override
    public String scheme() {
        return "dir";
    }

    @Override
    public String description() {
        return "a directory tree copied as a layer: dir:PATH";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        return layer(Optional.empty(), reference, context);
    }

    /**
     * The directory {@code reference} (relative to the caller's working directory) as a layer on
     * {@code parent} (plash's add-layer), or as a base layer; returns its id.
     */
    public static String layer(Optional<String> parent, String reference, SourceContext context) throws IOException {
        Path dir = context.workingDirectory().resolve(reference).normalize();
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("dir:" + reference + ": no such directory");
        Path tar = context.scratch().resolve("dir.tar");
        MessageDigest digest = Downloads.sha256();
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 16);
             TarArchiveOutputStream out = new TarArchiveOutputStream(new DigestOutputStream(file, digest))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            new Writer(dir, out).write(dir, "./");
            out.finish();
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("dir:" + reference + ": cannot read: " + Downloads.oneLine(e), e);
        }
        String sha = HexFormat.of().formatHex(digest.digest());
        try (InputStream in = Files.newInputStream(tar)) {
            return context.importLayer(parent, TarImport.instruction(sha), in);
        } finally {
            LxcSource.deleteQuietly(tar);
        }
    }

    /** Writes one tree, remembering inodes seen so a second name of a file becomes a hard link. */
    private record Writer(Path top, TarArchiveOutputStream out, Map<String, String> inodes) {
        Writer(Path top, TarArchiveOutputStream out) {
            this(top, out, new HashMap<>());
        }

        void write(Path path, String name) throws IOException {
            Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid,gid,ino,dev,nlink,rdev,size,lastModifiedTime",
                    LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int type = mode & 0170000;
            TarArchiveEntry e;
            if (type == 0040000) {
                e = new TarArchiveEntry(name, TarConstants.LF_DIR);
            } else if (type == 0120000) {
                e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(path).toString());
            } else if (type == 0100000) {
                String inode = a.get("dev") + ":" + a.get("ino");
                String first = (Integer) a.get("nlink") > 1 ? inodes.putIfAbsent(inode, name) : null;
                if (first != null) {
                    e = new TarArchiveEntry(name, TarConstants.LF_LINK);
                    e.setLinkName(first);
                } else {
                    e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
                    e.setSize((Long) a.get("size"));
                }
            } else if (type == 0020000 || type == 0060000) {
                e = new TarArchiveEntry(name, type == 0020000 ? TarConstants.LF_CHR : TarConstants.LF_BLK);
                long rdev = (Long) a.get("rdev");
                e.setDevMajor((int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL)));
                e.setDevMinor((int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)));
            } else if (type == 0010000) {
                e = new TarArchiveEntry(name, TarConstants.LF_FIFO);
            } else {
                return; // sockets belong to a running program, not to an image
            }
            e.setMode(mode & 07777);
            e.setUserId((Integer) a.get("uid"));
            e.setGroupId((Integer) a.get("gid"));
            e.setModTime(((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis());
            out.putArchiveEntry(e);
            if (type == 0100000 && !e.isLink()) {
                try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
                    long copied = in.transferTo(out);
                    if (copied != e.getSize()) {
                        throw new StoreException("dir:" + top + ": " + name + " changed while it was copied");
                    }
                }
            }
            out.closeArchiveEntry();
            if (type == 0040000) {
                List<Path> children = new ArrayList<>();
                try (Stream<Path> s = Files.list(path)) {
                    s.forEach(children::add);
                }
                children.sort((x, y) -> x.getFileName().toString().compareTo(y.getFileName().toString()));
                for (Path c : children) {
                    String child = c.getFileName().toString();
                    write(c, name + child + (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS) ? "/" : ""));
                }
            }
        }
    }
}
