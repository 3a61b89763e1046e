package runtime.core.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Runs the compiled filters through a classic BPF interpreter over {@code struct seccomp_data} (nr, arch,
 * instruction_pointer, args[6] as 64-bit words), so a change to the profile or the compiler cannot quietly
 * drop a rule: every decision below is the kernel's reading of the program, not of the profile.
 */
class SeccompCompilerTest {
    private static final int ALLOW = 0x7fff0000, ERRNO = 0x00050000, KILL_PROCESS = 0x80000000;
    private static final int EPERM = ERRNO | 1, ENOSYS = ERRNO | 38;

    private static final SyscallTable X86 = SyscallTable.load("x86_64", SyscallTable.AUDIT_ARCH_X86_64);
    private static final SyscallTable ARM = SyscallTable.load("aarch64", SyscallTable.AUDIT_ARCH_AARCH64);

    /** A classic BPF machine with the instructions a seccomp filter may use (the kernel's checker allows no others). */
    static int run(byte[] program, int arch, int nr, long... args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch).putLong(8, 0x401000L);
        for (int i = 0; i < args.length; i++) data.putLong(16 + 8 * i, args[i]);
        ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.nativeOrder());
        int n = program.length / 8;
        assertTrue(n <= 4096, "the kernel takes at most 4096 instructions");
        int a = 0, x = 0, pc = 0;
        int[] mem = new int[16];
        for (int steps = 0; steps <= n; steps++) {
            assertTrue(pc >= 0 && pc < n, "jump out of the program at " + pc);
            int op = code.getShort(pc * 8) & 0xffff, jt = code.get(pc * 8 + 2) & 0xff, jf = code.get(pc * 8 + 3) & 0xff;
            int k = code.getInt(pc * 8 + 4);
            pc++;
            switch (op) {
                case 0x20 -> { // ld [k]
                    assertTrue(k >= 0 && k <= 60 && k % 4 == 0, "load outside seccomp_data: " + k);
                    a = data.getInt(k);
                }
                case 0x00 -> a = k; // ld #k
                case 0x01 -> x = k; // ldx #k
                case 0x02 -> mem[k] = a; // st
                case 0x60 -> a = mem[k]; // ld M[k]
                case 0x54 -> a &= k; // and #k
                case 0x44 -> a |= k; // or #k
                case 0x05 -> pc += k; // ja
                case 0x15 -> pc += a == k ? jt : jf; // jeq #k
                case 0x25 -> pc += Integer.compareUnsigned(a, k) > 0 ? jt : jf; // jgt #k
                case 0x35 -> pc += Integer.compareUnsigned(a, k) >= 0 ? jt : jf; // jge #k
                case 0x45 -> pc += (a & k) != 0 ? jt : jf; // jset #k
                case 0x06 -> { // ret #k
                    return k;
                }
                case 0x16 -> { // ret a
                    return a;
                }
                default -> throw new AssertionError("opcode 0x" + Integer.toHexString(op) + " at " + (pc - 1));
            }
        }
        throw new AssertionError("the program did not return");
    }

    private static int decide(SyscallTable table, String call, long... args) {
        byte[] program = SeccompCompiler.compile(SeccompProfile.defaults(), table);
        return run(program, table.auditArch(), table.number(call).orElseThrow(), args);
    }

    private static final long SIGCHLD = 17;
    private static final Map<String, Long> NAMESPACE_FLAGS = Map.of("CLONE_NEWNS", 0x00020000L, "CLONE_NEWCGROUP", 0x02000000L,
            "CLONE_NEWUTS", 0x04000000L, "CLONE_NEWIPC", 0x08000000L, "CLONE_NEWUSER", 0x10000000L, "CLONE_NEWPID", 0x20000000L,
            "CLONE_NEWNET", 0x40000000L);

    @Test
    void cloneMakesProcessesAndThreadsButNoNamespace() {
        for (SyscallTable t : List.of(X86, ARM)) {
            // glibc's fork and pthread_create
            assertEquals(ALLOW, decide(t, "clone", SIGCHLD | 0x01200000L), "fork on " + t.arch());
            assertEquals(ALLOW, decide(t, "clone", 0x003d0f00L), "a thread on " + t.arch());
            NAMESPACE_FLAGS.forEach((name, flag) -> {
                assertEquals(EPERM, decide(t, "clone", flag | SIGCHLD), name + " on " + t.arch());
                // high bits the kernel ignores do not hide the flag
                assertEquals(EPERM, decide(t, "clone", 0xffffffff00000000L | flag | SIGCHLD), name + " with high bits on " + t.arch());
            });
        }
    }

    @Test
    void clone3IsNotThereSoLibcFallsBackToClone() {
        for (SyscallTable t : List.of(X86, ARM)) assertEquals(ENOSYS, decide(t, "clone3", 0L, 88L), t.arch());
    }

    @Test
    void callsThatReachPastTheContainerAreRefused() {
        List<String> refused = List.of("unshare", "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
                "userfaultfd", "mount", "umount2", "pivot_root", "kexec_load", "kexec_file_load", "init_module", "finit_module",
                "delete_module", "open_by_handle_at", "ptrace", "fsopen", "fsmount", "move_mount", "open_tree");
        for (SyscallTable t : List.of(X86, ARM)) {
            for (String call : refused) assertEquals(EPERM, decide(t, call, 0L), call + " on " + t.arch());
        }
    }

    @Test
    void terminalInjectionIoctlsAreRefusedWhateverTheHighBits() {
        for (SyscallTable t : List.of(X86, ARM)) {
            assertEquals(EPERM, decide(t, "ioctl", 0, 0x5412), "TIOCSTI");
            assertEquals(EPERM, decide(t, "ioctl", 0, 0x541C), "TIOCLINUX");
            // the kernel takes the request as unsigned int: the upper word must not let it through
            assertEquals(EPERM, decide(t, "ioctl", 0, 0x1_0000_5412L), "TIOCSTI with high bits");
            assertEquals(ALLOW, decide(t, "ioctl", 0, 0x5401), "TCGETS");
            assertEquals(ALLOW, decide(t, "ioctl", 0, 0x5413), "TIOCGWINSZ");
        }
    }

    @Test
    void personalityOnlyForHarmlessPersonas() {
        assertEquals(ALLOW, decide(X86, "personality", 0L));
        assertEquals(ALLOW, decide(X86, "personality", 0xffffffffL), "the query");
        assertEquals(EPERM, decide(X86, "personality", 0x0400000L), "READ_IMPLIES_EXEC");
        assertEquals(EPERM, decide(X86, "personality", 0x0040000L), "ADDR_NO_RANDOMIZE");
    }

    @Test
    void ordinaryCallsAreAllowed() {
        for (String call : List.of("read", "write", "openat", "execve", "getpid", "wait4", "socket")) {
            assertEquals(ALLOW, decide(X86, call, 0L), call);
        }
    }

    @Test
    void anotherArchitectureIsKilledAndX32CallsFail() {
        byte[] program = SeccompCompiler.compile(SeccompProfile.defaults(), X86);
        assertEquals(KILL_PROCESS, run(program, 0x40000003 /* i386 */, 39));
        assertEquals(ENOSYS, run(program, X86.auditArch(), 0x40000000 | 39));
    }

    @Test
    void maskedEqualityComparesAllSixtyFourBits() {
        SeccompProfile profile = new SeccompProfile(new SeccompProfile.Action("SCMP_ACT_ALLOW", 0), List.of(
                new SeccompProfile.Rule(List.of("getpid"), new SeccompProfile.Action("SCMP_ACT_ERRNO", 1),
                        List.of(new SeccompProfile.Condition(0, "SCMP_CMP_MASKED_EQ", 0xff_0000_00ffL, 0x01_0000_0002L)))));
        byte[] program = SeccompCompiler.compile(profile, X86);
        int getpid = X86.number("getpid").orElseThrow();
        assertEquals(EPERM, run(program, X86.auditArch(), getpid, 0x01_0000_0002L), "both words match");
        assertEquals(EPERM, run(program, X86.auditArch(), getpid, 0x01_1234_5602L), "bits outside the mask do not count");
        assertEquals(ALLOW, run(program, X86.auditArch(), getpid, 0x02L), "the high word differs");
        assertEquals(ALLOW, run(program, X86.auditArch(), getpid, 0x01_0000_0003L), "the low word differs");
    }
}
