package runtime.core.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Directory-tree chores the store needs more than once. */
public final class Trees {
    private Trees() {}

    /**
     * Removes {@code root} and everything below it without following symlinks, however deep. Directories
     * without write permission (a rootfs has many, e.g. 0555 /proc) are made writable first, as the caller
     * owns them. A missing {@code root} is fine.
     */
    public static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        try {
            walkAndDelete(root);
        } catch (FileSystemException e) {
            // A tree deeper than PATH_MAX (a build step can make one) has paths no system call takes whole
            // (ENAMETOOLONG). GNU rm walks by descriptor (openat/unlinkat), so no depth stops it; whatever
            // it cannot remove either (files of other ids, rootless) is the original error's to report.
            if (!removedByRm(root)) throw e;
        }
    }

    private static boolean removedByRm(Path root) throws IOException {
        Process rm = new ProcessBuilder("rm", "-rf", "--one-file-system", "--", root.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            rm.waitFor();
        } catch (InterruptedException e) {
            rm.destroyForcibly();
            Thread.currentThread().interrupt();
            return false;
        }
        return !Files.exists(root, LinkOption.NOFOLLOW_LINKS);
    }

    private static void walkAndDelete(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                makeWritable(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                // An unreadable directory: make it accessible and try once more.
                makeWritable(file);
                deleteRecursively(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void makeWritable(Path dir) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0700) != 0700 && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                runtime.api.sys.Posix.chmod(dir.toString(), (mode | 0700) & 07777);
            }
        } catch (NoSuchFileException e) {
            // gone already
        } catch (runtime.api.sys.ErrnoException e) {
            if (e.errno() == runtime.api.sys.Errno.EPERM || e.errno() == runtime.api.sys.Errno.EACCES) {
                throw new java.nio.file.AccessDeniedException(dir.toString(), null, e.getMessage());
            }
            throw e;
        }
    }

    /** Total bytes of regular files below {@code root} (hard links counted once per name), however deep. */
    public static long size(Path root) {
        try {
            return walkSize(root);
        } catch (UncheckedIOException e) {
            // Deeper than PATH_MAX (see deleteRecursively): GNU find walks by descriptor and prints each size.
            if (!(e.getCause() instanceof FileSystemException)) throw e;
            return sizeByFind(root).orElseThrow(() -> e);
        }
    }

    private static java.util.OptionalLong sizeByFind(Path root) {
        try {
            Process find = new ProcessBuilder("find", root.toString(), "-type", "f", "-printf", "%s\n")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long total = 0;
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(find.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII))) {
                for (String line; (line = lines.readLine()) != null; ) total += Long.parseLong(line);
            }
            return find.waitFor() == 0 ? java.util.OptionalLong.of(total) : java.util.OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            return java.util.OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.OptionalLong.empty();
        }
    }

    private static long walkSize(Path root) {
        try (var stream = Files.walk(root)) {
            return stream.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
