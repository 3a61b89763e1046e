package runtime.core.source;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import runtime.core.store.Decompress;
import runtime.core.store.StoreException;
import runtime.core.store.TarExtractor;

/**
 * Turns a set of .deb files into one tar stream: every package's data.tar (paths moved below /usr for a
 * merged-/usr system, as debootstrap makes it), then the dpkg database describing them as unpacked but
 * not configured: {@code /var/lib/dpkg/status}, and for each package its file list and control members
 * (maintainer scripts, md5sums, conffiles) in {@code /var/lib/dpkg/info}. {@code dpkg --configure -a}
 * in the container then finishes the system. The stream goes through the store's safe extraction.
 */
final class DebUnpacker {
    /** Top-level directories that live under /usr on a merged-/usr system. */
    private static final Set<String> MERGED = Set.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");
    /** Control members dpkg keeps in /var/lib/dpkg/info. */
    private static final Set<String> INFO_MEMBERS = Set.of("preinst", "postinst", "prerm", "postrm", "config",
            "templates", "triggers", "shlibs", "symbols", "md5sums", "conffiles");
    private static final Set<String> SCRIPTS = Set.of("preinst", "postinst", "prerm", "postrm", "config");

    private final TarArchiveOutputStream out;
    private final String arch;
    private final StringBuilder status = new StringBuilder();
    private final long mtime = System.currentTimeMillis();

    DebUnpacker(OutputStream sink, String arch) throws IOException {
        this.out = new TarArchiveOutputStream(sink);
        this.out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        this.out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        this.arch = arch;
        directory("usr/", 0755);
        for (String d : List.of("bin", "sbin", "lib")) directory("usr/" + d + "/", 0755);
        for (String d : List.of("bin", "sbin", "lib")) symlink(d, "usr/" + d);
        if (arch.equals("amd64")) {
            directory("usr/lib64/", 0755);
            symlink("lib64", "usr/lib64");
        }
    }

    /** Adds one package's files and remembers its control data for the database. */
    void add(DebianArchive.Package pkg, Path deb) throws IOException {
        Map<String, byte[]> control = null;
        boolean data = false;
        List<String> files = new ArrayList<>();
        try (ArArchiveInputStream ar = new ArArchiveInputStream(new BufferedInputStream(Files.newInputStream(deb), 1 << 16))) {
            ArArchiveEntry member;
            while ((member = ar.getNextEntry()) != null) {
                String name = member.getName();
                if (name.endsWith("/")) name = name.substring(0, name.length() - 1);
                if (name.startsWith("control.tar")) {
                    control = readControl(unclosable(ar));
                } else if (name.startsWith("data.tar")) {
                    copyData(Decompress.open(unclosable(ar)), files, pkg.name());
                    data = true;
                }
            }
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException(pkg.name() + " (" + deb.getFileName() + "): not a valid .deb: " + Downloads.oneLine(e), e);
        }
        if (control == null || !control.containsKey("control") || !data) {
            throw new StoreException(pkg.name() + ": not a valid .deb (no control.tar or data.tar member)");
        }
        String infoName = pkg.multiArchSame() ? pkg.name() + ":" + pkg.arch() : pkg.name();
        for (Map.Entry<String, byte[]> m : control.entrySet()) {
            if (!INFO_MEMBERS.contains(m.getKey())) continue;
            file("var/lib/dpkg/info/" + infoName + "." + m.getKey(), m.getValue(), SCRIPTS.contains(m.getKey()) ? 0755 : 0644);
        }
        StringBuilder list = new StringBuilder("/.\n");
        for (String f : files) list.append('/').append(f).append('\n');
        file("var/lib/dpkg/info/" + infoName + ".list", list.toString().getBytes(StandardCharsets.UTF_8), 0644);
        status.append(statusStanza(new String(control.get("control"), StandardCharsets.UTF_8),
                control.containsKey("conffiles") ? new String(control.get("conffiles"), StandardCharsets.UTF_8) : ""));
    }

    /** Ends the stream with the dpkg database. */
    void finish() throws IOException {
        directory("var/lib/dpkg/updates/", 0755);
        directory("var/lib/dpkg/triggers/", 0755);
        directory("var/lib/dpkg/alternatives/", 0755);
        file("var/lib/dpkg/status", status.toString().getBytes(StandardCharsets.UTF_8), 0644);
        file("var/lib/dpkg/available", new byte[0], 0644);
        file("var/lib/dpkg/diversions", new byte[0], 0644);
        file("var/lib/dpkg/statoverride", new byte[0], 0644);
        file("var/lib/dpkg/arch", (arch + "\n").getBytes(StandardCharsets.UTF_8), 0644);
        out.finish();
        out.flush();
    }

    /**
     * A package's status entry: its control stanza marked "install ok unpacked", with its conffiles
     * marked "newconffile" (dpkg records their checksums when it configures them).
     */
    static String statusStanza(String control, String conffiles) {
        StringBuilder s = new StringBuilder();
        boolean statusWritten = false;
        for (String line : control.split("\n")) {
            if (line.isBlank()) continue;
            if (line.regionMatches(true, 0, "Status:", 0, 7)) continue;
            s.append(line).append('\n');
            if (!statusWritten && line.regionMatches(true, 0, "Package:", 0, 8)) {
                s.append("Status: install ok unpacked\n");
                statusWritten = true;
            }
        }
        if (!statusWritten) throw new StoreException("a package's control file has no Package field");
        List<String> conf = conffiles.lines().map(String::strip).filter(l -> l.startsWith("/")).toList();
        if (!conf.isEmpty()) {
            s.append("Conffiles:\n");
            for (String c : conf) s.append(' ').append(c.split("\\s+")[0]).append(" newconffile\n");
        }
        return s.append('\n').toString();
    }

    private static Map<String, byte[]> readControl(InputStream compressed) throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        TarArchiveInputStream tar = new TarExtractor.CheckedTarInputStream(Decompress.open(compressed));
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            if (e.getLinkFlag() != TarConstants.LF_NORMAL && e.getLinkFlag() != TarConstants.LF_OLDNORM) continue;
            String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
            if (name.contains("/")) continue;
            if (e.getSize() > 64 << 20) throw new StoreException("control member " + name + " is too large");
            members.put(name, tar.readAllBytes());
        }
        return members;
    }

    private void copyData(InputStream data, List<String> files, String pkg) throws IOException {
        TarArchiveInputStream tar = new TarExtractor.CheckedTarInputStream(data);
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            String original = clean(e.getName());
            if (original.isEmpty()) continue;
            files.add(original);
            TarArchiveEntry copy = new TarArchiveEntry(merged(original) + (e.isDirectory() ? "/" : ""), e.getLinkFlag());
            copy.setMode(e.getMode());
            copy.setUserId(e.getLongUserId());
            copy.setGroupId(e.getLongGroupId());
            copy.setModTime(e.getModTime());
            if (e.isSymbolicLink()) {
                copy.setLinkName(e.getLinkName());
            } else if (e.isLink()) {
                copy.setLinkName(merged(clean(e.getLinkName())));
            }
            if (e.isCharacterDevice() || e.isBlockDevice()) {
                copy.setDevMajor(e.getDevMajor());
                copy.setDevMinor(e.getDevMinor());
            }
            // isFile() is true of anything not a directory: only regular files carry data.
            boolean regular = e.getLinkFlag() == TarConstants.LF_NORMAL || e.getLinkFlag() == TarConstants.LF_OLDNORM
                    || e.getLinkFlag() == TarConstants.LF_CONTIG;
            if (regular) copy.setSize(e.getSize());
            out.putArchiveEntry(copy);
            if (regular) {
                long n = tar.transferTo(out);
                if (n != e.getSize()) throw new StoreException(pkg + ": data.tar entry " + original + " is truncated");
            }
            out.closeArchiveEntry();
        }
    }

    /** The entry name without "./" and trailing "/", as dpkg lists it. */
    private static String clean(String name) {
        String n = name;
        while (n.startsWith("./")) n = n.substring(2);
        if (n.equals(".")) return "";
        while (n.endsWith("/")) n = n.substring(0, n.length() - 1);
        return n.startsWith("/") ? n.substring(1) : n;
    }

    /** bin/sh becomes usr/bin/sh: /bin is a symlink to usr/bin, which the extraction would otherwise replace. */
    static String merged(String name) {
        int slash = name.indexOf('/');
        String top = slash < 0 ? name : name.substring(0, slash);
        return MERGED.contains(top) ? "usr/" + name : name;
    }

    private void directory(String name, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR);
        e.setMode(mode);
        e.setModTime(mtime);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
    }

    private void symlink(String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        e.setMode(0777);
        e.setModTime(mtime);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
    }

    private void file(String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
        e.setMode(mode);
        e.setSize(content.length);
        e.setModTime(mtime);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
    }

    /** The ar member's stream, which the decompressors must not close (the next member follows). */
    private static InputStream unclosable(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
                // the ar archive is closed by its owner
            }
        };
    }
}
