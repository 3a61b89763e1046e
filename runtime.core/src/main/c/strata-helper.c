/*
 * strata-helper: executes a container setup plan computed by strata's Java side.
 *
 * Why this exists: a JVM is multithreaded, so it cannot unshare(CLONE_NEWUSER), and Java code run in a
 * forked child can hang on locks inherited from other JVM threads. So the window between process start
 * and the container's exec belongs to this small single-threaded program. It makes no decisions: Java
 * computes every step (namespaces, id maps, mounts, pivot_root, exec) and this program performs them in
 * order. When a step fails, it reports the step's index and errno on the status descriptor and exits;
 * Java turns that into one readable line.
 *
 * Descriptors, set up by the spawner:
 *   3  the plan (read to end of file, then closed)
 *   4  status reports to strata (close-on-exec, so a successful exec reads as end of file)
 *   5  optional sync channel: strata writes one byte to let a SYNC step continue
 *
 * Plan encoding (host byte order): u32 magic, u32 version, u32 step count, then per step
 * u32 opcode, u32 argument count, and each argument as u32 length + bytes. Numbers are decimal text.
 * Opcodes must match runtime.core's PlanEncoder.Opcode (a unit test compares them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/un.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLAN_MAGIC 0x53545241u /* "STRA" */
#define PLAN_VERSION 1u

#define OP_USERNS 1
#define OP_UNSHARE 2
#define OP_MOUNT 3
#define OP_BIND 4
#define OP_MKDIRS 5
#define OP_RUN 6
#define OP_SYNC 7
#define OP_PIVOT_ROOT 8
#define OP_HOSTNAME 9
#define OP_CHDIR 10
#define OP_EXEC 11
#define OP_ROOT 12
#define OP_LOOPBACK_UP 13
#define OP_DIE_WITH_PARENT 14
#define OP_PID_NAMESPACE 15
#define OP_SYMLINK 16
#define OP_NO_NEW_PRIVS 17
#define OP_DROP_CAPS 18
#define OP_SECCOMP 19
#define OP_JOIN_USERNS 20
#define OP_START_FUSE 21
#define OP_OCI_PID_NAMESPACE 22
#define OP_SETNS 23
#define OP_OPEN_START_FIFO 24
#define OP_AWAIT_START 25
#define OP_TERMINAL 26
#define OP_RLIMIT 27
#define OP_SET_USER 28
#define OP_SET_CAPS 29
#define OP_MASK_PATH 30
#define OP_WRITE_FILE 31
#define OP_MOUNT_OR_BIND 32
#define OP_PRESERVE_FDS 33
#define OP_CONNECT_CONSOLE 34

#define FD_PLAN 3
#define FD_STATUS 4
#define FD_SYNC 5

/* Status record kinds, matching runtime.core's HelperChannel. */
#define REPORT_FAILED 1
#define REPORT_READY 2
#define REPORT_PID 3     /* detail: the host pid of the process that will exec the command */
#define REPORT_CREATED 4 /* set up and waiting for `strata oci start` */

struct report {
    uint32_t kind;
    int32_t step;
    int32_t error;  /* errno, or 0 when the failure has no errno */
    int32_t detail; /* e.g. the wait status of a program that failed */
};

struct step {
    uint32_t opcode;
    uint32_t argc;
    char **argv; /* NUL-terminated copies */
};

static int current_step = -1;
static pid_t initial_parent; /* strata's pid, for OP_DIE_WITH_PARENT */
static int root_fd = -1; /* set by OP_ROOT: relative targets resolve inside it */
static int in_pid_namespace; /* set by OP_PID_NAMESPACE: exec forks and this process stays as init */
static int status_fd = FD_STATUS; /* moved by OP_PRESERVE_FDS; -1 once strata stopped listening */
/* -1 once used, or from the start when the plan has no sync step: descriptor 5 is then not ours (nothing,
 * or one the JVM leaked), and its number may be reused by a pipe of our own that must not be closed as it. */
static int sync_fd = FD_SYNC;
static int start_dir_fd = -1;     /* OP_OPEN_START_FIFO: the directory holding the start fifo */
static const char *start_fifo_name;
static int kept_fds;              /* descriptors 6.. passed for OP_PRESERVE_FDS */
extern char **environ;

static void report(uint32_t kind, int32_t error, int32_t detail) {
    struct report r = {kind, current_step, error, detail};
    if (status_fd < 0) {
        /* strata has gone (an OCI container waiting for start): the only witness left is stderr. */
        if (kind == REPORT_FAILED) dprintf(2, "strata-helper: setup step %d failed: %s\n", current_step, strerror(error));
        return;
    }
    ssize_t ignored = write(status_fd, &r, sizeof r);
    (void) ignored;
}

static _Noreturn void fail(int error, int detail) {
    report(REPORT_FAILED, error, detail);
    _exit(error == ENOENT && detail == -2 ? 127 : 125);
}

/* Closes our /proc/PID/{exe,mem,fd} to the container's processes (see run_from_sealed_copy). */
static void stay_undumpable(void) {
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail(errno, 0);
}

static int joined_running_container; /* OP_OCI_PID_NAMESPACE joined one: its processes can see us from now on */

/*
 * Opens our /proc/PID to processes of our user (and /proc/self to us) while the host must act on it: rootless,
 * only a dumpable process may write its own uid_map, be newuidmap's target, or have its namespaces opened by
 * slirp4netns, nsenter and hooks at a sync step. Only before any process of the container can see us.
 */
static void reachable_by_host(int reachable) {
    if (joined_running_container) return;
    if (prctl(PR_SET_DUMPABLE, reachable, 0, 0, 0) != 0) fail(errno, 0);
}

/* Reads descriptor fd to end of file into one malloc'd buffer (a plan is a few KiB: one or two reads). */
static char *read_all(int fd, size_t *size) {
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (!buf) fail(ENOMEM, 0);
    for (;;) {
        if (len == cap) {
            char *bigger = cap > (64u << 20) ? NULL : realloc(buf, cap *= 2);
            if (!bigger) fail(ENOMEM, 0);
            buf = bigger;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(errno, 0);
        if (n == 0) break;
        len += (size_t) n;
    }
    *size = len;
    return buf;
}

/* The next u32 of the plan at *pos; a plan that ends early is malformed. */
static uint32_t take_u32(const char *buf, size_t size, size_t *pos) {
    uint32_t v;
    if (size - *pos < sizeof v) fail(EPROTO, 0);
    memcpy(&v, buf + *pos, sizeof v);
    *pos += sizeof v;
    return v;
}

/*
 * How many arguments each operation takes, at least and at most (-1: no limit), so that a malformed plan
 * fails before any step runs, with the step named, instead of reading past an argument list. Indexed by
 * opcode; opcodes without an entry are unknown.
 */
#define ARGS(lo, hi) {1, lo, hi}
static const struct { int known, min, max; } arity[] = {
    [OP_USERNS] = ARGS(5, 5), [OP_UNSHARE] = ARGS(1, 1), [OP_MOUNT] = ARGS(5, 5), [OP_BIND] = ARGS(4, 4), [OP_MKDIRS] = ARGS(2, 2),
    [OP_RUN] = ARGS(1, -1), [OP_SYNC] = ARGS(0, 0), [OP_PIVOT_ROOT] = ARGS(1, 1), [OP_HOSTNAME] = ARGS(1, 1), [OP_CHDIR] = ARGS(2, 2),
    [OP_EXEC] = ARGS(2, -1), [OP_ROOT] = ARGS(1, 1), [OP_LOOPBACK_UP] = ARGS(0, 0), [OP_DIE_WITH_PARENT] = ARGS(0, 0),
    [OP_PID_NAMESPACE] = ARGS(0, 0), [OP_SYMLINK] = ARGS(2, 2), [OP_NO_NEW_PRIVS] = ARGS(0, 0), [OP_DROP_CAPS] = ARGS(0, -1),
    [OP_SECCOMP] = ARGS(1, 1), [OP_JOIN_USERNS] = ARGS(1, 1), [OP_START_FUSE] = ARGS(4, -1), [OP_OCI_PID_NAMESPACE] = ARGS(2, 2),
    [OP_SETNS] = ARGS(2, 2), [OP_OPEN_START_FIFO] = ARGS(2, 2), [OP_AWAIT_START] = ARGS(0, 0), [OP_TERMINAL] = ARGS(1, 1),
    [OP_RLIMIT] = ARGS(3, 3), [OP_SET_USER] = ARGS(3, -1), [OP_SET_CAPS] = ARGS(5, 5), [OP_MASK_PATH] = ARGS(1, 1),
    [OP_WRITE_FILE] = ARGS(2, 2), [OP_MOUNT_OR_BIND] = ARGS(6, 6), [OP_PRESERVE_FDS] = ARGS(1, 1), [OP_CONNECT_CONSOLE] = ARGS(1, 1),
};

static int well_formed(const struct step *s) {
    if (s->opcode >= sizeof arity / sizeof *arity || !arity[s->opcode].known) return 0;
    int min = arity[s->opcode].min, max = arity[s->opcode].max;
    if ((int) s->argc < min || (max >= 0 && (int) s->argc > max)) return 0;
    /* exec: the argument count, that many arguments (at least the program), then the environment. */
    if (s->opcode == OP_EXEC) {
        unsigned long argc = strtoul(s->argv[0], NULL, 10);
        return argc >= 1 && argc <= s->argc - 1;
    }
    return 1;
}

/*
 * Reads the whole plan in one go and parses it in place: each argument moves onto its own length field
 * (4 bytes back) and gets its NUL where its last 4 bytes were, so no argument is copied twice.
 */
static struct step *read_plan(uint32_t *count) {
    size_t size, pos = 0;
    char *buf = read_all(FD_PLAN, &size);
    close(FD_PLAN);
    if (take_u32(buf, size, &pos) != PLAN_MAGIC || take_u32(buf, size, &pos) != PLAN_VERSION) fail(EPROTO, 0);
    *count = take_u32(buf, size, &pos);
    if (*count > size / 8) fail(EPROTO, 0); /* every step takes 8 bytes at least */
    struct step *steps = calloc(*count, sizeof *steps);
    if (!steps) fail(ENOMEM, 0);
    for (uint32_t i = 0; i < *count; i++) {
        current_step = (int) i;
        steps[i].opcode = take_u32(buf, size, &pos);
        steps[i].argc = take_u32(buf, size, &pos);
        if (steps[i].argc > (size - pos) / 4) fail(EPROTO, 0);
        steps[i].argv = calloc(steps[i].argc + 1, sizeof(char *));
        if (!steps[i].argv) fail(ENOMEM, 0);
        for (uint32_t a = 0; a < steps[i].argc; a++) {
            size_t at = pos;
            uint32_t len = take_u32(buf, size, &pos);
            if (len > size - pos) fail(EPROTO, 0);
            memmove(buf + at, buf + pos, len);
            buf[at + len] = '\0';
            steps[i].argv[a] = buf + at;
            pos += len;
        }
        if (!well_formed(&steps[i])) fail(EPROTO, 0);
    }
    current_step = -1;
    if (pos != size) fail(EPROTO, 0);
    return steps;
}

static unsigned long number(const char *s) {
    return strtoul(s, NULL, 10);
}

static const char *or_null(const char *s) {
    return *s ? s : NULL;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t len = (ssize_t) strlen(text);
    ssize_t n = write(fd, text, (size_t) len);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == len ? 0 : -1;
}

/* Runs argv and waits; returns its wait status, or -1 with errno if it could not start. */
static int run_and_wait(char **argv, int stdout_to_stderr) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        if (stdout_to_stderr) dup2(2, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

/*
 * The FUSE daemon's keeper, a forked copy of this process (no exec, so it is tiny and never changes
 * credentials, which would clear a parent-death signal: unionfs-fuse does change them). It gets SIGTERM
 * when its parent, the container's process (this helper after exec), exits; then it stops the daemon
 * (SIGTERM, SIGKILL after 2 s) and exits. It also exits, with the daemon's status, when the daemon does.
 */
static _Noreturn void keep_fuse_daemon(pid_t container, char **argv, int quiet) {
    stay_undumpable();
    /* Not ours to hold: the status pipe (strata reads it to end of file) and the sync pipe. */
    syscall(SYS_close_range, 3, ~0U, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    setsid(); /* a terminal's Ctrl-C is for the command, not for its filesystem */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != container) _exit(126);
    pid_t daemon = fork();
    if (daemon < 0) _exit(126);
    if (daemon == 0) {
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        /*
         * The daemon gets a mount namespace of its own, a copy of the container's as it is now. In the
         * container's, pivot_root would move a process whose root is the old root into the new one (the
         * daemon's own mount: it would resolve its paths through itself and deadlock), and detaching the
         * old root would take /proc and the store's mounts from under it. The mountpoint's parent is
         * shared (start_fuse), so the daemon's mount there shows up in the container's namespace too.
         */
        if (unshare(CLONE_NEWNS) != 0) _exit(126);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            if (quiet) dup2(devnull, 2);
        }
        dup2(2, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);
        int status;
        if (sig == SIGCHLD && waitpid(daemon, &status, WNOHANG) == daemon) {
            if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
            _exit(128 + WTERMSIG(status));
        }
        if (sig == SIGTERM) {
            kill(daemon, SIGTERM);
            struct timespec pause = {0, 1000000};
            for (int i = 0; i < 2000; i++) {
                if (waitpid(daemon, &status, WNOHANG) == daemon) _exit(0);
                nanosleep(&pause, NULL);
            }
            kill(daemon, SIGKILL);
            waitpid(daemon, &status, 0);
            _exit(0);
        }
    }
}

/*
 * OP_START_FUSE: mountpoint, quiet, timeout in ms, argv... Starts the FUSE program in the foreground
 * under a keeper process (above) that is our child: so the daemon ends when the container's process
 * does. A daemonized FUSE program would keep the mount namespace alive by living in it and never see
 * its mount go. Then waits until the mountpoint's device differs from its parent directory's.
 */
static void start_fuse(struct step *s) {
    const char *mountpoint = s->argv[0];
    int quiet = s->argv[1][0] == '1';
    long timeout_ms = (long) number(s->argv[2]);
    char **argv = s->argv + 3;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s/..", mountpoint);
    struct stat before;
    if (stat(parent, &before) != 0) fail(errno, 0);
    /*
     * Make the mountpoint's parent a shared mount, so the daemon's mount, made in its own copy of this
     * mount namespace (see keep_fuse_daemon), propagates here; afterwards everything below the parent
     * is made private again (pivot_root refuses shared mounts, and nothing else should propagate).
     */
    if (mount(parent, parent, NULL, MS_BIND, NULL) != 0) fail(errno, 0);
    if (mount(NULL, parent, NULL, MS_SHARED, NULL) != 0) fail(errno, 0);
    pid_t self = getpid();
    pid_t keeper = fork();
    if (keeper < 0) fail(errno, 0);
    if (keeper == 0) keep_fuse_daemon(self, argv, quiet);
    struct timespec pause = {0, 1000000}; /* 1 ms: fuse-overlayfs mounts in a few */
    for (long waited = 0;; waited++) {
        struct stat now;
        if (stat(mountpoint, &now) == 0 && now.st_dev != before.st_dev) {
            if (mount(NULL, parent, NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail(errno, 0);
            return;
        }
        int status;
        if (waitpid(keeper, &status, WNOHANG) == keeper) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 127) fail(ENOENT, 0);
            fail(0, status);
        }
        if (waited >= timeout_ms) {
            kill(keeper, SIGTERM);
            waitpid(keeper, &status, 0);
            fail(ETIMEDOUT, 0);
        }
        nanosleep(&pause, NULL);
    }
}

/*
 * newuidmap/newgidmap must run outside the new user namespace (a setuid program does not gain
 * privilege inside it), so fork them before unsharing; they wait on a pipe until the namespace exists.
 */
static pid_t fork_mapper(int gate, const char *tool, pid_t target, char *map, const char *map_file) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    char go;
    if (read(gate, &go, 1) != 1) _exit(1);
    if (!*tool) {
        /* No tool, as root: write the map ourselves from outside, where CAP_SETUID holds (as runc does). */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int) target, map_file);
        _exit(write_file(path, map) == 0 ? 0 : 1);
    }
    char *args[64];
    int n = 0;
    char pidtext[16];
    snprintf(pidtext, sizeof pidtext, "%d", (int) target);
    args[n++] = (char *) tool;
    args[n++] = pidtext;
    for (char *tok = strtok(map, " \n"); tok && n < 62; tok = strtok(NULL, " \n")) args[n++] = tok;
    args[n] = NULL;
    execv(tool, args);
    _exit(127);
}

static void map_ids_and_enter(struct step *s) {
    int flags = (int) number(s->argv[0]) | CLONE_NEWUSER;
    const char *newuidmap = s->argv[1], *newgidmap = s->argv[2];
    char *uidmap = s->argv[3], *gidmap = s->argv[4];
    /* As root, no tool: maps wider than one id are written from outside (inside, CAP_SETUID does not
     * reach the parent namespace, and newuidmap wants /etc/subuid entries root may not have). */
    if (*newuidmap || geteuid() == 0) {
        int gate[2];
        if (pipe2(gate, O_CLOEXEC) != 0) fail(errno, 0);
        pid_t self = getpid();
        pid_t uid_pid = fork_mapper(gate[0], newuidmap, self, uidmap, "uid_map");
        pid_t gid_pid = fork_mapper(gate[0], newgidmap, self, gidmap, "gid_map");
        if (uid_pid < 0 || gid_pid < 0) fail(errno, 0);
        close(gate[0]);
        int rc = unshare(flags);
        int saved = errno;
        if (write(gate[1], rc == 0 ? "gg" : "", rc == 0 ? 2 : 0) < 0) {}
        close(gate[1]);
        int st1, st2;
        waitpid(uid_pid, &st1, 0);
        waitpid(gid_pid, &st2, 0);
        if (rc != 0) fail(saved, 0);
        if (st1 != 0) fail(0, st1);
        if (st2 != 0) fail(0, st2);
        if (setgroups(0, NULL) != 0) fail(errno, 0);
    } else {
        if (unshare(flags) != 0) fail(errno, 0);
        if (write_file("/proc/self/setgroups", "deny") != 0) fail(errno, 0);
        if (write_file("/proc/self/uid_map", uidmap) != 0) fail(errno, 0);
        if (write_file("/proc/self/gid_map", gidmap) != 0) fail(errno, 0);
    }
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail(errno, 0);
}

static void enter_user_namespace(struct step *s) {
    reachable_by_host(1);
    map_ids_and_enter(s);
    reachable_by_host(0);
}

/* Opens path (absolute: as is; relative: inside root_fd, never escaping it) as an O_PATH descriptor. */
static int open_target(const char *path, int flags) {
    if (path[0] == '/' || root_fd < 0) return open(path, O_PATH | O_CLOEXEC | flags);
    struct open_how how = {.flags = O_PATH | O_CLOEXEC | (uint64_t) flags, .resolve = RESOLVE_IN_ROOT};
    return (int) syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

/* mkdir -p for path, inside the root when relative. Returns an O_PATH fd of the directory. */
static int make_directories(const char *path, mode_t mode) {
    int fd = open_target(path, O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT) return fd;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    const char *name = path;
    int dirfd;
    if (slash) {
        *slash = '\0';
        name = slash + 1;
        dirfd = make_directories(*parent ? parent : "/", mode);
    } else {
        dirfd = root_fd >= 0 ? dup(root_fd) : open(".", O_PATH | O_CLOEXEC);
    }
    if (dirfd < 0) return -1;
    if (mkdirat(dirfd, name, mode) != 0 && errno != EEXIST) {
        int saved = errno;
        close(dirfd);
        errno = saved;
        return -1;
    }
    close(dirfd);
    return open_target(path, O_DIRECTORY);
}

/*
 * Opens (making it if needed) the directory that will hold path's last component, resolved like
 * open_target, as a real directory descriptor for the *at() calls; *name points into path.
 */
static int open_parent(const char *path, const char **name) {
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    int dirfd;
    if (slash) {
        *slash = '\0';
        *name = path + (slash - parent) + 1;
        dirfd = make_directories(*parent ? parent : "/", 0755);
    } else {
        *name = path;
        dirfd = root_fd >= 0 ? dup(root_fd) : open(".", O_PATH | O_CLOEXEC);
    }
    if (dirfd < 0) return -1;
    char real[64];
    snprintf(real, sizeof real, "/proc/self/fd/%d", dirfd);
    int dir = open(real, O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    close(dirfd);
    errno = saved;
    return dir;
}

/* Makes sure a mount point for a file exists: an empty regular file, created inside the root. */
static int make_file(const char *path) {
    int fd = open_target(path, 0);
    if (fd >= 0 || errno != ENOENT) return fd;
    const char *name;
    int dir = open_parent(path, &name);
    if (dir < 0) return -1;
    int file = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    close(dir);
    if (file < 0 && errno != EEXIST) return -1;
    if (file >= 0) close(file);
    return open_target(path, 0);
}

static unsigned long locked_flags(const char *path) {
    struct statvfs sv;
    if (statvfs(path, &sv) != 0) return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

static void do_mount(struct step *s) {
    const char *target = s->argv[1];
    int fd = open_target(target, 0);
    if (fd < 0) fail(errno, 0);
    char where[64];
    snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
    unsigned long flags = number(s->argv[3]);
    /* A bind remount keeps what it cannot clear (a user namespace may not drop nosuid/nodev it inherited). */
    if ((flags & (MS_REMOUNT | MS_BIND)) == (MS_REMOUNT | MS_BIND)) flags |= locked_flags(where);
    int rc = mount(or_null(s->argv[0]), where, or_null(s->argv[2]), flags, or_null(s->argv[4]));
    int saved = errno;
    close(fd);
    if (rc != 0) fail(saved, 0);
}

/*
 * Makes the recursive bind now at target read-only, with every mount under it: a remount changes only
 * the top one, and a host /sys bound read-only kept writable cgroup trees below. mount_setattr (Linux
 * 5.12) does the whole tree at once; before it, the top mount's remount is all there is.
 */
static void make_read_only(const char *target) {
    /* Reopen: a descriptor taken before the bind still names the covered mount point, not the new mount. */
    int fd = open_target(target, 0);
    if (fd < 0) fail(errno, 0);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
        if (errno != ENOSYS) fail(errno, 0);
        char where[64];
        snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
        if (mount(NULL, where, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(where), NULL) != 0) fail(errno, 0);
    }
    close(fd);
}

static void do_bind(struct step *s) {
    const char *source = s->argv[0], *target = s->argv[1];
    int readonly = s->argv[2][0] == '1', optional = s->argv[3][0] == '1';
    struct stat st;
    if (stat(source, &st) != 0) {
        if (optional && (errno == ENOENT || errno == EACCES)) return;
        fail(errno, 0);
    }
    int fd = S_ISDIR(st.st_mode) ? make_directories(target, 0755) : make_file(target);
    if (fd < 0) fail(errno, 0);
    char where[64];
    snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
    if (mount(source, where, NULL, MS_BIND | MS_REC, NULL) != 0) fail(errno, 0);
    close(fd);
    if (readonly) make_read_only(target);
}

static void pivot_root_to(const char *newroot) {
    if (chdir(newroot) != 0) fail(errno, 0);
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail(errno, 0);
    if (umount2(".", MNT_DETACH) != 0) fail(errno, 0);
    if (chdir("/") != 0) fail(errno, 0);
    if (root_fd >= 0) {
        close(root_fd);
        root_fd = -1;
    }
}

/* Our pid as strata sees it: in a new pid namespace getpid() says 1, but /proc is still the host's. */
static pid_t host_pid(void) {
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    if (n <= 0) return getpid();
    buf[n] = '\0';
    return (pid_t) strtol(buf, NULL, 10);
}

static void wait_for_parent(void) {
    reachable_by_host(1);
    report(REPORT_READY, 0, (int32_t) host_pid());
    char go;
    ssize_t n;
    do n = read(sync_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) fail(n < 0 ? errno : ECANCELED, 0);
    close(sync_fd);
    sync_fd = -1;
    reachable_by_host(0);
}

static void loopback_up(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) fail(errno, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) fail(errno, 0);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) fail(errno, 0);
    close(sock);
}

/*
 * Waits for child and mirrors its end: exits with its code, or 128+N when signal N killed it. Every
 * other signal received is passed on to it. Used by the relay outside a pid namespace (strata waits for
 * that one) and by init (pid 1) inside, which also reaps orphans: when pid 1 exits the kernel kills the
 * rest of the namespace. Signals must be blocked before the fork that made child.
 */
static _Noreturn void supervise(pid_t child, int terminal_signals_to_group) {
    stay_undumpable(); /* a credential change since start may have made it dumpable (fs.suid_dumpable=1) */
    close(status_fd);
    if (sync_fd >= 0) close(sync_fd);
    sync_fd = -1;
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            /* What a terminal sends its foreground group goes to the command's group, its children too. */
            int group = terminal_signals_to_group && (sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH);
            if (!group || kill(-child, sig) != 0) kill(child, sig);
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == child) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
}

/* Forks with all signals blocked in the parent (for supervise); the child gets its mask back. */
static pid_t fork_supervised(sigset_t *saved) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, saved);
    pid_t pid = fork();
    if (pid == 0) sigprocmask(SIG_SETMASK, saved, NULL);
    return pid;
}

/*
 * The relay (this process, the one strata started, waits for and signals) stays outside; its child
 * becomes the namespace's init. A SIGKILL to the relay cannot be passed on, so init dies with it
 * (parent-death signal), and with init the kernel kills everything else in the namespace: a container
 * stopped with SIGKILL must not run on, orphaned. The pipe closes the race of the relay dying before
 * init has set that signal: its write end is the relay's alone, so a hang-up means the relay is gone.
 */
static void enter_pid_namespace(void) {
    if (unshare(CLONE_NEWPID) != 0) fail(errno, 0);
    int relay_alive[2];
    if (pipe2(relay_alive, O_CLOEXEC) != 0) fail(errno, 0);
    sigset_t saved;
    pid_t child = fork_supervised(&saved);
    if (child < 0) fail(errno, 0);
    if (child > 0) {
        close(relay_alive[0]);
        supervise(child, 0);
    }
    close(relay_alive[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno, 0);
    struct pollfd gone = {relay_alive[0], POLLIN, 0};
    if (poll(&gone, 1, 0) != 0) _exit(137);
    close(relay_alive[0]);
    /*
     * A session of its own, without a controlling terminal: the caller's terminal is then not the
     * container's, and TIOCSTI on it (typing into the caller's shell) fails with EPERM. A terminal's
     * signals (Ctrl-C, a resize) reach the relay, in strata's foreground group, which passes them on.
     */
    if (setsid() < 0) fail(errno, 0);
    in_pid_namespace = 1;
}

/*
 * OP_OCI_PID_NAMESPACE: join path (empty: a new namespace), detach. The OCI model: the command itself is
 * pid 1 of the container (no init of ours). The helper forks into the namespace and reports the child's
 * host pid; then it either exits (detach: `strata oci create`, the caller, typically conmon, reaps the
 * command as a subreaper) or stays as a relay that mirrors the command's end (an attached `oci exec`).
 */
static void oci_pid_namespace(struct step *s) {
    const char *join = s->argv[0];
    int detach = s->argv[1][0] == '1';
    if (*join) {
        int fd = open(join, O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(errno, 0);
        if (setns(fd, CLONE_NEWPID) != 0) fail(errno, 0);
        close(fd);
        joined_running_container = 1;
    } else if (unshare(CLONE_NEWPID) != 0) {
        fail(errno, 0);
    }
    /*
     * The child waits until our REPORT_PID is on the status pipe: its own reports (READY, CREATED, a
     * failure) then follow it there, and strata never takes this process's pid for the container's. The
     * hang-up is the go-ahead (it also comes if we die, and strata then sees no pid report and refuses).
     */
    int reported[2];
    if (pipe2(reported, O_CLOEXEC) != 0) fail(errno, 0);
    sigset_t saved;
    pid_t child = fork_supervised(&saved);
    if (child < 0) fail(errno, 0);
    if (child > 0) {
        close(reported[0]);
        report(REPORT_PID, 0, (int32_t) child);
        close(reported[1]);
        if (detach) _exit(0);
        supervise(child, 0);
    }
    close(reported[1]);
    char none;
    while (read(reported[0], &none, 1) < 0 && errno == EINTR) {
    }
    close(reported[0]);
    /* A session of its own, as runc gives: a terminal it inherits is not its controlling one (no TIOCSTI). */
    if (setsid() < 0) fail(errno, 0);
}

/* OP_SETNS: path, CLONE_NEW* flag. Joining a user namespace makes us root in it, as entering one does. */
static void join_namespace(struct step *s) {
    int type = (int) number(s->argv[1]);
    int fd = open(s->argv[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(errno, 0);
    if (setns(fd, type) != 0) fail(errno, 0);
    close(fd);
    if (type == CLONE_NEWUSER && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)) fail(errno, 0);
}

/* OP_OPEN_START_FIFO: directory, name. Kept for OP_AWAIT_START, which runs after pivot_root. */
static void open_start_fifo(struct step *s) {
    start_dir_fd = open(s->argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (start_dir_fd < 0) fail(errno, 0);
    start_fifo_name = s->argv[1];
}

/*
 * OP_AWAIT_START: tell strata the container is created, stop reporting (strata exits now; a write to a
 * pipe nobody reads would kill us), then block opening the fifo for writing until `strata oci start`
 * opens it for reading.
 */
static void await_start(void) {
    report(REPORT_CREATED, 0, 0);
    close(status_fd);
    status_fd = -1;
    int fd;
    do fd = openat(start_dir_fd, start_fifo_name, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) fail(errno, 0);
    if (write(fd, "0", 1) != 1) fail(errno, 0);
    close(fd);
    close(start_dir_fd);
}

/*
 * OP_TERMINAL: ptmx path (relative: inside the root). A pseudo-terminal from the container's devpts
 * instance; its master goes to the console socket's listener (conmon) with SCM_RIGHTS, its slave becomes
 * our controlling terminal and stdio.
 */
static int console_fd = -1; /* OP_CONNECT_CONSOLE */

/* OP_CONNECT_CONSOLE: socket path. Connected while its host path is reachable (before joining or pivoting). */
static void connect_console(const char *path) {
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) fail(errno, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) fail(ENAMETOOLONG, 0);
    strcpy(addr.sun_path, path);
    if (connect(sock, (struct sockaddr *) &addr, sizeof addr) != 0) fail(errno, 0);
    console_fd = sock;
}

static void setup_terminal(struct step *s) {
    int sock = console_fd;
    if (sock < 0) fail(ENOTCONN, 0);
    int path_fd = open_target(s->argv[0], 0);
    if (path_fd < 0) fail(errno, 0);
    char where[64];
    snprintf(where, sizeof where, "/proc/self/fd/%d", path_fd);
    int master = open(where, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) fail(errno, 0);
    close(path_fd);
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) != 0) fail(errno, 0);
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) fail(errno, 0);
    unsigned int number_of_pty = 0;
    ioctl(master, TIOCGPTN, &number_of_pty);
    char name[64];
    snprintf(name, sizeof name, "/dev/pts/%u", number_of_pty);
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {.iov_base = name, .iov_len = strlen(name)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
    if (sendmsg(sock, &msg, 0) < 0) fail(errno, 0);
    close(master);
    close(sock);
    if (getsid(0) != getpid() && setsid() < 0) fail(errno, 0);
    if (ioctl(slave, TIOCSCTTY, 0) != 0) fail(errno, 0);
    for (int fd = 0; fd < 3; fd++) {
        if (dup2(slave, fd) < 0) fail(errno, 0);
    }
    if (slave > 2) close(slave);
}

/* OP_SET_USER: uid, gid, umask (octal text, empty: keep), supplementary gids... Keeps capabilities for OP_SET_CAPS. */
static void set_user(struct step *s) {
    uid_t uid = (uid_t) number(s->argv[0]);
    gid_t gid = (gid_t) number(s->argv[1]);
    size_t count = s->argc - 3;
    gid_t *groups = calloc(count + 1, sizeof(gid_t));
    if (!groups) fail(ENOMEM, 0);
    for (size_t i = 0; i < count; i++) groups[i] = (gid_t) number(s->argv[3 + i]);
    /* A user namespace whose setgroups is denied (single-id rootless maps) cannot have any: fine with none wanted. */
    if (setgroups(count, groups) != 0 && !(errno == EPERM && count == 0)) fail(errno, 0);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail(errno, 0);
    if (setresgid(gid, gid, gid) != 0) fail(errno, 0);
    if (setresuid(uid, uid, uid) != 0) fail(errno, 0);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail(errno, 0);
    /* A uid change to non-root empties the effective set; OP_SET_CAPS needs CAP_SETPCAP in it to drop the bounding set. */
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) fail(errno, 0);
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    if (syscall(SYS_capset, &header, data) != 0) fail(errno, 0);
    if (*s->argv[2]) umask((mode_t) strtoul(s->argv[2], NULL, 8));
    free(groups);
}

static uint64_t capability_set(const char *list) {
    uint64_t set = 0;
    char *copy = strdup(list);
    if (!copy) fail(ENOMEM, 0);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) set |= 1ULL << number(tok);
    free(copy);
    return set;
}

/* Drops every capability not in keep from the bounding set; returns the kernel's last capability. */
static int drop_bounding_except(uint64_t keep) {
    int last = 40;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f) {
        if (fscanf(f, "%d", &last) != 1) last = 40;
        fclose(f);
    }
    for (int cap = 0; cap <= last; cap++) {
        if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) fail(errno, cap);
    }
    return last;
}

/* OP_SET_CAPS: bounding, effective, permitted, inheritable, ambient (comma-separated numbers each). */
static void set_capabilities(struct step *s) {
    uint64_t bounding = capability_set(s->argv[0]), effective = capability_set(s->argv[1]);
    uint64_t permitted = capability_set(s->argv[2]), inheritable = capability_set(s->argv[3]);
    uint64_t ambient = capability_set(s->argv[4]);
    int last = drop_bounding_except(bounding);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = (uint32_t) (effective >> (32 * i));
        data[i].permitted = (uint32_t) (permitted >> (32 * i));
        data[i].inheritable = (uint32_t) (inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &header, data) != 0) fail(errno, 0);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= last; cap++) {
        /* The kernel allows an ambient capability only when it is also inheritable; runc skips the others too. */
        if ((ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0 && errno != EPERM) fail(errno, cap);
    }
}

/* OP_MASK_PATH: path. Hides it: an empty read-only tmpfs on a directory, /dev/null on anything else. */
static void mask_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return;
        fail(errno, 0);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) != 0) fail(errno, 0);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0) {
        fail(errno, 0);
    }
}

/* OP_MOUNT_OR_BIND: like OP_MOUNT, then a fallback source: where the kernel refuses the mount (sysfs in
 * a user namespace that does not own the network namespace), bind that host tree instead, read-only if asked. */
static void mount_or_bind(struct step *s) {
    const char *target = s->argv[1];
    unsigned long flags = number(s->argv[3]);
    int fd = open_target(target, 0);
    if (fd < 0) fail(errno, 0);
    char where[64];
    snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
    if (mount(or_null(s->argv[0]), where, or_null(s->argv[2]), flags, or_null(s->argv[4])) == 0) {
        close(fd);
        return;
    }
    if (errno != EPERM && errno != EACCES) fail(errno, 0);
    if (mount(s->argv[5], where, NULL, MS_BIND | MS_REC, NULL) != 0) fail(errno, 0);
    close(fd);
    if (flags & MS_RDONLY) make_read_only(target);
}

/*
 * OP_PRESERVE_FDS: count. The caller's descriptors 3..3+count-1 came in as 6.. (3-5 are our channels);
 * the status channel moves out of the way and they go back to their numbers, open across exec.
 */
static void preserve_fds(struct step *s) {
    int count = (int) number(s->argv[0]);
    if (count != kept_fds) fail(EINVAL, 0);
    if (count == 0) return;
    if (status_fd >= 0) { /* after OP_AWAIT_START it is closed already */
        int moved = fcntl(status_fd, F_DUPFD_CLOEXEC, 6 + count);
        if (moved < 0) fail(errno, 0);
        close(status_fd);
        status_fd = moved;
    }
    for (int i = 0; i < count; i++) {
        if (dup2(6 + i, 3 + i) < 0) fail(errno, 0);
    }
    for (int fd = 3 + count > 6 ? 3 + count : 6; fd < 6 + count; fd++) close(fd);
}

static void make_symlink(const char *target, const char *link) {
    const char *name;
    int dir = open_parent(link, &name);
    if (dir < 0) fail(errno, 0);
    if (symlinkat(target, dir, name) != 0 && errno != EEXIST) fail(errno, 0);
    close(dir);
}

/* Keeps the capabilities listed in the step's arguments, in every set; clears ambient ones. */
static void drop_capabilities(struct step *s) {
    uint64_t keep = 0;
    for (uint32_t i = 0; i < s->argc; i++) keep |= 1ULL << number(s->argv[i]);
    drop_bounding_except(keep);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) fail(errno, 0);
    for (int i = 0; i < 2; i++) {
        uint32_t mask = (uint32_t) (keep >> (32 * i));
        data[i].effective &= mask;
        data[i].permitted &= mask;
        data[i].inheritable &= mask;
    }
    if (syscall(SYS_capset, &header, data) != 0) fail(errno, 0);
}

static int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void load_seccomp(const char *program_hex) {
    size_t len = strlen(program_hex) / 2;
    unsigned char *bytes = malloc(len);
    if (!bytes) fail(ENOMEM, 0);
    for (size_t i = 0; i < len; i++) {
        int hi = hex(program_hex[2 * i]), lo = hex(program_hex[2 * i + 1]);
        if (hi < 0 || lo < 0) fail(EINVAL, 0);
        bytes[i] = (unsigned char) (hi << 4 | lo);
    }
    struct sock_fprog prog = {(unsigned short) (len / sizeof(struct sock_filter)), (struct sock_filter *) bytes};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) fail(errno, 0);
}

static void exec_command(struct step *s) {
    uint32_t argc = (uint32_t) number(s->argv[0]);
    char **argv = s->argv + 1;
    char **envp = calloc(s->argc - argc, sizeof(char *));
    if (!envp) fail(ENOMEM, 0);
    for (uint32_t i = 1 + argc, j = 0; i < s->argc; i++, j++) envp[j] = s->argv[i];
    argv[argc] = NULL; /* the first environment entry's slot: its pointer is kept in envp */
    if (in_pid_namespace) {
        /* Stay as pid 1: a command is rarely written to reap orphans or to be its namespace's init. */
        sigset_t saved;
        pid_t child = fork_supervised(&saved);
        if (child < 0) fail(errno, 0);
        /*
         * The command leads a process group of its own (set on both sides of the fork, so no signal finds
         * it unset): init's session has no terminal, so Ctrl-C reaches the command's group through us.
         */
        if (child > 0) {
            setpgid(child, child);
            supervise(child, 1);
        }
        setpgid(0, 0);
    }
    environ = envp;
    stay_undumpable(); /* until the exec below, which makes the container's program dumpable as usual */
    execvp(argv[0], argv);
    if (status_fd < 0) {
        /* Nobody hears a report after OP_AWAIT_START: say it on stderr in runc's words, which podman maps to 127/126. */
        int saved = errno;
        if (saved == ENOENT) dprintf(2, "exec: \"%s\": executable file not found in $PATH\n", argv[0]);
        else dprintf(2, "exec: \"%s\": %s\n", argv[0], strerror(saved));
        _exit(saved == ENOENT ? 127 : 126);
    }
    fail(errno, -2);
}

/* posix_spawn from the JVM passes on the spawning thread's signal mask and ignored signals. */
static void reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
}

/*
 * Sealed self (the CVE-2019-5736 pattern): a container's process can open /proc/PID/exe of any helper
 * process it sees (init of a pid namespace, the child joining it for `oci exec`, or the helper itself run
 * again through a `#!/proc/self/exe` script) and, once no helper runs, write through that descriptor into
 * the host's binary. So the helper first re-executes itself from a sealed in-memory copy: /proc/PID/exe
 * then names that copy, which nobody can change, and the host's file is never reachable from a container.
 * And it stays non-dumpable until it execs the container's program, so its /proc/PID/{exe,mem,fd} are
 * closed to the container's processes (the kernel checks ptrace access for them). Cost: see docs/security.md.
 */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: ask for an executable memfd where vm.memfd_noexec would default to not */
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define STEP_SEALING (-2) /* the step reported when the sealed copy fails, matching runtime.core's Launcher */

static int running_sealed(void) {
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0) return 0;
    int seals = fcntl(self, F_GET_SEALS);
    close(self);
    return seals >= 0 && (seals & SEALS) == SEALS;
}

/* A memfd holding a copy of this program, sealed against every change; -1 with errno on failure. */
static int sealed_copy_of_self(void) {
    int copy = (int) syscall(SYS_memfd_create, "strata-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (copy < 0 && errno == EINVAL) copy = (int) syscall(SYS_memfd_create, "strata-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (copy < 0) return -1;
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (self < 0 || fstat(self, &st) != 0) return -1;
    for (off_t done = 0; done < st.st_size;) {
        ssize_t n = sendfile(copy, self, &done, (size_t) (st.st_size - done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
    }
    close(self);
    if (fcntl(copy, F_ADD_SEALS, SEALS) != 0) return -1;
    return copy;
}

/*
 * Re-executes this program from its sealed copy, unless it already runs from one or strata said the plan
 * shares the host's processes (argument "shares-host": a plash run can write this binary anyway, as the
 * caller). Descriptors stay as they are.
 */
static void run_from_sealed_copy(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[2], "shares-host") == 0) return;
    if (running_sealed()) return;
    int copy = sealed_copy_of_self();
    if (copy >= 0) syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
    current_step = STEP_SEALING;
    fail(errno, 0);
}

int main(int argc, char **argv) {
    stay_undumpable();
    reset_signals();
    initial_parent = getppid();
    /* "strata-helper N [shares-host]": descriptors 6..6+N-1 are the caller's, for OP_PRESERVE_FDS. */
    if (argc > 1) kept_fds = (int) number(argv[1]);
    /* Keep only our channels: the JVM may leak descriptors without close-on-exec. */
    syscall(SYS_close_range, FD_SYNC + 1 + kept_fds, ~0U, 0);

    /* No plan descriptor: nothing to do. The binary then stands in for true(1) (the image that strata's
     * AOT cache is trained on has it as /usr/bin/true, and a training run must succeed to record the path
     * a real run takes). */
    if (fcntl(FD_PLAN, F_GETFD) < 0 && errno == EBADF) return 0;
    run_from_sealed_copy(argc, argv); /* before the channels become close-on-exec */
    for (int i = 0; i < kept_fds; i++) fcntl(FD_SYNC + 1 + i, F_SETFD, FD_CLOEXEC);
    fcntl(FD_STATUS, F_SETFD, FD_CLOEXEC);
    fcntl(FD_SYNC, F_SETFD, FD_CLOEXEC);

    uint32_t count;
    struct step *steps = read_plan(&count);
    int syncs = 0;
    for (uint32_t i = 0; i < count; i++) syncs += steps[i].opcode == OP_SYNC;
    if (!syncs) {
        close(FD_SYNC);
        sync_fd = -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct step *s = &steps[i];
        current_step = (int) i;
        switch (s->opcode) {
        case OP_USERNS:
            enter_user_namespace(s);
            break;
        case OP_UNSHARE:
            if (unshare((int) number(s->argv[0])) != 0) fail(errno, 0);
            break;
        case OP_ROOT:
            if (root_fd >= 0) close(root_fd);
            root_fd = open(s->argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (root_fd < 0) fail(errno, 0);
            break;
        case OP_MOUNT:
            do_mount(s);
            break;
        case OP_BIND:
            do_bind(s);
            break;
        case OP_MKDIRS: {
            int fd = make_directories(s->argv[0], (mode_t) strtoul(s->argv[1], NULL, 10));
            if (fd < 0) fail(errno, 0);
            close(fd);
            break;
        }
        case OP_RUN: {
            int status = run_and_wait(s->argv, 1);
            if (status < 0) fail(errno, 0);
            if (status != 0) fail(0, status);
            break;
        }
        case OP_START_FUSE:
            start_fuse(s);
            break;
        case OP_SYNC:
            wait_for_parent();
            break;
        case OP_PIVOT_ROOT:
            pivot_root_to(s->argv[0]);
            break;
        case OP_HOSTNAME:
            if (sethostname(s->argv[0], strlen(s->argv[0])) != 0) fail(errno, 0);
            break;
        case OP_CHDIR:
            if (chdir(s->argv[0]) != 0 && chdir(s->argv[1]) != 0) fail(errno, 0);
            break;
        case OP_DIE_WITH_PARENT:
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno, 0);
            if (getppid() != initial_parent) _exit(137); /* strata died before the line above */
            break;
        case OP_PID_NAMESPACE:
            enter_pid_namespace();
            break;
        case OP_SYMLINK:
            make_symlink(s->argv[0], s->argv[1]);
            break;
        case OP_JOIN_USERNS: {
            char path[64];
            snprintf(path, sizeof path, "/proc/%s/ns/user", s->argv[0]);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) fail(errno, 0);
            if (setns(fd, CLONE_NEWUSER) != 0) fail(errno, 0);
            close(fd);
            if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail(errno, 0);
            break;
        }
        case OP_NO_NEW_PRIVS:
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(errno, 0);
            break;
        case OP_DROP_CAPS:
            drop_capabilities(s);
            break;
        case OP_SECCOMP:
            load_seccomp(s->argv[0]);
            break;
        case OP_LOOPBACK_UP:
            loopback_up();
            break;
        case OP_EXEC:
            exec_command(s);
            break;
        case OP_OCI_PID_NAMESPACE:
            oci_pid_namespace(s);
            break;
        case OP_SETNS:
            join_namespace(s);
            break;
        case OP_OPEN_START_FIFO:
            open_start_fifo(s);
            break;
        case OP_AWAIT_START:
            await_start();
            break;
        case OP_CONNECT_CONSOLE:
            connect_console(s->argv[0]);
            break;
        case OP_TERMINAL:
            setup_terminal(s);
            break;
        case OP_RLIMIT: {
            struct rlimit limit = {strtoull(s->argv[1], NULL, 10), strtoull(s->argv[2], NULL, 10)};
            if (prlimit(0, (int) number(s->argv[0]), &limit, NULL) != 0) fail(errno, 0);
            break;
        }
        case OP_SET_USER:
            set_user(s);
            break;
        case OP_SET_CAPS:
            set_capabilities(s);
            break;
        case OP_MASK_PATH:
            mask_path(s->argv[0]);
            break;
        case OP_WRITE_FILE:
            if (write_file(s->argv[0], s->argv[1]) != 0) fail(errno, 0);
            break;
        case OP_MOUNT_OR_BIND:
            mount_or_bind(s);
            break;
        case OP_PRESERVE_FDS:
            preserve_fds(s);
            break;
        default:
            fail(EPROTO, 0);
        }
    }
    current_step = -1;
    fail(EPROTO, 0); /* a plan must end with exec */
}
