package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
 *
 * <p>An archive is bounded by {@link Limits}: the bytes it unpacks to (sparse files counted at their full
 * size) and its number of entries. An entry that declares more than is left fails before anything of it
 * is written, so a small archive cannot fill the disk.
 */
public final class TarExtractor {
    private static final int MAX_SYMLINK_HOPS = 40;

    /**
     * How much one layer may unpack to. Defaults are far above real images (the largest common ones are a
     * few GiB and a few hundred thousand files) but stop a tar bomb before it fills the disk.
     */
    public record Limits(long maxBytes, long maxEntries) {
        public static final String SIZE_VARIABLE = "STRATA_MAX_LAYER_SIZE";
        public static final String ENTRIES_VARIABLE = "STRATA_MAX_LAYER_ENTRIES";
        public static final Limits DEFAULT = new Limits(64L << 30, 4_000_000);

        public Limits {
            if (maxBytes <= 0 || maxEntries <= 0) throw new IllegalArgumentException("layer limits must be positive");
        }

        /** {@code $STRATA_MAX_LAYER_SIZE} (bytes, or with a k/m/g/t suffix) and {@code $STRATA_MAX_LAYER_ENTRIES}. */
        public static Limits fromEnvironment(java.util.Map<String, String> env) {
            long bytes = parse(env.get(SIZE_VARIABLE), SIZE_VARIABLE, DEFAULT.maxBytes, true);
            long count = parse(env.get(ENTRIES_VARIABLE), ENTRIES_VARIABLE, DEFAULT.maxEntries, false);
            return new Limits(bytes, count);
        }

        private static long parse(String value, String variable, long fallback, boolean suffixes) {
            if (value == null || value.isBlank()) return fallback;
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            int shift = 0;
            if (suffixes && !v.isEmpty()) {
                int i = "kmgt".indexOf(v.charAt(v.length() - 1));
                if (i >= 0) {
                    shift = 10 * (i + 1);
                    v = v.substring(0, v.length() - 1);
                }
            }
            try {
                long n = Long.parseLong(v);
                if (n <= 0 || n > (Long.MAX_VALUE >> shift)) throw new NumberFormatException();
                return n << shift;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad " + variable + " '" + value + "': a positive number"
                        + (suffixes ? " of bytes (suffix k, m, g or t allowed)" : ""));
            }
        }
    }

    private final Path root;
    private final boolean asRoot;
    private final Limits limits;
    private final List<Runnable> directoryFixups = new ArrayList<>();
    private final byte[] buffer = new byte[1 << 16];
    /**
     * Directories already resolved inside the layer, by their components joined with '/'. An archive
     * lists a directory's entries together, so most entries resolve their parent with one lookup here
     * instead of a stat per component. Every value is a chain of real directories (no symlinks), so it
     * stays valid until a directory or symlink is removed or replaced: then the cache is cleared.
     */
    private final java.util.Map<String, Path> resolved = new java.util.HashMap<>();
    /** Whether a directory or symlink was removed, so that a path seen earlier may now lead elsewhere. */
    private boolean replacedDirectories;
    private int skippedDevices;
    private long entries;
    private long bytes;
    private long size;

    public TarExtractor(Path root, boolean asRoot) {
        this(root, asRoot, Limits.DEFAULT);
    }

    public TarExtractor(Path root, boolean asRoot, Limits limits) {
        this.root = root;
        this.asRoot = asRoot;
        this.limits = limits;
    }

    /** Bytes of file content unpacked so far. */
    public long bytes() {
        return bytes;
    }

    /**
     * Total bytes of the regular files in the layer, hard links counted once per name (what
     * {@link Trees#size} would find after the extraction, without walking the tree again).
     */
    public long size() {
        return size;
    }

    /** Device nodes that could not be created (rootless). */
    public int skippedDevices() {
        return skippedDevices;
    }

    public long entries() {
        return entries;
    }

    public void extract(InputStream tarStream) throws IOException {
        TarArchiveInputStream tar = new CheckedTarInputStream(tarStream);
        TarArchiveEntry entry;
        while ((entry = next(tar)) != null) {
            if (++entries > limits.maxEntries()) {
                throw new StoreException("tar: more than " + limits.maxEntries() + " entries (the limit is "
                        + Limits.ENTRIES_VARIABLE + ")");
            }
            // No file name can hold a NUL: an archive that says otherwise is damaged or hostile.
            if (entry.getName().indexOf('\0') >= 0 || entry.getLinkName().indexOf('\0') >= 0) {
                throw new StoreException("tar entry " + entry.getName().replace('\0', '?') + ": a NUL character in a name");
            }
            List<String> parts = normalise(entry.getName());
            if (parts.isEmpty()) {
                if (entry.isDirectory()) applyMetadata(root, entry, true);
                continue;
            }
            String name = parts.getLast();
            Path parent = resolveParent(parts, true);
            if (name.equals(LayerFormat.OCI_OPAQUE)) {
                // OCI: hide the lower layers' content of this directory.
                LayerFormat.markOpaque(parent, asRoot);
                continue;
            }
            if (name.startsWith(LayerFormat.OCI_WHITEOUT_PREFIX)) {
                // OCI: NAME was deleted; the store records that as overlay does (a 0:0 device).
                String deletedName = name.substring(LayerFormat.OCI_WHITEOUT_PREFIX.length());
                // ".wh.." would name the parent's parent (and ".wh." the parent itself): deleting that would
                // wipe what the archive wrote so far, or the staging directory; other ".wh..wh." names are
                // AUFS metadata no OCI layer should carry.
                if (deletedName.isEmpty() || deletedName.equals(".") || deletedName.equals("..")
                        || deletedName.startsWith(LayerFormat.OCI_WHITEOUT_PREFIX)) {
                    throw new StoreException("tar entry " + entry.getName() + ": invalid whiteout");
                }
                Path deleted = parent.resolve(deletedName);
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

    /**
     * Creates the entry's node. A fresh layer rarely has the name already, so creation is tried first and
     * whatever is in the way removed only when the kernel says so (one syscall saved per entry).
     */
    private void unpack(TarArchiveInputStream tar, TarArchiveEntry entry, Path target) throws IOException {
        if (entry.isDirectory()) {
            try {
                Files.createDirectory(target);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    removeExisting(target);
                    Files.createDirectory(target);
                }
            }
            applyMetadata(target, entry, true);
            return;
        }
        if (entry.isLink()) {
            // Checked before anything in the way is removed: a bad link must not delete what it names.
            Path existing = hardLinkTarget(entry);
            long linkedSize = Files.isRegularFile(existing, LinkOption.NOFOLLOW_LINKS) ? Files.size(existing) : 0;
            try {
                Files.createLink(target, existing);
            } catch (FileAlreadyExistsException e) {
                removeExisting(target);
                // What was removed may have been the link's own parent chain: resolve it afresh.
                existing = hardLinkTarget(entry);
                Files.createLink(target, existing);
            }
            size += linkedSize;
            return;
        }
        if (entry.isFile() && !entry.isSymbolicLink() && !entry.isCharacterDevice() && !entry.isBlockDevice() && !entry.isFIFO()) {
            copyBounded(tar, entry, target);
            applyMetadata(target, entry, false);
            return;
        }
        removeExisting(target);
        if (entry.isSymbolicLink()) {
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
            applyOwner(target, entry);
            setTime(target, entry);
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
            applySpecialMetadata(target, entry);
        } else if (entry.isFIFO()) {
            try {
                Posix.mknod(target.toString(), Posix.S_IFIFO | (entry.getMode() & 07777), 0, 0);
            } catch (ErrnoException e) {
                throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
            }
            applySpecialMetadata(target, entry);
        } else {
            throw new StoreException("tar entry " + entry.getName() + ": unsupported type '" + (char) entry.getLinkFlag() + "'");
        }
    }

    /** The longest GNU long name or long link name taken (Linux's PATH_MAX is 4 KiB; this leaves room). */
    public static final int MAX_LONG_NAME = 64 << 10;
    /** The largest PAX extended header taken (real ones are a few hundred bytes). */
    public static final int MAX_PAX_HEADER = 1 << 20;

    /**
     * Header checks commons-compress does not make while reading. Checksums: it checks them only when
     * sniffing formats; GNU tar does, and a header that fails is damaged or forged. Sizes of the entries
     * whose content it keeps in memory (GNU long names, PAX headers): a hostile size would be read whole
     * into a string (100 MiB of name took 1.8 GB), so they are bounded before any of it is read.
     */
    public static final class CheckedTarInputStream extends TarArchiveInputStream {
        /** Names and link names given to the coming entry by GNU long name entries and PAX headers. */
        private int names;
        private int linkNames;
        private int depth;
        private final java.io.ByteArrayOutputStream paxHeader = new java.io.ByteArrayOutputStream();

        public CheckedTarInputStream(InputStream in) {
            super(in);
        }

        @Override
        protected byte[] readRecord() throws IOException {
            byte[] record = super.readRecord();
            if (record == null || isEOFRecord(record)) return record;
            if (!org.apache.commons.compress.archivers.tar.TarUtils.verifyCheckSum(record)) {
                throw new IOException("header checksum mismatch");
            }
            countPaxNames();
            byte type = record[TYPE_OFFSET];
            long bound = switch (type) {
                case 'L', 'K' -> MAX_LONG_NAME;
                case 'x', 'g', 'X' -> MAX_PAX_HEADER;
                default -> -1;
            };
            if (bound >= 0) {
                long size = org.apache.commons.compress.archivers.tar.TarUtils.parseOctalOrBinary(record, SIZE_OFFSET, SIZE_LENGTH);
                if (size < 0 || size > bound) {
                    throw new StoreException("tar: a " + (type == 'L' || type == 'K' ? "GNU long name" : "PAX header")
                            + " entry of " + size + " bytes (at most " + bound + " are taken)");
                }
            }
            if (type == 'L') names++;
            if (type == 'K') linkNames++;
            return record;
        }

        /** Keeps what is read of a PAX header entry, to count the names it gives (commons-compress parses it). */
        @Override
        public int read(byte[] buf, int offset, int length) throws IOException {
            int n = super.read(buf, offset, length);
            TarArchiveEntry current = getCurrentEntry();
            if (n > 0 && current != null && current.isPaxHeader()) paxHeader.write(buf, offset, n);
            return n;
        }

        private void countPaxNames() {
            if (paxHeader.size() == 0) return;
            java.util.regex.Matcher m = PAX_NAME.matcher(paxHeader.toString(java.nio.charset.StandardCharsets.UTF_8));
            while (m.find()) {
                if (m.group(1).equals("path")) names++;
                else linkNames++;
            }
            paxHeader.reset();
        }

        /**
         * The next entry, refused where tar implementations read the same bytes differently (GNU tar,
         * Python's tarfile, Go's archive/tar, commons-compress): a layer must hold what other tools see.
         */
        @Override
        public TarArchiveEntry getNextEntry() throws IOException {
            // commons-compress calls this again from inside, after a long name or PAX header: check only the
            // entry that the outermost call returns, with every name it was given counted.
            if (depth > 0) return super.getNextEntry();
            names = 0;
            linkNames = 0;
            paxHeader.reset();
            TarArchiveEntry e;
            depth++;
            try {
                e = super.getNextEntry();
            } finally {
                depth--;
            }
            if (e == null) return null;
            String shown = shownName(e.getName());
            // Which wins differs: GNU tar takes a PAX path over a GNU long name and the last of several long
            // names, commons-compress the first long name over anything.
            if (names > 1 || linkNames > 1) {
                throw new StoreException("tar entry " + shown + ": given more than one " + (names > 1 ? "name" : "link name")
                        + " (GNU long name and PAX header, or repeated); tar implementations disagree on which counts");
            }
            char type = (char) e.getLinkFlag();
            boolean regular = type == '0' || type == '\0' || type == '7' || e.isSparse();
            if (!regular && "12345".indexOf(type) < 0 && type != '6') {
                throw new StoreException("tar entry " + shown + ": unsupported type '" + printable(type) + "'");
            }
            long size = e.isSparse() ? 0 : e.getSize();
            // Only regular files carry data: GNU tar reads the data of a directory as more headers, others skip it.
            if (!regular && size > 0) {
                throw new StoreException("tar entry " + shown + ": a " + (type == '5' ? "directory" : "non-file entry")
                        + " with " + size + " bytes of data (tar implementations disagree on what follows)");
            }
            // A file whose name ends in '/': GNU tar makes a directory and reads its data as more entries,
            // Python's tarfile a file that skips them. Only an empty one means the same to all (a directory).
            if (type != '5' && e.getName().endsWith("/") && (size > 0 || !(type == '0' || type == '\0'))) {
                throw new StoreException("tar entry " + shown + ": a " + (regular ? "file" : "link or special file")
                        + " named like a directory (ends in /); tar implementations disagree on it");
            }
            return e;
        }

        private static String printable(char c) {
            return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
        }

        private static final java.util.regex.Pattern PAX_NAME = java.util.regex.Pattern.compile("(?:^|\n)\\d+ (path|linkpath)=");
        private static final int SIZE_OFFSET = 124;
        private static final int SIZE_LENGTH = 12;
        private static final int TYPE_OFFSET = 156;
    }

    /** An entry name as error messages show it: at most 200 characters, control characters as '?'. */
    static String shownName(String name) {
        String cut = name.length() <= 200 ? name : name.substring(0, 200) + "... (" + name.length() + " characters)";
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /** The next entry; a damaged header is reported as such (commons-compress's message alone is cryptic). */
    private TarArchiveEntry next(TarArchiveInputStream tar) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof java.io.EOFException) throw e;
            // commons-compress's words for a bad header ("Invalid byte -29 at offset 0 in '...'") mean nothing to a user.
            throw new StoreException(entries == 0 ? "not a tar archive (plain, gzip, xz, zstd or bzip2)"
                    : "a damaged tar header after " + entries + " entries", e);
        }
    }

    /**
     * Writes the entry's content, failing as soon as the layer would exceed its size limit: first on the
     * size the entry declares (its full size for a sparse file), then on what actually arrives.
     */
    private void copyBounded(TarArchiveInputStream tar, TarArchiveEntry entry, Path target) throws IOException {
        long declared = entry.isSparse() ? Math.max(entry.getRealSize(), entry.getSize()) : entry.getSize();
        if (declared > limits.maxBytes() - bytes) throw tooLarge(entry);
        long written = 0;
        try (java.io.OutputStream out = createReplacing(target)) {
            int n;
            while ((n = tar.read(buffer)) > 0) {
                bytes += n;
                if (bytes > limits.maxBytes()) throw tooLarge(entry);
                out.write(buffer, 0, n);
                written += n;
            }
        }
        size += written;
    }

    /** O_CREAT|O_EXCL: never opens (or follows a symlink to) anything that is already there; that is removed first. */
    private java.io.OutputStream createReplacing(Path target) throws IOException {
        try {
            return createNew(target);
        } catch (FileAlreadyExistsException e) {
            removeExisting(target);
            return createNew(target);
        }
    }

    private static java.io.OutputStream createNew(Path target) throws IOException {
        return Files.newOutputStream(target, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
    }

    private StoreException tooLarge(TarArchiveEntry entry) {
        return new StoreException("tar entry " + entry.getName() + ": the layer unpacks to more than " + limits.maxBytes()
                + " bytes (the limit is " + Limits.SIZE_VARIABLE + ")");
    }

    /**
     * Removes what is at {@code target} (a subtree included), keeping {@link #size} true. Removing a
     * directory or symlink may change what a cached parent path means, so the cache is cleared then.
     */
    private void removeExisting(Path target) throws IOException {
        java.nio.file.attribute.BasicFileAttributes existing;
        try {
            existing = Files.readAttributes(target, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (existing.isRegularFile()) {
            Files.delete(target);
            size -= existing.size();
            return;
        }
        resolved.clear();
        replacedDirectories = true;
        if (existing.isDirectory()) {
            size -= Trees.size(target);
            Trees.deleteRecursively(target);
        } else {
            Files.delete(target);
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

    /** Whether every component from the layer root down to {@code dir} is a real directory (no symlink). */
    private boolean isDirectoryChain(Path dir) {
        Path current = root;
        for (Path part : root.relativize(dir)) {
            current = current.resolve(part);
            if (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) return false;
        }
        return true;
    }

    /** The directory an entry named by {@code parts} goes into, from the cache when it was resolved before. */
    private Path resolveParent(List<String> parts, boolean create) throws IOException {
        List<String> parentParts = parts.subList(0, parts.size() - 1);
        if (parentParts.isEmpty()) return root;
        String key = String.join("/", parentParts);
        Path parent = resolved.get(key);
        if (parent == null) {
            parent = resolveInside(parentParts, create);
            resolved.put(key, parent);
        }
        return parent;
    }

    /** The existing file a hard link entry names: a regular file or symlink inside the layer. */
    private Path hardLinkTarget(TarArchiveEntry entry) throws IOException {
        List<String> linkParts = normalise(entry.getLinkName());
        if (linkParts.isEmpty()) throw new StoreException("tar entry " + entry.getName() + ": hard link to the layer root");
        Path existing = resolveParent(linkParts, false).resolve(linkParts.getLast());
        // Only regular files and symlinks: a link to a whiteout (a 0:0 device) or a device node would
        // copy a deletion or a device under a new name.
        if (!Files.isRegularFile(existing, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(existing)) {
            throw new StoreException("tar entry " + entry.getName() + ": hard link to missing or non-file " + entry.getLinkName());
        }
        return existing;
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
            java.nio.file.attribute.BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(next, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException e) {
                attributes = null;
            }
            if (attributes != null && attributes.isSymbolicLink()) {
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
            if (attributes == null) {
                if (!create) throw new StoreException("tar: " + String.join("/", components) + " does not exist in the layer");
                try {
                    Files.createDirectory(next);
                } catch (FileAlreadyExistsException e) {
                    // raced with nothing: we are the only writer, but keep going if it is a directory
                }
            } else if (!attributes.isDirectory()) {
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
                    // The directory may since have been replaced, or a component above it by a symlink:
                    // changing what the path leads to now could change a file outside the layer.
                    if (replacedDirectories && !isDirectoryChain(target)) return;
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
            // A regular file this extractor just created (O_EXCL), so chmod by path cannot follow a link.
            try {
                Posix.chmod(target.toString(), mode);
            } catch (ErrnoException e) {
                throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
            }
            setTime(target, entry);
        }
    }

    /**
     * Owner, mode and time of a device node or FIFO by path only: the JDK's attribute views may open the
     * file to change it, and opening a device (or a FIFO, which blocks) must never happen on import.
     */
    private void applySpecialMetadata(Path target, TarArchiveEntry entry) throws IOException {
        applyOwner(target, entry);
        try {
            Posix.chmod(target.toString(), entry.getMode() & 07777);
        } catch (ErrnoException e) {
            throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
        }
    }

    private void applyOwner(Path target, TarArchiveEntry entry) throws IOException {
        if (!asRoot) return;
        try {
            Posix.lchown(target.toString(), (int) entry.getLongUserId(), (int) entry.getLongGroupId());
        } catch (ErrnoException e) {
            throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
        }
    }

    /** The entry's modification time, by path without following a symlink (one utimensat). */
    private static void setTime(Path target, TarArchiveEntry entry) throws IOException {
        java.time.Instant time = entry.getLastModifiedTime().toInstant();
        try {
            Posix.setModificationTime(target.toString(), time.getEpochSecond(), time.getNano());
        } catch (ErrnoException e) {
            throw new StoreException("tar entry " + entry.getName() + ": " + e.getMessage(), e);
        }
    }
}
