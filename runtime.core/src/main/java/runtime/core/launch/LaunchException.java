package runtime.core.launch;

/**
 * A container could not be started. The message is one line naming the failed step
 * ({@code "mount overlay on /x: Permission denied"}); {@link #exitCode()} follows shell conventions
 * (127 command not found, 126 not executable, 125 any other setup failure).
 */
public final class LaunchException extends Exception {
    private final int exitCode;

    public LaunchException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public LaunchException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
