"""The "unnecessary component" catalogue (images.md §5.5): what a runtime image should not hold.

Detection is by file presence in the squashed tree first (busybox applets and copied binaries
belong to no package), then by installed package name. Paths are relative to the image root,
as tar members are. Interpreters an application needs (python, node, java) are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass

SETUID = "setuid"


@dataclass(frozen=True)
class Category:
    """One kind of unnecessary component."""

    name: str
    label: str
    files: tuple[str, ...]
    packages: tuple[str, ...]
    package_prefixes: tuple[str, ...] = ()


_BIN = ("bin/", "usr/bin/", "sbin/", "usr/sbin/", "usr/local/bin/")


def _anywhere(*names: str) -> tuple[str, ...]:
    return tuple(prefix + name for name in names for prefix in _BIN)


CATALOGUE: tuple[Category, ...] = (
    Category("shell", "shell", _anywhere("sh", "bash", "ash", "dash", "zsh", "busybox"),
             ("bash", "dash", "zsh", "busybox", "busybox-binsh")),
    Category("package-manager", "package manager",
             _anywhere("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm",
                       "zypper"),
             ("apt", "dpkg", "apk-tools", "dnf", "yum", "microdnf", "rpm", "zypper")),
    Category("compiler", "compiler or build tool",
             _anywhere("gcc", "cc", "g++", "clang", "make", "ld", "as"),
             ("build-essential", "make", "binutils", "build-base", "musl-dev", "clang"),
             ("gcc", "g++", "cpp-")),
    Category("downloader", "downloader", _anywhere("curl", "wget"),
             ("curl", "wget", "curl-minimal")),
    Category("remote-access", "remote access",
             _anywhere("sshd", "ssh", "telnetd"),
             ("openssh-server", "openssh-client", "openssh", "openssh-clients", "telnetd")),
    Category("privilege-escalation", "privilege escalation tool",
             _anywhere("sudo", "su", "doas"), ("sudo", "doas")),
    Category("network-tools", "network tool",
             _anywhere("nc", "ncat", "netcat", "socat", "nmap", "tcpdump", "telnet"),
             ("socat", "nmap", "tcpdump", "telnet", "ncat"), ("netcat",)),
    Category("debug-tools", "debugging or admin tool",
             _anywhere("gdb", "strace", "vim", "vi", "nano", "git"),
             ("gdb", "strace", "vim", "nano", "git")),
    Category(SETUID, "setuid/setgid file", (), ()),
)
CATEGORIES = tuple(c.name for c in CATALOGUE)
BY_NAME = {c.name: c for c in CATALOGUE}
FILE_INDEX: dict[str, str] = {}
"""Path → category; the first category listing a path wins."""
for _category in CATALOGUE:
    for _path in _category.files:
        FILE_INDEX.setdefault(_path, _category.name)


def package_category(name: str) -> str | None:
    """Category of an installed package name, if it is a catalogued one."""
    lowered = name.lower()
    for category in CATALOGUE:
        if lowered in category.packages or any(lowered.startswith(p)
                                                for p in category.package_prefixes):
            return category.name
    if lowered.endswith("-dev") and lowered.startswith(("libc6", "linux-libc", "musl")):
        return "compiler"
    return None
