package runtime.core.launch;

/**
 * A container could not be started. The message is one line naming the failed step
 * ({@code "mount overlay on /x: Permission denied"}); {@link #exitCode()} follows shell conventions
 * (127 command not found, 126 not executable, 125 any other setup failure).
 */
public final class LaunchException extends Exception {
    private final int exitCode;
    private final int failedStep;

    public LaunchException(String message, int exitCode) {
        this(message, exitCode, -1);
    }

    public LaunchException(String message, int exitCode, int failedStep) {
        super(message);
        this.exitCode = exitCode;
        this.failedStep = failedStep;
    }

    public LaunchException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.failedStep = -1;
    }

    /** The index in the plan of the step that failed, or -1 when the failure was not a step's. */
    public int failedStep() {
        return failedStep;
    }

    public int exitCode() {
        return exitCode;
    }
}
