/*
 * The attack suite's probe, compiled static by the tests (gcc -static) and run inside containers: each
 * argument names one attempt, made for real in a child process (so a namespace it enters or a filter it
 * trips cannot affect the next), and one line "NAME ok" or "NAME ERRNO-NAME" says how it went.
 * File attempts: read:PATH (ok: some bytes came, ENODATA: none), write:PATH:TEXT, mkdir:PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct { const char *name; unsigned long flag; } namespaces[] = {
    {"user", CLONE_NEWUSER}, {"net", CLONE_NEWNET}, {"mount", CLONE_NEWNS}, {"pid", CLONE_NEWPID},
    {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP},
};

static unsigned long namespace_flag(const char *name) {
    for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
        if (strcmp(namespaces[i].name, name) == 0) return namespaces[i].flag;
    }
    if (strcmp(name, "time") == 0) return 0x80; /* CLONE_NEWTIME, unshare only */
    fprintf(stderr, "probe: unknown namespace %s\n", name);
    exit(2);
}

/* A clone-like call that made a child: the child leaves at once, the parent reaps it. */
static int reap(long pid) {
    if (pid < 0) return errno;
    if (pid == 0) _exit(0);
    waitpid((pid_t) pid, NULL, 0);
    return 0;
}

/* The attempt itself, in a child: 0 or the errno it failed with. */
static int attempt(const char *what) {
    if (strncmp(what, "clone-", 6) == 0) return reap(syscall(SYS_clone, namespace_flag(what + 6) | SIGCHLD, 0, 0, 0, 0));
    if (strncmp(what, "clone3-", 7) == 0) {
        struct clone_args args = {.flags = namespace_flag(what + 7), .exit_signal = SIGCHLD};
        return reap(syscall(SYS_clone3, &args, sizeof args));
    }
    if (strcmp(what, "clone3") == 0) {
        struct clone_args args = {.exit_signal = SIGCHLD};
        return reap(syscall(SYS_clone3, &args, sizeof args));
    }
    if (strcmp(what, "fork") == 0) return reap(fork());
    if (strncmp(what, "unshare-", 8) == 0) return unshare((int) namespace_flag(what + 8)) == 0 ? 0 : errno;
    if (strcmp(what, "setns") == 0) {
        int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        return setns(fd, 0) == 0 ? 0 : errno;
    }
    char x = 'x';
    if (strcmp(what, "tiocsti") == 0) return ioctl(0, TIOCSTI, &x) == 0 ? 0 : errno;
    /* the kernel reads the request as 32 bits: the same request with high bits set */
    if (strcmp(what, "tiocsti-high") == 0) return syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &x) == 0 ? 0 : errno;
    if (strcmp(what, "tioclinux") == 0) {
        char sub = 12; /* TIOCL_GETSHIFTSTATE: harmless where allowed */
        return ioctl(0, TIOCLINUX, &sub) == 0 ? 0 : errno;
    }
    if (strcmp(what, "keyctl") == 0) return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 1) >= 0 ? 0 : errno;
    if (strcmp(what, "add_key") == 0) return syscall(SYS_add_key, "user", "strata-probe", "x", 1, -3) >= 0 ? 0 : errno;
    if (strcmp(what, "request_key") == 0) return syscall(SYS_request_key, "user", "strata-probe", NULL, 0) >= 0 ? 0 : errno;
    if (strcmp(what, "bpf") == 0) {
        char attr[128] = {0};
        return syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr) >= 0 ? 0 : errno;
    }
    if (strcmp(what, "perf_event_open") == 0) {
        struct perf_event_attr attr = {.type = PERF_TYPE_SOFTWARE, .size = sizeof attr, .config = PERF_COUNT_SW_CPU_CLOCK,
                                       .exclude_kernel = 1, .exclude_hv = 1};
        return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0) >= 0 ? 0 : errno;
    }
    if (strcmp(what, "userfaultfd") == 0) return syscall(SYS_userfaultfd, O_CLOEXEC) >= 0 ? 0 : errno;
    if (strcmp(what, "mount") == 0) return mount("none", "/tmp", "tmpfs", 0, NULL) == 0 ? 0 : errno;
    if (strcmp(what, "umount2") == 0) return umount2("/tmp", MNT_DETACH) == 0 ? 0 : errno;
    if (strcmp(what, "pivot_root") == 0) return syscall(SYS_pivot_root, "/tmp", "/tmp") == 0 ? 0 : errno;
    if (strcmp(what, "kexec_load") == 0) return syscall(SYS_kexec_load, 0, 0, NULL, 0) == 0 ? 0 : errno;
    if (strcmp(what, "init_module") == 0) return syscall(SYS_init_module, "", 0, "") == 0 ? 0 : errno;
    if (strcmp(what, "finit_module") == 0) return syscall(SYS_finit_module, 0, "", 0) == 0 ? 0 : errno;
    if (strcmp(what, "delete_module") == 0) return syscall(SYS_delete_module, "strata_probe", O_NONBLOCK) == 0 ? 0 : errno;
    if (strcmp(what, "open_by_handle_at") == 0) {
        struct { unsigned int bytes; int type; unsigned char handle[8]; } h = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
        int fd = (int) syscall(SYS_open_by_handle_at, AT_FDCWD, &h, O_RDONLY);
        return fd >= 0 ? 0 : errno;
    }
    if (strcmp(what, "ptrace") == 0) return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : errno;
    if (strcmp(what, "personality") == 0) return personality(READ_IMPLIES_EXEC) != -1 ? 0 : errno;
    if (strncmp(what, "read:", 5) == 0) {
        int fd = open(what + 5, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) return errno;
        return n > 0 ? 0 : ENODATA;
    }
    if (strncmp(what, "write:", 6) == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s", what + 6);
        char *text = strchr(path, ':');
        if (!text) return EINVAL;
        *text++ = '\0';
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        return write(fd, text, strlen(text)) >= 0 ? 0 : errno;
    }
    if (strncmp(what, "mkdir:", 6) == 0) return mkdir(what + 6, 0755) == 0 ? 0 : errno;
    fprintf(stderr, "probe: unknown attempt %s\n", what);
    return -1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        pid_t child = fork();
        if (child < 0) return 1;
        if (child == 0) {
            int e = attempt(argv[i]);
            _exit(e < 0 ? 255 : e);
        }
        int status;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status)) {
            printf("%s signal-%d\n", argv[i], WTERMSIG(status));
        } else if (WEXITSTATUS(status) == 255) {
            return 2;
        } else if (WEXITSTATUS(status) == 0) {
            printf("%s ok\n", argv[i]);
        } else {
            const char *name = strerrorname_np(WEXITSTATUS(status));
            printf("%s %s\n", argv[i], name ? name : "error");
        }
    }
    return 0;
}
