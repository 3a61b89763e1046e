package runtime.core.security;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles a {@link SeccompProfile} to a classic BPF program for {@code seccomp(SECCOMP_SET_MODE_FILTER)}:
 * check the architecture (another one is killed), refuse x32 system calls on x86_64, then one small block
 * per (rule, system call) that returns the rule's action when the number and all argument conditions
 * match, and the default action at the end. Every jump is forward and short (within one block), so the
 * 8-bit jump offsets of classic BPF always suffice.
 */
public final class SeccompCompiler {
    // Classic BPF opcodes.
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short AND_K = 0x54;
    private static final short RET_K = 0x06;
    // seccomp return values.
    private static final int RET_KILL_PROCESS = 0x80000000;
    private static final int RET_KILL_THREAD = 0x00000000;
    private static final int RET_TRAP = 0x00030000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int RET_LOG = 0x7ffc0000;
    private static final int RET_ALLOW = 0x7fff0000;
    // struct seccomp_data offsets.
    private static final int NR = 0;
    private static final int ARCH = 4;
    private static final int ARGS = 16;
    private static final int X32_BIT = 0x40000000;

    private record Insn(short code, int jt, int jf, int k) {}

    private SeccompCompiler() {}

    /** The program as the kernel's {@code struct sock_filter} array (8 bytes per instruction, host order). */
    public static byte[] compile(SeccompProfile profile, SyscallTable table) {
        List<Insn> p = new ArrayList<>();
        p.add(new Insn(LD_W_ABS, 0, 0, ARCH));
        p.add(new Insn(JEQ_K, 1, 0, table.auditArch()));
        p.add(new Insn(RET_K, 0, 0, RET_KILL_PROCESS));
        p.add(new Insn(LD_W_ABS, 0, 0, NR));
        if (table.arch().equals("x86_64")) {
            p.add(new Insn(JGE_K, 0, 1, X32_BIT));
            p.add(new Insn(RET_K, 0, 0, RET_ERRNO | 38 /* ENOSYS */));
        }
        for (SeccompProfile.Rule rule : profile.rules()) {
            int ret = action(rule.action());
            for (String name : rule.names()) {
                Integer nr = table.number(name).orElse(null);
                if (nr == null) continue; // not a system call on this architecture
                p.addAll(block(nr, rule.conditions(), ret));
            }
        }
        p.add(new Insn(RET_K, 0, 0, action(profile.defaultAction())));
        if (p.size() > 4096) throw new IllegalArgumentException("seccomp profile too large (" + p.size() + " BPF instructions)");
        ByteArrayOutputStream out = new ByteArrayOutputStream(p.size() * 8);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        for (Insn i : p) {
            b.clear();
            b.putShort(i.code).put((byte) i.jt).put((byte) i.jf).putInt(i.k);
            out.writeBytes(b.array());
        }
        return out.toByteArray();
    }

    /**
     * {@code if (nr == N && conditions) return ret;} Conditions that fail jump to a reload of the number
     * at the block's end, where the next block expects it.
     */
    private static List<Insn> block(int nr, List<SeccompProfile.Condition> conditions, int ret) {
        List<Insn> body = new ArrayList<>();
        // Each condition: instructions with a placeholder "fail" jump (jf = -1) patched below.
        for (SeccompProfile.Condition c : conditions) {
            int lo = ARGS + 8 * c.index(); // little-endian: low word first
            int hi = lo + 4;
            switch (c.op()) {
                case "SCMP_CMP_MASKED_EQ" -> {
                    // Both words: a mask with high bits (or a value there) must not be cut to its low half.
                    body.add(new Insn(LD_W_ABS, 0, 0, lo));
                    body.add(new Insn(AND_K, 0, 0, (int) c.value()));
                    body.add(new Insn(JEQ_K, 0, -1, (int) c.valueTwo()));
                    body.add(new Insn(LD_W_ABS, 0, 0, hi));
                    body.add(new Insn(AND_K, 0, 0, (int) (c.value() >>> 32)));
                    body.add(new Insn(JEQ_K, 0, -1, (int) (c.valueTwo() >>> 32)));
                }
                case "SCMP_CMP_EQ" -> {
                    body.add(new Insn(LD_W_ABS, 0, 0, lo));
                    body.add(new Insn(JEQ_K, 0, -1, (int) c.value()));
                    body.add(new Insn(LD_W_ABS, 0, 0, hi));
                    body.add(new Insn(JEQ_K, 0, -1, (int) (c.value() >>> 32)));
                }
                case "SCMP_CMP_NE" -> {
                    // NE holds unless both words are equal: equal low word, then equal high word means fail.
                    body.add(new Insn(LD_W_ABS, 0, 0, lo));
                    body.add(new Insn(JEQ_K, 0, 2, (int) c.value()));
                    body.add(new Insn(LD_W_ABS, 0, 0, hi));
                    body.add(new Insn(JEQ_K, -1, 0, (int) (c.value() >>> 32)));
                }
                default -> throw new IllegalArgumentException("unsupported comparison " + c.op());
            }
        }
        body.add(new Insn(RET_K, 0, 0, ret));
        boolean reload = !conditions.isEmpty();
        if (reload) body.add(new Insn(LD_W_ABS, 0, 0, NR));
        List<Insn> out = new ArrayList<>();
        // Not this call: skip the whole body.
        out.add(new Insn(JEQ_K, 0, body.size(), nr));
        int failTarget = body.size() - 1; // the reload
        for (int i = 0; i < body.size(); i++) {
            Insn in = body.get(i);
            int jt = in.jt == -1 ? failTarget - i - 1 : in.jt;
            int jf = in.jf == -1 ? failTarget - i - 1 : in.jf;
            if (jt > 255 || jf > 255) throw new IllegalArgumentException("seccomp rule too long");
            out.add(new Insn(in.code, jt, jf, in.k));
        }
        return out;
    }

    private static int action(SeccompProfile.Action a) {
        return switch (a.name()) {
            case "SCMP_ACT_ALLOW" -> RET_ALLOW;
            case "SCMP_ACT_ERRNO" -> RET_ERRNO | (a.errno() & 0xffff);
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> RET_KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> RET_KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> RET_TRAP;
            case "SCMP_ACT_LOG" -> RET_LOG;
            default -> throw new IllegalArgumentException("unsupported action " + a.name());
        };
    }
}
