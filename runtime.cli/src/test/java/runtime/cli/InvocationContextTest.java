package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.sys.Posix;

/**
 * Commands run against their {@link Context}, never the JVM's globals: one JVM runs concurrent
 * invocations of different callers (stores, directories, environments, streams and descriptors) and
 * each gets exactly what it gets alone; nothing reaches the JVM's own System.out or System.err.
 */
class InvocationContextTest {
    private static final int CALLERS = 8;

    @TempDir
    static Path shared;

    private static byte[] busybox;

    private PrintStream jvmOut;
    private PrintStream jvmErr;
    private final ByteArrayOutputStream leaked = new ByteArrayOutputStream();

    @BeforeAll
    static void rootfs() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("scripts/busybox-rootfs");
        Process p = new ProcessBuilder("sh", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        busybox = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "scripts/busybox-rootfs");
    }

    /** The JVM's own streams record anything written to them while a test runs: a command must not. */
    @BeforeEach
    void guardJvmStreams() {
        jvmOut = System.out;
        jvmErr = System.err;
        OutputStream recorder = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                leaked.write(b);
            }
        };
        System.setOut(new PrintStream(recorder, true));
        System.setErr(new PrintStream(recorder, true));
    }

    @AfterEach
    void restoreJvmStreams() {
        System.setOut(jvmOut);
        System.setErr(jvmErr);
        assertEquals("", leaked.toString(StandardCharsets.UTF_8), "written to the JVM's System.out/System.err");
    }

    @Test
    void noCommandWritesToTheJvmStreams() throws Exception {
        Path dir = Files.createDirectories(shared.resolve("quiet"));
        Map<String, String> env = Map.of("STRATA_DATA", dir.resolve("store").toString());
        for (List<String> args : List.<List<String>>of(List.of("version"), List.of("help"), List.of("help", "run"), List.of("nosuch"),
                List.of("images"), List.of("run"), List.of("import-tar", "missing.tar"), List.of("rm", "nosuchimage"),
                List.of("build", "--from"), List.of())) {
            Result r = run(args, env, dir, InputStream.nullInputStream());
            assertTrue(!r.out.isEmpty() || !r.err.isEmpty() || r.code == 0, "no output at all from " + args);
        }
        // Typed into the shell (a script on its standard input), a command still writes to the caller's streams.
        Result shell = run(List.of("shell"), env, dir, new ByteArrayInputStream("version\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(shell.out.startsWith("strata "), shell.out + shell.err);
    }

    @Test
    void relativePathsResolveAgainstTheCallersDirectory() throws Exception {
        Path dir = Files.createDirectories(shared.resolve("relative"));
        Files.write(dir.resolve("rootfs.tar"), busybox);
        // Neither the store nor the archive exists relative to the JVM's own directory.
        Result r = run(List.of("import-tar", "rootfs.tar"), Map.of("STRATA_DATA", "store"), dir, InputStream.nullInputStream());
        assertEquals(0, r.code, r.err);
        assertTrue(Files.isDirectory(dir.resolve("store/layers").resolve(r.out.strip())), r.out);
        assertTrue(Files.notExists(Path.of("store")), "a store in the JVM's directory");
    }

    @Test
    void concurrentInvocationsGiveTheSerialResults() throws Exception {
        List<String> serial = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) serial.add(session(i, Files.createDirectories(shared.resolve("serial-" + i))));
        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> concurrent = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                int caller = i;
                Path dir = Files.createDirectories(shared.resolve("concurrent-" + i));
                concurrent.add(pool.submit((Callable<String>) () -> {
                    start.await();
                    return session(caller, dir);
                }));
            }
            start.countDown();
            for (int i = 0; i < CALLERS; i++) assertEquals(serial.get(i), concurrent.get(i).get(), "caller " + i);
        } finally {
            pool.shutdownNow();
        }
        // Each caller's own mark, file and directory, so a crossed stream or store would differ.
        String third = serial.get(3);
        assertTrue(third.contains("exit 0: input of 3\ncaller 3 in $DIR\nrootfs.tar\n"), third);
        assertTrue(third.contains("export-tar to descriptor 1 holds file-3: true"), third);
        assertTrue(third.contains("out.tar written: true"), third);
    }

    /**
     * One caller's commands, each caller with its own store (relative STRATA_DATA), directory, environment,
     * standard input and output descriptors; returns what they printed, the caller's directory as $DIR.
     */
    private static String session(int caller, Path dir) throws Exception {
        Files.write(dir.resolve("rootfs.tar"), busybox);
        Map<String, String> env = Map.of("STRATA_DATA", "store", "PATH", "/usr/bin:/bin", "MARK", "caller " + caller);
        StringBuilder transcript = new StringBuilder();
        Result base = run(List.of("import-tar", "rootfs.tar"), env, dir, InputStream.nullInputStream());
        transcript.append(base);
        Result extra = run(List.of("import-tar", "-"), env, dir, new ByteArrayInputStream(tarWith("file-" + caller)));
        transcript.append(extra);
        transcript.append(run(List.of("map", "extra", extra.out.strip()), env, dir, InputStream.nullInputStream()));
        transcript.append(run(List.of("id", "extra"), env, dir, InputStream.nullInputStream()));
        transcript.append(run(List.of("images"), env, dir, InputStream.nullInputStream()));
        // A container gets the caller's descriptors as 0, 1 and 2 and starts in the caller's directory.
        Files.writeString(dir.resolve("stdin"), "input of " + caller + "\n");
        transcript.append(withDescriptors(dir, List.of("run", base.out.strip(), "sh", "-c", "cat; echo \"$MARK in $PWD\"; ls"), env));
        // export-tar - writes the archive to the caller's standard output descriptor, a relative FILE in its directory.
        transcript.append("\nexport-tar to descriptor 1 holds file-" + caller + ": "
                + withDescriptors(dir, List.of("export-tar", "extra", "-"), env).contains("file-" + caller));
        transcript.append(run(List.of("export-tar", "extra", "out.tar"), env, dir, InputStream.nullInputStream()));
        transcript.append("\nout.tar written: " + (Files.size(dir.resolve("out.tar")) > 0));
        return transcript.toString().replace(dir.toString(), "$DIR");
    }

    /** Runs {@code args} with files of {@code dir} as descriptors 0 (stdin) and 1 (stdout); returns what fd 1 got. */
    private static String withDescriptors(Path dir, List<String> args, Map<String, String> env) throws Exception {
        Path output = dir.resolve("stdout");
        int in = Posix.open(dir.resolve("stdin").toString(), 0, 0);
        int out = Posix.open(output.toString(), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC, 0644);
        try {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream errStream = new PrintStream(err, true);
            Context.Stdio stdio = new Context.Stdio(in, out, 2, InputStream.nullInputStream(),
                    new PrintStream(OutputStream.nullOutputStream()), errStream, false, false, false);
            int code = Main.run(new Context(args, env, dir, 022, stdio, "strata"));
            return "exit " + code + ": " + err.toString(StandardCharsets.UTF_8) + Files.readString(output, StandardCharsets.ISO_8859_1);
        } finally {
            Posix.close(in);
            Posix.close(out);
        }
    }

    private record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n" + out + err;
        }
    }

    private static Result run(List<String> args, Map<String, String> env, Path cwd, InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(TestContexts.of(args, env, cwd, in, new PrintStream(out, true), new PrintStream(err, true)));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static byte[] tarWith(String name) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] content = (name + "\n").getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(content.length);
            e.setModTime(0); // the same bytes in the serial and the concurrent run
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }
}
