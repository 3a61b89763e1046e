package runtime.core.launch;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import runtime.api.plan.IdMapping;
import runtime.api.plan.SetupOp;

/**
 * Encodes a setup plan in the format strata-helper.c reads: u32 magic, u32 version, u32 step count,
 * then per step u32 opcode, u32 argument count and length-prefixed arguments (host byte order).
 */
public final class PlanEncoder {
    static final int MAGIC = 0x53545241;
    static final int VERSION = 1;

    /** Must match the OP_* constants of strata-helper.c (checked by a test). */
    enum Opcode {
        USERNS(1), UNSHARE(2), MOUNT(3), BIND(4), MKDIRS(5), RUN(6), SYNC(7), PIVOT_ROOT(8), HOSTNAME(9),
        CHDIR(10), EXEC(11), ROOT(12), LOOPBACK_UP(13), DIE_WITH_PARENT(14), PID_NAMESPACE(15), SYMLINK(16), NO_NEW_PRIVS(17), DROP_CAPS(18), SECCOMP(19), JOIN_USERNS(20), START_FUSE(21),
        OCI_PID_NAMESPACE(22), SETNS(23), OPEN_START_FIFO(24), AWAIT_START(25), TERMINAL(26), RLIMIT(27), SET_USER(28),
        SET_CAPS(29), MASK_PATH(30), WRITE_FILE(31), MOUNT_OR_BIND(32), PRESERVE_FDS(33), CONNECT_CONSOLE(34);

        final int code;

        Opcode(int code) {
            this.code = code;
        }
    }

    private PlanEncoder() {}

    public static byte[] encode(List<SetupOp> plan) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        writeInt(out, MAGIC);
        writeInt(out, VERSION);
        writeInt(out, plan.size());
        for (SetupOp op : plan) {
            List<String> args = new ArrayList<>();
            Opcode code = switch (op) {
                case SetupOp.EnterUserNamespace u -> {
                    args.add(Integer.toString(u.otherNamespaces()));
                    args.add(u.newuidmap() == null ? "" : u.newuidmap().toString());
                    args.add(u.newgidmap() == null ? "" : u.newgidmap().toString());
                    args.add(mapText(u.uidMap()));
                    args.add(mapText(u.gidMap()));
                    yield Opcode.USERNS;
                }
                case SetupOp.Unshare u -> {
                    args.add(Integer.toString(u.namespaces()));
                    yield Opcode.UNSHARE;
                }
                case SetupOp.UseRoot r -> {
                    args.add(r.root().toString());
                    yield Opcode.ROOT;
                }
                case SetupOp.Mount m -> {
                    args.add(orEmpty(m.source()));
                    args.add(m.target().toString());
                    args.add(orEmpty(m.fstype()));
                    args.add(Long.toString(m.flags()));
                    args.add(orEmpty(m.data()));
                    yield Opcode.MOUNT;
                }
                case SetupOp.Bind b -> {
                    args.add(b.source().toString());
                    args.add(b.target().toString());
                    args.add(b.readOnly() ? "1" : "0");
                    args.add(b.optional() ? "1" : "0");
                    yield Opcode.BIND;
                }
                case SetupOp.MakeDirectories d -> {
                    args.add(d.path().toString());
                    args.add(Integer.toString(d.mode()));
                    yield Opcode.MKDIRS;
                }
                case SetupOp.RunProgram r -> {
                    args.addAll(r.argv());
                    yield Opcode.RUN;
                }
                case SetupOp.StartFuse f -> {
                    args.add(f.mountpoint().toString());
                    args.add(f.quiet() ? "1" : "0");
                    args.add(Integer.toString(f.timeoutMillis()));
                    args.addAll(f.argv());
                    yield Opcode.START_FUSE;
                }
                case SetupOp.SyncWithParent s -> Opcode.SYNC;
                case SetupOp.LoopbackUp l -> Opcode.LOOPBACK_UP;
                case SetupOp.DieWithParent d -> Opcode.DIE_WITH_PARENT;
                case SetupOp.EnterPidNamespace p -> Opcode.PID_NAMESPACE;
                case SetupOp.NoNewPrivileges n -> Opcode.NO_NEW_PRIVS;
                case SetupOp.JoinUserNamespace j -> {
                    args.add(Long.toString(j.pid()));
                    yield Opcode.JOIN_USERNS;
                }
                case SetupOp.DropCapabilities d -> {
                    d.keep().forEach(c -> args.add(Integer.toString(c)));
                    yield Opcode.DROP_CAPS;
                }
                case SetupOp.Seccomp f -> {
                    args.add(java.util.HexFormat.of().formatHex(f.program()));
                    yield Opcode.SECCOMP;
                }
                case SetupOp.Symlink l -> {
                    args.add(l.target());
                    args.add(l.link().toString());
                    yield Opcode.SYMLINK;
                }
                case SetupOp.PivotRoot p -> {
                    args.add(p.newRoot().toString());
                    yield Opcode.PIVOT_ROOT;
                }
                case SetupOp.SetHostname h -> {
                    args.add(h.hostname());
                    yield Opcode.HOSTNAME;
                }
                case SetupOp.ChangeDirectory c -> {
                    args.add(c.directory().toString());
                    args.add(c.fallback().toString());
                    yield Opcode.CHDIR;
                }
                case SetupOp.OciPidNamespace p -> {
                    args.add(p.join() == null ? "" : p.join().toString());
                    args.add(p.detach() ? "1" : "0");
                    yield Opcode.OCI_PID_NAMESPACE;
                }
                case SetupOp.JoinNamespace j -> {
                    args.add(j.path().toString());
                    args.add(Integer.toString(j.type()));
                    yield Opcode.SETNS;
                }
                case SetupOp.OpenStartFifo f -> {
                    args.add(f.fifo().getParent().toString());
                    args.add(f.fifo().getFileName().toString());
                    yield Opcode.OPEN_START_FIFO;
                }
                case SetupOp.AwaitStart a -> Opcode.AWAIT_START;
                case SetupOp.ConnectConsole c -> {
                    args.add(c.consoleSocket().toString());
                    yield Opcode.CONNECT_CONSOLE;
                }
                case SetupOp.Terminal t -> {
                    args.add(t.ptmx().toString());
                    yield Opcode.TERMINAL;
                }
                case SetupOp.ResourceLimit r -> {
                    args.add(Integer.toString(r.resource()));
                    args.add(Long.toUnsignedString(r.soft()));
                    args.add(Long.toUnsignedString(r.hard()));
                    yield Opcode.RLIMIT;
                }
                case SetupOp.SetUser u -> {
                    args.add(Long.toString(u.uid()));
                    args.add(Long.toString(u.gid()));
                    args.add(u.umask() < 0 ? "" : Integer.toOctalString(u.umask()));
                    u.groups().forEach(g -> args.add(Long.toString(g)));
                    yield Opcode.SET_USER;
                }
                case SetupOp.SetCapabilities c -> {
                    for (List<Integer> set : List.of(c.bounding(), c.effective(), c.permitted(), c.inheritable(), c.ambient())) {
                        args.add(set.stream().map(String::valueOf).collect(Collectors.joining(",")));
                    }
                    yield Opcode.SET_CAPS;
                }
                case SetupOp.MaskPath m -> {
                    args.add(m.path().toString());
                    yield Opcode.MASK_PATH;
                }
                case SetupOp.WriteFile w -> {
                    args.add(w.path().toString());
                    args.add(w.text());
                    yield Opcode.WRITE_FILE;
                }
                case SetupOp.MountOrBind m -> {
                    args.add(orEmpty(m.source()));
                    args.add(m.target().toString());
                    args.add(orEmpty(m.fstype()));
                    args.add(Long.toString(m.flags()));
                    args.add(orEmpty(m.data()));
                    args.add(m.fallback().toString());
                    yield Opcode.MOUNT_OR_BIND;
                }
                case SetupOp.PreserveFds p -> {
                    args.add(Integer.toString(p.count()));
                    yield Opcode.PRESERVE_FDS;
                }
                case SetupOp.Exec e -> {
                    args.add(Integer.toString(e.argv().size()));
                    args.addAll(e.argv());
                    args.addAll(e.environment());
                    yield Opcode.EXEC;
                }
            };
            writeInt(out, code.code);
            writeInt(out, args.size());
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                writeInt(out, bytes.length);
                out.writeBytes(bytes);
            }
        }
        return out.toByteArray();
    }

    private static String mapText(List<IdMapping> map) {
        return map.stream().map(IdMapping::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }
}
