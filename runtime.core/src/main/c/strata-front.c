/*
 * strata-front: the native `strata` command. It hands the invocation (argv, cwd, environment, umask, which
 * standard descriptors are terminals, and the descriptors 0, 1, 2 themselves) to the user's warm strata
 * server over a unix socket, spawns the container helpers the server asks for (so containers stay this
 * process's descendants: session, process group, controlling terminal, cgroup, rlimits), relays signals
 * and exits with the command's status. It decides nothing: without a usable server it runs the JVM as
 * before (DIST/libexec/strata-jvm with STRATA_SERVER=off), and starts a server for the next command.
 *
 * Messages are SOCK_SEQPACKET packets: a 32-bit kind, then the payload (see docs/architecture.md,
 * "The server"). Strings are NUL-terminated, numbers decimal strings or 32-bit native integers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum {
    MSG_INVOKE = 1,     /* front -> server: the invocation's strings; fds 0, 1, 2 */
    MSG_SPAWNED = 2,    /* front -> server: int32 pid, or -errno */
    MSG_CHILD_EXIT = 3, /* front -> server: int32 pid, int32 wait status */
    MSG_SIGNAL = 4,     /* front -> server: int32 signal that came with no child to relay it to */
    MSG_SPAWN = 16,     /* server -> front: program, argc, argv, envc, env, nfd, targets; nfd fds */
    MSG_EXIT = 17,      /* server -> front: int32 exit code */
    MSG_DIRECT = 18,    /* server -> front: run this invocation in a JVM of its own */
    MSG_TAKEN = 19,     /* server -> front: the invocation is taken and runs now (before it, nothing of it ran) */
};

#define MSG_MAX (128 * 1024)
#define MAX_FDS 16
#define MAX_CHILDREN 64
#define PARK_FD 100 /* received descriptors wait above every target number */

static int sigpipe_w = -1;
static pid_t children[MAX_CHILDREN];
static int nchildren;

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)!write(sigpipe_w, &b, 1);
    errno = saved;
}

static const char *dist_dir(char *buf, size_t size) {
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0) return NULL;
    buf[n] = 0;
    for (int up = 0; up < 2; up++) { /* DIST/libexec/strata-front -> DIST */
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf) return NULL;
        *slash = 0;
    }
    return buf;
}

static int read_build_id(const char *dist, char *id, size_t size) {
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/build-id", dist);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, id, size - 1);
    close(fd);
    if (n <= 0) return -1;
    id[n] = 0;
    id[strcspn(id, "\n")] = 0;
    for (char *c = id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return -1;
    return id[0] ? 0 : -1;
}

/* The runtime directory, as ContainerRegistry.runtimeDirectory computes it. */
static void runtime_dir(char *buf, size_t size) {
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg && *xdg && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(buf, size, "%s/strata", xdg);
    else if (getuid() == 0) snprintf(buf, size, "/run/strata");
    else snprintf(buf, size, "/tmp/strata-%u", (unsigned)getuid());
}

/* Connects to DIR/server-ID.sock if DIR is ours alone: a real directory (no symlink), our uid, mode 0700. */
static int connect_server(const char *dir, const char *id) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return -1;
    struct stat st = {.st_uid = (uid_t) -1};
    if (fstat(dfd, &st) != 0 || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
        /*
         * Another user's directory: the JVM this falls back to refuses it with the one line that names the
         * owner (PrivateDirectory), where a command uses it; saying it here too would make two lines.
         */
        if (st.st_uid == getuid()) fprintf(stderr, "strata: %s is not a private directory of yours: not using the server there\n", dir);
        close(dfd);
        return -2;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    /* Through the descriptor just checked, so the directory cannot be swapped after the check. */
    snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/server-%s.sock", dfd, id);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        s = -1;
    }
    close(dfd);
    return s;
}

static int send_msg(int s, uint32_t kind, const void *data, size_t len, const int *fds, int nfds) {
    char control[CMSG_SPACE(sizeof(int) * 3)];
    struct iovec iov[2] = {{&kind, sizeof kind}, {(void *)data, len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    if (nfds > 0) {
        memset(control, 0, sizeof control);
        m.msg_control = control;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do n = sendmsg(s, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

static void send_ints(int s, uint32_t kind, int32_t a, int32_t b) {
    int32_t v[2] = {a, b};
    send_msg(s, kind, v, kind == MSG_CHILD_EXIT ? 8 : 4, NULL, 0);
}

/* Appends a NUL-terminated string; -1 when the message would exceed MSG_MAX. */
static int put(char *buf, size_t *len, const char *s) {
    size_t n = strlen(s) + 1;
    if (*len + n > MSG_MAX - 4) return -1;
    memcpy(buf + *len, s, n);
    *len += n;
    return 0;
}

/* The next string of a received payload, or NULL when it runs out. */
static const char *next(const char *buf, size_t len, size_t *pos) {
    if (*pos >= len) return NULL;
    const char *s = buf + *pos;
    const char *end = memchr(s, 0, len - *pos);
    if (!end) return NULL;
    *pos += (size_t)(end - s) + 1;
    return s;
}

static void track(pid_t pid, int add) {
    for (int i = 0; i < nchildren; i++) {
        if (children[i] == pid) {
            if (!add) children[i] = children[--nchildren];
            return;
        }
    }
    if (add && nchildren < MAX_CHILDREN) children[nchildren++] = pid;
}

/* MSG_SPAWN: fork and exec the program with the received descriptors at their targets; reply MSG_SPAWNED. */
static void spawn(int s, const char *buf, size_t len, int *fds, int nfds) {
    size_t pos = 0;
    const char *program = next(buf, len, &pos);
    const char *argv[256], *envp[1024];
    int targets[MAX_FDS];
    int ok = program != NULL, argc = 0, envc = 0, ntargets = 0;
    const char *n = ok ? next(buf, len, &pos) : NULL;
    if (n) argc = atoi(n);
    ok = ok && n && argc > 0 && argc < 255;
    for (int i = 0; ok && i < argc; i++) ok = (argv[i] = next(buf, len, &pos)) != NULL;
    n = ok ? next(buf, len, &pos) : NULL;
    if (n) envc = atoi(n);
    ok = ok && n && envc >= 0 && envc < 1023;
    for (int i = 0; ok && i < envc; i++) ok = (envp[i] = next(buf, len, &pos)) != NULL;
    n = ok ? next(buf, len, &pos) : NULL;
    if (n) ntargets = atoi(n);
    ok = ok && n && ntargets == nfds;
    for (int i = 0; ok && i < ntargets; i++) {
        const char *t = next(buf, len, &pos);
        targets[i] = t ? atoi(t) : -1;
        ok = t && targets[i] >= 0 && targets[i] < PARK_FD;
    }
    if (!ok) {
        for (int i = 0; i < nfds; i++) close(fds[i]);
        send_ints(s, MSG_SPAWNED, -EINVAL, 0);
        return;
    }
    argv[argc] = NULL;
    envp[envc] = NULL;
    for (int i = 0; i < nfds; i++) { /* park: a received number may be another one's target */
        int parked = fcntl(fds[i], F_DUPFD_CLOEXEC, PARK_FD);
        close(fds[i]);
        fds[i] = parked;
    }
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int i = 0; i < nfds; i++)
            if (fds[i] < 0 || dup2(fds[i], targets[i]) < 0) _exit(127);
        execve(program, (char **)argv, (char **)envp);
        _exit(127);
    }
    int err = errno;
    for (int i = 0; i < nfds; i++) close(fds[i]);
    if (pid > 0) track(pid, 1);
    send_ints(s, MSG_SPAWNED, pid > 0 ? pid : -err, 0);
}

/*
 * The script that runs the JVM: DIST/libexec/strata-jvm of this installation (DIST/bin/strata and
 * DIST/bin/strata-oci link to this program, so no command pays a shell on its way to the server).
 */
static void launcher_path(char *buf, size_t size, const char *dist) {
    snprintf(buf, size, "%s/libexec/strata-jvm", dist ? dist : ".");
}

/* Runs the JVM as strata did before the server: the launcher script, told not to come back here. */
static void run_direct(int argc, char **argv, const char *program, const char *dist) {
    char launcher[PATH_MAX + 32];
    launcher_path(launcher, sizeof launcher, dist);
    char **args = calloc((size_t)argc + 3, sizeof *args);
    int n = 0;
    args[n++] = launcher;
    if (strcmp(program, "strata-oci") == 0) args[n++] = "oci";
    for (int i = 1; i < argc; i++) args[n++] = argv[i];
    setenv("STRATA_SERVER", "off", 1);
    execv(launcher, args);
    fprintf(stderr, "strata: cannot run %s: %s\n", launcher, strerror(errno));
    exit(125);
}

/*
 * Starts a server for the next commands, detached (its own session, stdio on /dev/null; it logs to its
 * runtime directory) and only once this process has ended, so it does not compete with this command's own
 * cold JVM for the CPU: the grandchild waits on a pidfd of this process first.
 */
static void start_server(const char *dist) {
    char launcher[PATH_MAX + 32];
    launcher_path(launcher, sizeof launcher, dist);
    pid_t self = getpid();
    int pidfd = (int)syscall(SYS_pidfd_open, self, 0);
    pid_t child = fork();
    if (child == 0) {
        setsid();
        if (fork() != 0) _exit(0);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
            close(pidfd);
        }
        for (int fd = 3; fd < 64; fd++) close(fd);
        /* A daemon keeps no directory of the caller's busy; invocations carry their own cwd. */
        if (chdir("/") != 0) _exit(127);
        setenv("STRATA_SERVER", "off", 1);
        execl(launcher, launcher, "__server", (char *)NULL);
        _exit(127);
    }
    if (pidfd >= 0) close(pidfd);
    if (child > 0) waitpid(child, NULL, 0);
}

int main(int argc, char **argv) {
    const char *base = strrchr(argv[0], '/');
    const char *program = strcmp(base ? base + 1 : argv[0], "strata-oci") == 0 ? "strata-oci" : "strata";
    char distbuf[PATH_MAX], id[65];
    const char *dist = dist_dir(distbuf, sizeof distbuf);
    const char *mode = getenv("STRATA_SERVER");
    /*
     * A closed standard descriptor would be taken by the first one opened here and handed over as the
     * command's stdin or stdout; the JVM path keeps it closed, as the caller meant (podman and conmon give
     * the runtime /dev/null, not a closed stdin, so that is rare).
     */
    int closed_stdio = 0;
    for (int fd = 0; fd < 3; fd++) closed_stdio |= fcntl(fd, F_GETFD) < 0;
    if ((mode && strcmp(mode, "off") == 0) || closed_stdio || !dist || read_build_id(dist, id, sizeof id) != 0)
        run_direct(argc, argv, program, dist);

    char dir[PATH_MAX];
    runtime_dir(dir, sizeof dir);
    int s = connect_server(dir, id);
    if (s < 0) {
        if (s == -1) start_server(dist);
        run_direct(argc, argv, program, dist);
    }

    /* The invocation. */
    static char buf[MSG_MAX];
    size_t len = 0;
    char cwd[PATH_MAX], number[32], ttys[4];
    if (!getcwd(cwd, sizeof cwd)) run_direct(argc, argv, program, dist);
    mode_t mask = umask(0);
    umask(mask);
    int ok = put(buf, &len, id) == 0 && put(buf, &len, program) == 0 && put(buf, &len, cwd) == 0;
    snprintf(number, sizeof number, "%o", (unsigned)mask);
    ok = ok && put(buf, &len, number) == 0;
    for (int fd = 0; fd < 3; fd++) ttys[fd] = isatty(fd) ? '1' : '0';
    ttys[3] = 0;
    ok = ok && put(buf, &len, ttys) == 0;
    snprintf(number, sizeof number, "%d", argc - 1);
    ok = ok && put(buf, &len, number) == 0;
    for (int i = 1; ok && i < argc; i++) ok = put(buf, &len, argv[i]) == 0;
    for (char **e = environ; ok && *e; e++) ok = put(buf, &len, *e) == 0;
    if (!ok) run_direct(argc, argv, program, dist); /* too large for one message */

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) run_direct(argc, argv, program, dist);
    sigpipe_w = pipefd[1];
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    int relayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD};
    for (size_t i = 0; i < sizeof relayed / sizeof *relayed; i++) sigaction(relayed[i], &sa, NULL);

    int stdio[3] = {0, 1, 2};
    if (send_msg(s, MSG_INVOKE, buf, len, stdio, 3) != 0) run_direct(argc, argv, program, dist);

    int in_tty = ttys[0] == '1', interrupts = 0, taken = 0;
    static char msg[MSG_MAX];
    for (;;) {
        struct pollfd p[2] = {{.fd = s, .events = POLLIN}, {.fd = pipefd[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents & POLLIN) {
            unsigned char sig;
            while (read(pipefd[0], &sig, 1) == 1) {
                if (sig == SIGCHLD) {
                    int status;
                    pid_t pid;
                    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                        track(pid, 0);
                        send_ints(s, MSG_CHILD_EXIT, pid, status);
                    }
                    continue;
                }
                /* A terminal's ^C already reached the whole foreground group, containers included. */
                if (sig == SIGINT && in_tty && nchildren > 0) continue;
                if (nchildren > 0) {
                    for (int i = 0; i < nchildren; i++) kill(children[i], sig);
                    continue;
                }
                /* No container: the server stops the command; a second ^C does not wait for it. */
                if (sig == SIGINT && ++interrupts > 1) _exit(130);
                send_ints(s, MSG_SIGNAL, sig, 0);
            }
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct iovec iov = {msg, sizeof msg};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        int fds[MAX_FDS], nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count && nfds < MAX_FDS; i++) memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        uint32_t kind = 0;
        if (n >= 4) memcpy(&kind, msg, 4);
        if (n >= 4 && kind == MSG_SPAWN && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
            spawn(s, msg + 4, (size_t)n - 4, fds, nfds);
            continue;
        }
        for (int i = 0; i < nfds; i++) close(fds[i]);
        if (n >= 4 && kind == MSG_TAKEN) {
            taken = 1;
            continue;
        }
        if (n >= 8 && kind == MSG_EXIT) {
            int32_t code;
            memcpy(&code, msg + 4, 4);
            exit(code & 0xff);
        }
        if (n >= 4 && kind == MSG_DIRECT) {
            close(s);
            run_direct(argc, argv, program, dist);
        }
        break; /* end of file or a message we do not know: the server is gone */
    }
    /*
     * Gone before it took the invocation (a server killed or exiting as we connected: the kernel queues a
     * connection on a listener whose process is dying): nothing of the command ran, so a JVM of our own
     * runs it, and a new server starts for the next command.
     */
    if (!taken) {
        close(s);
        start_server(dist);
        run_direct(argc, argv, program, dist);
    }
    /* The server ended mid-command: the containers are ours, let them finish, then say so. */
    int status;
    while (nchildren > 0 && waitpid(-1, &status, 0) > 0) nchildren--;
    fprintf(stderr, "strata: the strata server ended during the command (its log: %s/server.log)\n", dir);
    return 125;
}
