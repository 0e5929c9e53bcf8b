/* Escape attempts from inside a container, one per argument; prints "name=ok" or
 * "name=ERRNO_NAME" for each. Built static at test time (gcc -static) and run as root
 * in a default container: every attempt must fail.
 *
 *   escape_probe HOST_PID HOST_DEV_MAJOR HOST_DEV_MINOR HOST_CANARY NAME...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long host_pid, host_major, host_minor;
static const char *host_canary;

static int result(const char *name, long rc) {
    if (rc < 0)
        printf("%s=%s\n", name, strerrorname_np(errno));
    else
        printf("%s=ok\n", name);
    return 0;
}

static long write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    long rc = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long open_device(int kind, const char *path) {
    unlink(path);
    if (mknod(path, kind | 0600, makedev(host_major, host_minor)) < 0)
        return -1;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static long read_kcore(void) {
    /* Masked (reads nothing) where the kernel has it; absent where it does not. */
    char buffer[16];
    int fd = open("/proc/kcore", O_RDONLY);
    if (fd < 0)
        return -1;
    long n = read(fd, buffer, sizeof buffer);
    close(fd);
    if (n == 0) {
        errno = ENODATA;
        return -1;
    }
    return n;
}

static long through_proc_root(void) {
    char path[4096];
    snprintf(path, sizeof path, "/proc/1/root%s", host_canary);
    return open(path, O_RDONLY);
}

static long chroot_breakout(void) {
    /* The classic escape: chroot deeper, climb out with "..", chroot there. */
    mkdir("/tmp/jail", 0700);
    if (chroot("/tmp/jail") < 0)
        return -1;
    for (int i = 0; i < 64; i++)
        chdir("..");
    chroot(".");
    return open(host_canary, O_RDONLY);
}

static long raise_nofile(void) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_max = limit.rlim_max * 2 + 1;
    limit.rlim_cur = limit.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &limit);
}

static long set_time(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_sec += 3600;
    return clock_settime(CLOCK_REALTIME, &now);
}

static long bpf_load(void) {
    char attr[128] = {0};
    return syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, attr, sizeof attr);
}

static long perf_open(void) {
    char attr[128] = {0};
    *(unsigned *)(attr + 4) = sizeof attr; /* size */
    return syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
}

static long attempt(const char *name) {
    if (!strcmp(name, "mount"))
        return mount("none", "/mnt", "tmpfs", 0, NULL);
    if (!strcmp(name, "umount-proc"))
        return umount2("/proc/sys", MNT_DETACH);
    if (!strcmp(name, "remount-sys-rw"))
        return mount(NULL, "/sys", NULL, MS_REMOUNT | MS_BIND, NULL);
    if (!strcmp(name, "unshare-user"))
        return unshare(CLONE_NEWUSER);
    if (!strcmp(name, "unshare-mount"))
        return unshare(CLONE_NEWNS);
    if (!strcmp(name, "setns-net")) {
        int fd = open("/proc/self/ns/net", O_RDONLY);
        return setns(fd, 0);
    }
    if (!strcmp(name, "write-proc-sys"))
        return write_file("/proc/sys/kernel/core_pattern", "|/tmp/evil");
    if (!strcmp(name, "write-sysrq"))
        return write_file("/proc/sysrq-trigger", "h");
    if (!strcmp(name, "read-kcore"))
        return read_kcore();
    if (!strcmp(name, "init-module"))
        return syscall(SYS_init_module, NULL, 0, "");
    if (!strcmp(name, "finit-module"))
        return syscall(SYS_finit_module, 0, "", 0);
    if (!strcmp(name, "open-host-disk"))
        return open_device(S_IFBLK, "/tmp/disk");
    if (!strcmp(name, "open-host-disk-as-char"))
        return open_device(S_IFCHR, "/tmp/disk-char");
    if (!strcmp(name, "ptrace-host-process"))
        return ptrace(PTRACE_ATTACH, (pid_t)host_pid, NULL, NULL);
    if (!strcmp(name, "signal-host-process"))
        return kill((pid_t)host_pid, 0);
    if (!strcmp(name, "proc-root-to-host"))
        return through_proc_root();
    if (!strcmp(name, "write-proc-self-exe"))
        return open("/proc/self/exe", O_WRONLY);
    if (!strcmp(name, "chroot-breakout"))
        return chroot_breakout();
    if (!strcmp(name, "sethostname"))
        return sethostname("escaped", 7);
    if (!strcmp(name, "setdomainname"))
        return setdomainname("escaped", 7);
    if (!strcmp(name, "set-time"))
        return set_time();
    if (!strcmp(name, "adjtimex")) {
        struct timex change = {.modes = ADJ_OFFSET, .offset = 1000};
        return adjtimex(&change);
    }
    if (!strcmp(name, "cgroup-memory-limit"))
        return write_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", "-1");
    if (!strcmp(name, "cgroup-pids-max"))
        return write_file("/sys/fs/cgroup/pids/pids.max", "max");
    if (!strcmp(name, "raise-rlimit"))
        return raise_nofile();
    if (!strcmp(name, "af-alg"))
        return socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
    if (!strcmp(name, "keyctl"))
        return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
    if (!strcmp(name, "add-key"))
        return syscall(SYS_add_key, "user", "escape", "x", 1, -3);
    if (!strcmp(name, "io-uring")) {
        char params[120] = {0};
        return syscall(425 /* io_uring_setup */, 1, params);
    }
    if (!strcmp(name, "userfaultfd"))
        return syscall(SYS_userfaultfd, 0);
    if (!strcmp(name, "bpf"))
        return bpf_load();
    if (!strcmp(name, "perf-event-open"))
        return perf_open();
    if (!strcmp(name, "kexec-load"))
        return syscall(SYS_kexec_load, 0, 0, NULL, 0);
    if (!strcmp(name, "kexec-file-load"))
        return syscall(SYS_kexec_file_load, -1, -1, 0, "", 0);
    if (!strcmp(name, "reboot"))
        return reboot(RB_DISABLE_CAD);
    if (!strcmp(name, "swapon"))
        return swapon("/tmp/disk", 0);
    if (!strcmp(name, "open-by-handle")) {
        char handle[64] = {0};
        *(unsigned *)handle = 8;
        return syscall(SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY);
    }
    if (!strcmp(name, "iopl"))
        return syscall(SYS_iopl, 3);
    errno = EINVAL;
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST_PID MAJOR MINOR CANARY NAME...\n", argv[0]);
        return 2;
    }
    host_pid = atol(argv[1]);
    host_major = atol(argv[2]);
    host_minor = atol(argv[3]);
    host_canary = argv[4];
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 5; i < argc; i++) {
        /* Each attempt in a child of its own, so a chroot or unshare cannot skew the next. */
        pid_t child = fork();
        if (child == 0) {
            result(argv[i], attempt(argv[i]));
            fflush(stdout);
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
    }
    return 0;
}
