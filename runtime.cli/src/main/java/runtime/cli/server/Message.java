package runtime.cli.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages between the native front (runtime.core/src/main/c/strata-front.c) and the server: one
 * SOCK_SEQPACKET packet each, a 32-bit kind in native byte order and a payload of at most {@link #MAX}
 * bytes. The table is in docs/architecture.md ("The server"); the numbers match the C enum.
 */
record Message(int kind, byte[] payload) {
    /** front -> server: build id, program, cwd, umask (octal), terminals ("101"), argc, args, env; fds 0, 1, 2. */
    static final int INVOKE = 1;
    /** front -> server: int32 pid of the process MSG_SPAWN asked for, or -errno. */
    static final int SPAWNED = 2;
    /** front -> server: int32 pid, int32 wait status of a spawned process that ended. */
    static final int CHILD_EXIT = 3;
    /** front -> server: int32 signal the front got while no spawned process ran (stop the command). */
    static final int SIGNAL = 4;
    /** server -> front: program, argc, argv, envc, env, nfd, the nfd target numbers; nfd fds attached. */
    static final int SPAWN = 16;
    /** server -> front: int32 exit code of the command. */
    static final int EXIT = 17;
    /** server -> front: run this invocation in a JVM of its own (the payload says why, for the log). */
    static final int DIRECT = 18;
    /**
     * server -> front: the invocation is taken and runs now. A front whose server ends before this knows that
     * nothing of the command ran, and runs it in a JVM of its own.
     */
    static final int TAKEN = 19;

    /** Largest packet, kind included, either side accepts (the front falls back to the JVM beyond it). */
    static final int MAX = 128 * 1024;

    static Message decode(byte[] packet) {
        if (packet.length < 4) throw new IllegalArgumentException("a message of " + packet.length + " bytes");
        int kind = ByteBuffer.wrap(packet).order(ByteOrder.nativeOrder()).getInt();
        byte[] payload = new byte[packet.length - 4];
        System.arraycopy(packet, 4, payload, 0, payload.length);
        return new Message(kind, payload);
    }

    byte[] encode() {
        return ByteBuffer.allocate(4 + payload.length).order(ByteOrder.nativeOrder()).putInt(kind).put(payload).array();
    }

    static Message ints(int kind, int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.nativeOrder());
        for (int v : values) b.putInt(v);
        return new Message(kind, b.array());
    }

    /** The payload's 32-bit integer at {@code index}. */
    int intAt(int index) {
        if (payload.length < 4 * (index + 1)) throw new IllegalArgumentException("message " + kind + " too short");
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder()).getInt(4 * index);
    }

    static Message strings(int kind, List<String> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String v : values) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
            out.write(0);
        }
        return new Message(kind, out.toByteArray());
    }

    /** The payload as NUL-terminated strings (a last unterminated one is refused). */
    List<String> strings() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start != payload.length) throw new IllegalArgumentException("message " + kind + ": an unterminated string");
        return out;
    }
}
