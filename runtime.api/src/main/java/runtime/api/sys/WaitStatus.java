package runtime.api.sys;

/** Decodes a {@code waitpid} status the way a shell reports it. */
public record WaitStatus(int raw) {
    public boolean exited() {
        return (raw & 0x7f) == 0;
    }

    public int exitCode() {
        return (raw >> 8) & 0xff;
    }

    public boolean signaled() {
        return ((raw & 0x7f) + 1) >> 1 > 0 && !exited() && (raw & 0xff) != 0x7f;
    }

    public int signal() {
        return raw & 0x7f;
    }

    /** The shell's {@code $?}: the exit code, or 128 + the signal that killed it. */
    public int shellCode() {
        return exited() ? exitCode() : 128 + signal();
    }
}
