package runtime.core.security;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * System call numbers by name for one architecture, with the audit architecture id seccomp checks.
 * The tables are resources made from Linux's uapi headers (asm/unistd_64.h, asm-generic/unistd.h).
 */
public record SyscallTable(String arch, int auditArch, Map<String, Integer> numbers) {
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    static final int AUDIT_ARCH_AARCH64 = 0xc00000b7;

    public Optional<Integer> number(String name) {
        return Optional.ofNullable(numbers.get(name));
    }

    /** The table of the machine strata runs on. */
    public static SyscallTable host() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> load("x86_64", AUDIT_ARCH_X86_64);
            case "aarch64", "arm64" -> load("aarch64", AUDIT_ARCH_AARCH64);
            default -> throw new IllegalStateException("seccomp filters are not available on " + arch
                    + " yet (run with --seccomp=unconfined)");
        };
    }

    static SyscallTable load(String arch, int audit) {
        Map<String, Integer> numbers = new HashMap<>();
        try (InputStream in = SyscallTable.class.getResourceAsStream("syscalls-" + arch + ".txt")) {
            if (in == null) throw new IllegalStateException("no system call table for " + arch);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                numbers.put(f[0], Integer.parseInt(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new SyscallTable(arch, audit, Map.copyOf(numbers));
    }
}
