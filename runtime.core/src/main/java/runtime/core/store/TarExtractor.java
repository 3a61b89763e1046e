package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * Unpacks a tar stream into a layer directory, never writing outside it.
 *
 * <p>Entry names are made relative and normalised; a name that climbs out with {@code ..} is an error.
 * Symlinks already unpacked are followed as if the layer were the root ({@code /} and {@code ..} stop
 * at the layer), so an archive can neither plant a symlink and write through it to the host nor hard
 * link to a host file. The entry itself is never followed: it replaces what is there.
 * Ownership is applied when running as root; rootless, every file belongs to the caller (root inside
 * the container). Device nodes need root and are skipped (and counted) rootless. OCI whiteouts become
 * the store's own ({@link LayerFormat}).
 */
public final class TarExtractor {
    private static final int MAX_SYMLINK_HOPS = 40;

    private final Path root;
    private final boolean asRoot;
    private final List<Runnable> directoryFixups = new ArrayList<>();
    private int skippedDevices;
    private long entries;

    public TarExtractor(Path root, boolean asRoot) {
        this.root = root;
        this.asRoot = asRoot;
    }

    /** Device nodes that could not be created (rootless). */
    public int skippedDevices() {
        return skippedDevices;
    }

    public long entries() {
        return entries;
    }

    public void extract(InputStream tarStream) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream);
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            entries++;
            List<String> parts = normalise(entry.getName());
            if (parts.isEmpty()) {
                if (entry.isDirectory()) applyMetadata(root, entry, true);
                continue;
            }
            String name = parts.getLast();
            Path parent = resolveInside(parts.subList(0, parts.size() - 1), true);
            if (name.equals(LayerFormat.OCI_OPAQUE)) {
                // OCI: hide the lower layers' content of this directory.
                LayerFormat.markOpaque(parent, asRoot);
                continue;
            }
            if (name.startsWith(LayerFormat.OCI_WHITEOUT_PREFIX)) {
                // OCI: NAME was deleted; the store records that as overlay does (a 0:0 device).
                Path deleted = parent.resolve(name.substring(LayerFormat.OCI_WHITEOUT_PREFIX.length()));
                removeExisting(deleted);
                LayerFormat.whiteout(deleted);
                continue;
            }
            Path target = parent.resolve(name);
            unpack(tar, entry, target);
        }
        // Directory modes and times last: a read-only directory must still receive its children.
        for (int i = directoryFixups.size() - 1; i >= 0; i--) {
            directoryFixups.get(i).run();
        }
    }

    private void unpack(TarArchiveInputStream tar, TarArchiveEntry entry, Path target) throws IOException {
        if (entry.isDirectory()) {
            if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                removeExisting(target);
                Files.createDirectory(target);
            }
            applyMetadata(target, entry, true);
            return;
        }
        removeExisting(target);
        if (entry.isSymbolicLink()) {
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
            applyOwner(target, entry);
            setTime(target, entry);
        } else if (entry.isLink()) {
            List<String> linkParts = normalise(entry.getLinkName());
            if (linkParts.isEmpty()) throw new StoreException("tar entry " + entry.getName() + ": hard link to the layer root");
            Path linkParent = resolveInside(linkParts.subList(0, linkParts.size() - 1), false);
            Path existing = linkParent.resolve(linkParts.getLast());
            if (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(existing, LinkOption.NOFOLLOW_LINKS)) {
                throw new StoreException("tar entry " + entry.getName() + ": hard link to missing or non-file " + entry.getLinkName());
            }
            Files.createLink(target, existing);
        } else if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            if (!asRoot) {
                skippedDevices++;
                return;
            }
            int type = entry.isCharacterDevice() ? Posix.S_IFCHR : Posix.S_IFBLK;
            try {
                Posix.mknod(target.toString(), type | (entry.getMode() & 07777), entry.getDevMajor(), entry.getDevMinor());
            } catch (ErrnoException e) {
                throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
            }
            applyMetadata(target, entry, false);
        } else if (entry.isFIFO()) {
            try {
                Posix.mknod(target.toString(), Posix.S_IFIFO | (entry.getMode() & 07777), 0, 0);
            } catch (ErrnoException e) {
                throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
            }
            applyMetadata(target, entry, false);
        } else if (entry.isFile()) {
            Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
            applyMetadata(target, entry, false);
        } else {
            throw new StoreException("tar entry " + entry.getName() + ": unsupported type '" + (char) entry.getLinkFlag() + "'");
        }
    }

    private void removeExisting(Path target) throws IOException {
        try {
            Files.deleteIfExists(target);
        } catch (DirectoryNotEmptyException e) {
            Trees.deleteRecursively(target);
        }
    }

    /** Splits an entry name into safe components: no empty parts, no ".", and no climbing out. */
    static List<String> normalise(String name) {
        Deque<String> parts = new ArrayDeque<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (parts.isEmpty()) throw new StoreException("tar entry " + name + " points outside the layer");
                parts.removeLast();
                continue;
            }
            if (part.indexOf('\0') >= 0) throw new StoreException("tar entry name has a NUL byte");
            parts.addLast(part);
        }
        return List.copyOf(parts);
    }

    /**
     * Resolves directory components inside the layer as a chroot would: symlinks are followed, with
     * absolute targets and {@code ..} confined to the layer. Missing directories are created if asked.
     */
    private Path resolveInside(List<String> components, boolean create) throws IOException {
        Deque<String> todo = new ArrayDeque<>(components);
        Deque<Path> stack = new ArrayDeque<>();
        Path current = root;
        int hops = 0;
        while (!todo.isEmpty()) {
            String part = todo.removeFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                current = stack.isEmpty() ? root : stack.removeLast();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next)) {
                if (++hops > MAX_SYMLINK_HOPS) throw new StoreException("too many symlinks resolving " + String.join("/", components));
                String link = Files.readSymbolicLink(next).toString();
                if (link.startsWith("/")) {
                    current = root;
                    stack.clear();
                }
                List<String> linkParts = new ArrayList<>(List.of(link.split("/")));
                for (int i = linkParts.size() - 1; i >= 0; i--) todo.addFirst(linkParts.get(i));
                continue;
            }
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                if (!create) throw new StoreException("tar: " + String.join("/", components) + " does not exist in the layer");
                try {
                    Files.createDirectory(next);
                } catch (FileAlreadyExistsException e) {
                    // raced with nothing: we are the only writer, but keep going if it is a directory
                }
            } else if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                throw new StoreException("tar: " + String.join("/", components) + " is not a directory in the layer");
            }
            stack.addLast(current);
            current = next;
        }
        return current;
    }

    private void applyMetadata(Path target, TarArchiveEntry entry, boolean directory) throws IOException {
        applyOwner(target, entry);
        int mode = entry.getMode() & 07777;
        if (directory) {
            // Children still have to be written: keep it writable for us until the end.
            Files.setAttribute(target, "unix:mode", mode | 0700, LinkOption.NOFOLLOW_LINKS);
            directoryFixups.add(() -> {
                try {
                    Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
                    setTime(target, entry);
                } catch (IOException e) {
                    throw new StoreException("tar: cannot set mode of " + root.relativize(target) + ": " + e.getMessage(), e);
                }
            });
        } else if (entry.isFIFO() || entry.isCharacterDevice() || entry.isBlockDevice()) {
            // The JDK opens the file to fchmod it or set its times, and opening a FIFO blocks until a writer
            // comes: chmod by path, and leave the times (a FIFO's or device's mtime carries no content).
            try {
                Posix.chmod(target.toString(), mode);
            } catch (ErrnoException e) {
                throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
            }
        } else {
            Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
            setTime(target, entry);
        }
    }

    private void applyOwner(Path target, TarArchiveEntry entry) throws IOException {
        if (!asRoot) return;
        Files.setAttribute(target, "unix:uid", (int) entry.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(target, "unix:gid", (int) entry.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
    }

    private static void setTime(Path target, TarArchiveEntry entry) throws IOException {
        FileTime time = FileTime.from(entry.getLastModifiedTime().toInstant());
        Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(time, null, null);
    }
}
