"""The seccomp filter bwrap installs before it runs a script (`bwrap --seccomp FD`).

Namespaces and an unprivileged uid keep a script away from the host's files and processes; the
filter keeps it away from the kernel interfaces that have been the way out of such sandboxes:
namespace and mount manipulation, tracing, keyrings, eBPF, perf, io_uring, module loading,
kexec, reboot and the clock. Each denied call fails with EPERM (a script sees an ordinary
OSError, which is recorded like any other runtime error); a call from another architecture's ABI
(32-bit, x32) kills the process, libseccomp's default for a foreign architecture.

The list follows Docker's default profile where the two overlap, so both isolating backends
refuse the same calls. The program is compiled with libseccomp (through pyseccomp's ctypes
bindings) rather than written as raw BPF, so the syscall numbers come from libseccomp's tables.
"""

from __future__ import annotations

import errno
import os
import tempfile
from functools import lru_cache

DENIED = (
    # tracing and reading other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # namespaces and mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel keyrings, eBPF, perf, io_uring, userfaultfd, file handles
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "userfaultfd", "open_by_handle_at",
    "name_to_handle_at",
    # modules, kexec, reboot, swap, accounting, quotas, the kernel log
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "lookup_dcookie", "uselib",
    "vhangup", "iopl", "ioperm",
    # the clock
    "settimeofday", "clock_settime", "adjtimex", "clock_adjtime",
)  # fmt: skip

# clone() may make threads and processes, never new namespaces; clone3's flags sit behind a
# pointer a filter cannot read, so it reports ENOSYS and glibc falls back to clone().
CLONE_NEW_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
    "CLONE_NEWTIME": 0x00000080,
}


@lru_cache(maxsize=1)
def program() -> bytes:
    """The compiled BPF program (built once per process)."""
    import pyseccomp as sc

    filt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED:
        filt.add_rule(sc.ERRNO(errno.EPERM), name)
    for flag in CLONE_NEW_FLAGS.values():
        filt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    filt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as fh:
        filt.export_bpf(fh)
        fh.seek(0)
        return fh.read()


def program_fd() -> int:
    """A fresh, rewound file descriptor holding the program, for one bwrap (which reads it)."""
    fd = os.memfd_create("audioprobe-seccomp", os.MFD_CLOEXEC)
    os.write(fd, program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def available() -> tuple[bool, str]:
    """Whether the filter can be compiled here (libseccomp present)."""
    try:
        program()
    except (ImportError, OSError, RuntimeError) as exc:
        return False, (
            f"the seccomp filter cannot be built ({exc}): pip install pyseccomp and "
            "apt-get install libseccomp2"
        )
    return True, ""
