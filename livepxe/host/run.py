"""Every external program livepxe runs goes through here: found by name, its packages named when missing.

A user on Debian and one on Fedora/EL install different packages for the
same program (``bsdtar`` is ``libarchive-tools`` on Debian), so the one line
that says a program is missing names both, from `TOOLS`.  ``run`` and
``popen`` are `subprocess`'s, after that lookup; a failure of ``run(...,
check=True)`` is one LivepxeError line with the end of the program's stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..errors import LivepxeError

#: Folders an ordinary user's PATH may lack, for the programs that live there.
SBIN = "/usr/sbin:/sbin"


@dataclass(frozen=True)
class Tool:
    """A program, the other names distributions give it, and the packages that install it."""

    names: tuple[str, ...]
    debian: str
    fedora: str              # Fedora, and EL unless ``el`` says otherwise
    el: str = ""
    sbin: bool = False       # may live in /usr/sbin or /sbin

    def packages(self) -> str:
        if self.el and self.el != self.fedora:
            return f"{self.debian} (Debian), {self.fedora} (Fedora) or {self.el} (EL)"
        return f"{self.debian} (Debian) or {self.fedora} (Fedora/EL)"


TOOLS: dict[str, Tool] = {
    "grub-mkimage": Tool(("grub-mkimage", "grub2-mkimage"), "grub-common", "grub2-tools"),
    "grub-script-check": Tool(("grub-script-check", "grub2-script-check"), "grub-common", "grub2-tools-minimal"),
    # EL ships QEMU as qemu-kvm (/usr/libexec/qemu-kvm), which is not on PATH under this name.
    "qemu-system-x86_64": Tool(("qemu-system-x86_64",), "qemu-system-x86", "qemu-system-x86-core", "qemu-kvm"),
    "bsdtar": Tool(("bsdtar",), "libarchive-tools", "bsdtar"),
    "gzip": Tool(("gzip",), "gzip", "gzip"),
    "xz": Tool(("xz",), "xz-utils", "xz"),
    "zstd": Tool(("zstd",), "zstd", "zstd"),
    "pxelinux-options": Tool(("pxelinux-options",), "syslinux-utils", "syslinux-perl"),
    "mkfs.fat": Tool(("mkfs.fat",), "dosfstools", "dosfstools", sbin=True),
    "mcopy": Tool(("mcopy",), "mtools", "mtools"),
    "mmd": Tool(("mmd",), "mtools", "mtools"),
    "ip": Tool(("ip",), "iproute2", "iproute", sbin=True),
    "dnsmasq": Tool(("dnsmasq",), "dnsmasq-base", "dnsmasq", sbin=True),
}


def _tool(name: str) -> Tool:
    return TOOLS.get(name) or Tool((name,), name, name)


def which(name: str) -> str | None:
    """The path of ``name`` (or another name of it) on PATH, then in the sbin folders for programs kept there."""
    tool = _tool(name)
    for candidate in tool.names:
        found = shutil.which(candidate)
        if found:
            return found
    if tool.sbin:
        for candidate in tool.names:
            found = shutil.which(candidate, path=SBIN)
            if found:
                return found
    return None


def packages(name: str) -> str:
    """The packages that install ``name`` on Debian and on Fedora/EL, as one phrase."""
    return _tool(name).packages()


def missing(name: str, why: str = "") -> str:
    """The line that says ``name`` is missing: what it was for and which package installs it."""
    purpose = f" (needed {why})" if why else ""
    return f"{name} not found{purpose}: install {_tool(name).packages()}"


def require(name: str, why: str = "") -> str:
    """The path of ``name``; LivepxeError naming its packages when it is not installed."""
    path = which(name)
    if path is None:
        raise LivepxeError(missing(name, why))
    return path


def run(name: str, args: Sequence[str], *, why: str = "", check: bool = True,
        **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ``name args`` to the end (output captured as text unless told otherwise).

    With ``check``, a non-zero exit is a LivepxeError: "NAME failed WHY: <end of stderr>".
    """
    path = require(name, why)
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    proc = subprocess.run([path, *args], **kwargs)
    if check and proc.returncode != 0:
        raise LivepxeError(f"{name} failed{' ' + why if why else ''}: {failure_text(proc)}")
    return proc


def popen(name: str, args: Sequence[str], *, why: str = "", **kwargs: Any) -> subprocess.Popen:
    """Start ``name args`` (for streaming); LivepxeError naming its packages when it is not installed."""
    return subprocess.Popen([require(name, why), *args], **kwargs)


def python_module(module: str, args: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """Start one of livepxe's own helper processes (``python -m livepxe.serve.supervise``, the HTTP worker)
    with this interpreter, finding this livepxe even when it runs from a checkout."""
    here = str(Path(__file__).resolve().parents[2])
    env = kwargs.pop("env", None) or dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env, **kwargs)


def failure_text(proc: subprocess.CompletedProcess) -> str:
    """The last 200 characters a failed program said (stderr, else stdout) on one line, or its exit status."""
    said = proc.stderr or proc.stdout or ""
    if isinstance(said, bytes):
        said = said.decode(errors="replace")
    said = " ".join(said.split())
    return said[-200:] if said else f"exit status {proc.returncode}"


# Re-exported so callers wait on and stop processes without importing subprocess themselves.
PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
TimeoutExpired = subprocess.TimeoutExpired
Popen = subprocess.Popen
