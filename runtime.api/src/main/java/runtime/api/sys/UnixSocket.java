package runtime.api.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * {@code AF_UNIX} {@code SOCK_SEQPACKET} sockets with descriptor passing ({@code SCM_RIGHTS}) and the peer's
 * credentials ({@code SO_PEERCRED}): what the per-user server and the native front talk over. The JDK's
 * channels can neither pass descriptors nor tell the peer's uid. Sequenced packets keep message
 * boundaries, so a message is one send and one receive on both sides.
 */
public final class UnixSocket {
    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SO_PEERCRED = 17;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SUN_PATH = 108;
    /** Descriptors one message may carry: the front sends 3, the server at most 6 (see docs/architecture.md). */
    public static final int MAX_FDS = 16;

    private static final Downcall SOCKET = Downcall.of("socket");
    private static final Downcall BIND = Downcall.of("bind");
    private static final Downcall LISTEN = Downcall.of("listen");
    private static final Downcall ACCEPT4 = Downcall.of("accept4");
    private static final Downcall CONNECT = Downcall.of("connect");
    private static final Downcall SENDMSG = Downcall.of("sendmsg");
    private static final Downcall RECVMSG = Downcall.of("recvmsg");
    private static final Downcall GETSOCKOPT = Downcall.of("getsockopt");
    private static final Downcall SHUTDOWN = Downcall.of("shutdown");

    private UnixSocket() {}

    /** A message received: its bytes and the descriptors that came with it (close-on-exec, now ours). */
    public record Message(byte[] data, int[] fds) {}

    /** A listening socket bound at {@code path} (which must not exist). */
    public static int listen(String path, int backlog) throws ErrnoException {
        int fd = socket();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment address = address(arena, path);
            if ((int) BIND.call(state, fd, address.address(), address.byteSize()) != 0) throw failure("bind " + path, state, fd);
            if ((int) LISTEN.call(state, fd, backlog) != 0) throw failure("listen " + path, state, fd);
            return fd;
        }
    }

    /** A socket connected to {@code path}. */
    public static int connect(String path) throws ErrnoException {
        int fd = socket();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment address = address(arena, path);
            if ((int) CONNECT.call(state, fd, address.address(), address.byteSize()) != 0) throw failure("connect " + path, state, fd);
            return fd;
        }
    }

    /** The next connection (close-on-exec); retries on EINTR. */
    public static int accept(int listening) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            while (true) {
                int fd = (int) ACCEPT4.call(state, listening, 0, 0, SOCK_CLOEXEC);
                if (fd >= 0) return fd;
                int errno = LibC.errno(state);
                if (errno != Errno.EINTR && errno != Errno.ECONNABORTED) throw new ErrnoException("accept", errno);
            }
        }
    }

    /** The uid of the process at the other end, as the kernel recorded it at connect. */
    public static int peerUid(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment cred = arena.allocate(12, 4);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, 12);
            if ((int) GETSOCKOPT.call(state, fd, SOL_SOCKET, SO_PEERCRED, cred.address(), length.address()) != 0) {
                throw new ErrnoException("SO_PEERCRED", LibC.errno(state));
            }
            return cred.get(JAVA_INT, 4);
        }
    }

    /** Sends {@code data} as one message with {@code fds} attached (the caller keeps its descriptors). */
    public static void send(int socket, byte[] data, int... fds) throws ErrnoException {
        if (fds.length > MAX_FDS) throw new IllegalArgumentException("at most " + MAX_FDS + " descriptors per message");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment bytes = arena.allocateFrom(JAVA_BYTE, data.length == 0 ? new byte[1] : data);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(JAVA_LONG, 0, bytes.address());
            iov.set(JAVA_LONG, 8, data.length);
            MemorySegment header = arena.allocate(56, 8);
            header.set(JAVA_LONG, 16, iov.address());
            header.set(JAVA_LONG, 24, 1);
            if (fds.length > 0) {
                MemorySegment control = arena.allocate(space(fds.length), 8);
                control.set(JAVA_LONG, 0, 16 + 4L * fds.length);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) control.set(JAVA_INT, 16 + 4L * i, fds[i]);
                header.set(JAVA_LONG, 32, control.address());
                header.set(JAVA_LONG, 40, control.byteSize());
            }
            while (true) {
                long n = SENDMSG.call(state, socket, header.address(), MSG_NOSIGNAL);
                if (n >= 0) return;
                int errno = LibC.errno(state);
                if (errno != Errno.EINTR) throw new ErrnoException("send", errno);
            }
        }
    }

    /**
     * The next message of at most {@code limit} bytes, or null at end of file. A longer message is an error
     * (its descriptors are closed), so a peer cannot make the receiver allocate what it likes.
     */
    public static Message receive(int socket, int limit) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment bytes = arena.allocate(limit + 1L);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(JAVA_LONG, 0, bytes.address());
            iov.set(JAVA_LONG, 8, limit + 1L);
            MemorySegment control = arena.allocate(space(MAX_FDS), 8);
            MemorySegment header = arena.allocate(56, 8);
            header.set(JAVA_LONG, 16, iov.address());
            header.set(JAVA_LONG, 24, 1);
            header.set(JAVA_LONG, 32, control.address());
            header.set(JAVA_LONG, 40, control.byteSize());
            long n;
            while (true) {
                n = RECVMSG.call(state, socket, header.address(), MSG_CMSG_CLOEXEC);
                if (n >= 0) break;
                int errno = LibC.errno(state);
                if (errno != Errno.EINTR) throw new ErrnoException("receive", errno);
            }
            int[] fds = fds(control, header.get(JAVA_LONG, 40));
            int flags = header.get(JAVA_INT, 48);
            // MSG_TRUNC (0x20) or MSG_CTRUNC (0x08): more than we accept.
            if (n > limit || (flags & 0x28) != 0) {
                for (int fd : fds) Posix.close(fd);
                throw new ErrnoException("receive: a message over " + limit + " bytes or " + MAX_FDS + " descriptors", Errno.EMSGSIZE);
            }
            if (n == 0 && fds.length == 0) return null;
            byte[] data = new byte[(int) n];
            MemorySegment.copy(bytes, JAVA_BYTE, 0, data, 0, (int) n);
            return new Message(data, fds);
        }
    }

    /** Ends both directions (a thread blocked in receive on it returns end of file). */
    public static void shutdown(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            SHUTDOWN.call(LibC.captureState(arena), fd, 2);
        }
    }

    private static int[] fds(MemorySegment control, long length) {
        int[] out = new int[0];
        long offset = 0;
        while (offset + 16 <= length) {
            long cmsgLength = control.get(JAVA_LONG, offset);
            if (cmsgLength < 16) break;
            if (control.get(JAVA_INT, offset + 8) == SOL_SOCKET && control.get(JAVA_INT, offset + 12) == SCM_RIGHTS) {
                int count = (int) ((cmsgLength - 16) / 4);
                int[] more = java.util.Arrays.copyOf(out, out.length + count);
                for (int i = 0; i < count; i++) more[out.length + i] = control.get(JAVA_INT, offset + 16 + 4L * i);
                out = more;
            }
            offset += (cmsgLength + 7) & ~7L;
        }
        return out;
    }

    private static long space(int fds) {
        return 16 + ((4L * fds + 7) & ~7L);
    }

    private static int socket() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            int fd = (int) SOCKET.call(state, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            if (fd < 0) throw new ErrnoException("socket", LibC.errno(state));
            return fd;
        }
    }

    private static MemorySegment address(Arena arena, String path) throws ErrnoException {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH) throw new ErrnoException("socket path " + path, Errno.ENAMETOOLONG);
        MemorySegment a = arena.allocate(2 + SUN_PATH, 2);
        a.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, a, JAVA_BYTE, 2, name.length);
        return a;
    }

    private static ErrnoException failure(String what, MemorySegment state, int fd) {
        ErrnoException e = new ErrnoException(what, LibC.errno(state));
        Posix.close(fd);
        return e;
    }
}
