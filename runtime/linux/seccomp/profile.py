"""A seccomp profile equivalent to Docker's default, rendered as the OCI `linux.seccomp` object.

Docker's profile is an allowlist: everything not named fails with EPERM. Some
calls are allowed only with a capability (mount with CAP_SYS_ADMIN, ptrace
with CAP_SYS_PTRACE, ...) or only with safe arguments (clone without
namespace flags, personality with the few harmless values, socket for any
family but AF_VSOCK). Two departures, both refusals: io_uring is left out, as
Docker has since 23.0, and AF_ALG sockets fail (see AF_ALG). Those conditions are resolved here, for the container's
capability set and architecture, the way Docker resolves them before handing
the profile to the runtime; the result is plain OCI that runc and crun read too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

# The unconditional allowlist, grouped by what the calls are for.
_FILES = """
access chdir chmod chown chown32 close close_range copy_file_range creat dup dup2 dup3
faccessat faccessat2 fadvise64 fadvise64_64 fallocate fchdir fchmod fchmodat fchown fchown32
fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futimesat getcwd getdents getdents64
getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch lchown lchown32 lgetxattr
link linkat listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 mkdir mkdirat
mknod mknodat name_to_handle_at newfstatat open openat openat2 pread64 preadv preadv2 pwrite64
pwritev pwritev2 read readahead readlink readlinkat readv removexattr rename renameat renameat2
rmdir sendfile sendfile64 setxattr splice stat stat64 statfs statfs64 statx symlink symlinkat
sync sync_file_range syncfs tee truncate truncate64 umask unlink unlinkat utime utimensat
utimensat_time64 utimes vmsplice write writev fanotify_mark
"""
_EVENTS = """
epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 _newselect pause poll ppoll ppoll_time64 pselect6
pselect6_time64 select signalfd signalfd4 timerfd_create timerfd_gettime timerfd_gettime64
timerfd_settime timerfd_settime64 io_cancel io_destroy io_getevents io_pgetevents
io_pgetevents_time64 io_setup io_submit
"""
_MEMORY = """
brk madvise membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap mmap2
mprotect mremap msync munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect
remap_file_pages process_mrelease
"""
_PROCESSES = """
capget capset execve execveat exit exit_group fork vfork getcpu getegid getegid32 geteuid
geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpgid getpgrp getpid getppid
getpriority getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage
getsid get_thread_area gettid getuid getuid32 ioprio_get ioprio_set kill pidfd_open
pidfd_send_signal prctl prlimit64 restart_syscall rseq rt_sigaction rt_sigpending
rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32
setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid set_thread_area
set_tid_address setuid setuid32 sigaltstack sigprocmask sigreturn tgkill tkill ugetrlimit
wait4 waitid waitpid times sysinfo uname landlock_add_rule landlock_create_ruleset
landlock_restrict_self ptrace process_vm_readv process_vm_writev
"""
_TIME = """
alarm adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
clock_gettime64 clock_nanosleep clock_nanosleep_time64 gettimeofday nanosleep time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 futex futex_time64 futex_waitv getrandom
"""
_NETWORK_AND_IPC = """
accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg
recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socketcall socketpair
ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd semctl semget semop semtimedop
semtimedop_time64 shmat shmctl shmdt shmget pipe pipe2 ioctl
"""
ALLOWED = tuple(
    sorted(
        {
            name
            for group in (_FILES, _EVENTS, _MEMORY, _PROCESSES, _TIME, _NETWORK_AND_IPC)
            for name in group.split()
        }
    )
)

# Calls a capability unlocks, as Docker grants them.
_BY_CAPABILITY = {
    "CAP_DAC_READ_SEARCH": "open_by_handle_at",
    "CAP_SYS_ADMIN": (
        "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
        "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
        "sethostname setns syslog umount umount2 unshare"
    ),
    "CAP_SYS_BOOT": "reboot",
    "CAP_SYS_CHROOT": "chroot",
    "CAP_SYS_MODULE": "delete_module init_module finit_module",
    "CAP_SYS_PACCT": "acct",
    "CAP_SYS_PTRACE": "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
    "CAP_SYS_RAWIO": "iopl ioperm",
    "CAP_SYS_TIME": "settimeofday stime clock_settime clock_settime64",
    "CAP_SYS_TTY_CONFIG": "vhangup",
    "CAP_SYS_NICE": "get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
    "CAP_SYSLOG": "syslog",
    "CAP_BPF": "bpf",
    "CAP_PERFMON": "perf_event_open",
}
# Calls allowed on some architectures only.
_BY_ARCH = {
    "x86_64": "arch_prctl modify_ldt",
    "aarch64": "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
}
_ARCHITECTURES = {
    "x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
}
# personality(2) values that do not weaken the process: PER_LINUX, PER_LINUX32,
# UNAME26, UNAME26|PER_LINUX32, and the 0xffffffff query.
_PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)
# clone(2) flags that create namespaces; without CAP_SYS_ADMIN they are refused.
CLONE_NAMESPACE_FLAGS = 0x7E020000
AF_VSOCK = 40
# Beyond Docker's profile: the kernel crypto sockets (AF_ALG) have been a way in for several
# kernel exploits and are seldom needed in a container; they fail as if the kernel had none.
AF_ALG = 38
EAFNOSUPPORT = 97
ENOSYS = 38
EPERM = 1


def default_profile(capabilities: Iterable[str], arch: str | None = None) -> dict[str, Any]:
    """Docker's default seccomp profile for a process holding `capabilities`, as OCI JSON."""
    machine = arch or os.uname().machine
    caps = set(capabilities)
    allowed = set(ALLOWED)
    allowed.update(_BY_ARCH.get(machine, "").split())
    for cap, names in _BY_CAPABILITY.items():
        if cap in caps:
            allowed.update(names.split())
    rules: list[dict[str, Any]] = [{"names": sorted(allowed), "action": "SCMP_ACT_ALLOW"}]
    # Before the socket rule that allows it: first match wins here, the stricter action in
    # libseccomp (runc, crun), so both refuse it.
    rules.append(
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": EAFNOSUPPORT,
            "args": [{"index": 0, "value": AF_ALG, "op": "SCMP_CMP_EQ"}],
        }
    )
    rules.append(
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": AF_VSOCK, "op": "SCMP_CMP_NE"}],
        }
    )
    for value in _PERSONALITIES:
        rules.append(
            {
                "names": ["personality"],
                "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": value, "op": "SCMP_CMP_EQ"}],
            }
        )
    if "CAP_SYS_ADMIN" not in caps:
        rules.append(
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ALLOW",
                "args": [
                    {
                        "index": 0,
                        "value": CLONE_NAMESPACE_FLAGS,
                        "valueTwo": 0,
                        "op": "SCMP_CMP_MASKED_EQ",
                    }
                ],
            }
        )
        # Refused as "not implemented" so C libraries fall back to clone(2).
        rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": EPERM,
        "architectures": _ARCHITECTURES.get(machine, []),
        "syscalls": rules,
    }
