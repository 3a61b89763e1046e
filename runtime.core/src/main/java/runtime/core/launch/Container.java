package runtime.core.launch;

import runtime.api.net.NetworkAttachment;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.WaitStatus;

/** A started container process (the helper became its command by exec). */
public final class Container {
    private final Spawner.Child process;
    private final long pid;
    private final NetworkAttachment network;
    private final Timings timings;
    private volatile WaitStatus status;
    private final java.util.List<Runnable> onExit = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile runtime.api.fs.FilesystemDriver filesystem;

    Container(Spawner.Child process, NetworkAttachment network, Timings timings) {
        this.process = process;
        this.pid = process.pid();
        this.network = network;
        this.timings = timings;
    }

    public long pid() {
        return pid;
    }

    private volatile String id;

    /** The registry id of an isolated container (strata ps), or null. */
    public String id() {
        return id;
    }

    public void identify(String registryId) {
        this.id = registryId;
    }

    /** The filesystem driver that mounted the container's root, when the engine started it. */
    public java.util.Optional<runtime.api.fs.FilesystemDriver> filesystem() {
        return java.util.Optional.ofNullable(filesystem);
    }

    /** Records the driver that mounted the root (set by the engine, which chose it). */
    public Container filesystem(runtime.api.fs.FilesystemDriver driver) {
        this.filesystem = driver;
        return this;
    }

    public Timings timings() {
        return timings;
    }

    /** Waits for the process to end, releases its network, and returns how it ended. */
    public WaitStatus waitFor() throws ErrnoException {
        WaitStatus s = status;
        if (s != null) return s;
        synchronized (this) {
            if (status == null) {
                try {
                    status = process.waitFor();
                } finally {
                    network.close();
                    onExit.forEach(Runnable::run);
                }
            }
            return status;
        }
    }

    /** Runs {@code action} once the container has ended and been waited for (cleanup of its records). */
    public void onExit(Runnable action) {
        onExit.add(action);
    }

    /** Sends a signal unless the process has already been reaped. */
    public void signal(int signal) throws ErrnoException {
        if (status == null) process.signal(signal);
    }
}
