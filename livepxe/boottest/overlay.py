"""Boot a user's PXE tree with a serial console, without touching the tree.

A tree made for real machines rarely has ``console=ttyS0``, so its kernel
would log nowhere QEMU can read. `prepare` builds a throw-away TFTP root
of symbolic links to the tree and adds one file: ``pxelinux.cfg/01-<mac>``,
a copy of the chosen config whose APPEND lines gain the console arguments.
pxelinux looks up ``01-<mac>`` before anything else, so the test client —
and only it — boots that copy, whichever config (``default`` or an
integration-mode name) it came from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import LivepxeError

#: Arguments that make the boot legible on the serial port: the kernel's console,
#: and systemd's status lines (its "Welcome to …!" is how userspace is recognised).
CONSOLE_ARGS = ("console=ttyS0,115200", "systemd.show_status=1")
PXELINUX_BOOTFILES = ("pxelinux.0", "lpxelinux.0")
_APPEND = re.compile(r"^(\s*append\s+)(.*)$", re.IGNORECASE)
_KERNEL = re.compile(r"^\s*(?:kernel|linux)\s+(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class TreeBoot:
    """Where a tree boots from: the TFTP root to serve and the file to start."""

    root: Path
    bootfile: str
    config: Path  # the pxelinux config the client will read
    kernel: Path | None  # its first kernel, on the host (for the KVM probe)
    added: tuple[str, ...] = ()  # kernel arguments the test copy adds


def mac_config_name(mac: str) -> str:
    """pxelinux's per-client file name: ``01-`` (Ethernet) and the MAC, dashed, lowercase."""
    return "01-" + mac.lower().replace(":", "-")


def find_config(tree: Path, name: str | None) -> Path:
    """The config to boot: ``name`` if given, else ``default``, else the only one there."""
    cfgdir = tree / "pxelinux.cfg"
    if not cfgdir.is_dir():
        raise LivepxeError(f"{tree} has no pxelinux.cfg folder: give the TFTP root of a livepxe tree")
    if name:
        path = cfgdir / name
        if not path.is_file():
            raise LivepxeError(f"no config {path}: --config names a file in {cfgdir}")
        return path
    if (cfgdir / "default").is_file():
        return cfgdir / "default"
    configs = sorted(p for p in cfgdir.iterdir() if p.is_file())
    if len(configs) == 1:
        return configs[0]
    names = ", ".join(p.name for p in configs) or "none"
    raise LivepxeError(f"{cfgdir} has no 'default' and several configs ({names}): choose one with --config")


def find_bootfile(tree: Path, bootfile: str | None) -> str:
    if bootfile:
        if not (tree / bootfile).is_file():
            raise LivepxeError(f"boot file {tree / bootfile} not found")
        return bootfile
    for name in PXELINUX_BOOTFILES:
        if (tree / name).is_file():
            return name
    raise LivepxeError(f"no pxelinux.0 in {tree}: copy your TFTP server's pxelinux.0 and ldlinux.c32 "
                       "there, or name the boot file with --bootfile")


def first_kernel(tree: Path, config_text: str) -> Path | None:
    """The host path of the config's first kernel (paths are relative to the TFTP root)."""
    for line in config_text.splitlines():
        m = _KERNEL.match(line)
        if m:
            path = tree / m.group(1).lstrip("/")
            return path if path.is_file() else None
    return None


def referenced_files(tree: Path, config_text: str) -> list[Path]:
    """Kernels and initrds the config names, as host paths that exist (for sizing)."""
    names: list[str] = []
    for line in config_text.splitlines():
        m = _KERNEL.match(line)
        if m:
            names.append(m.group(1))
        m = _APPEND.match(line)
        if m:
            for word in m.group(2).split():
                if word.startswith("initrd="):
                    names += word[len("initrd="):].split(",")
        m = re.match(r"^\s*initrd\s+(\S+)", line, re.IGNORECASE)
        if m:
            names += m.group(1).split(",")
    paths = []
    for name in dict.fromkeys(names):
        path = tree / name.lstrip("/")
        if path.is_file():
            paths.append(path)
    return paths


def add_args(config_text: str, extra: Sequence[str]) -> str:
    """Append each of ``extra`` to every APPEND line that does not already carry it."""
    out = []
    for line in config_text.splitlines():
        m = _APPEND.match(line)
        if m and m.group(2).strip() != "-":
            words = m.group(2).split()
            missing = [arg for arg in extra if not _has_arg(words, arg)]
            line = m.group(1) + " ".join(words + missing)
        out.append(line)
    return "\n".join(out) + "\n"


def _has_arg(words: list[str], arg: str) -> bool:
    key = arg.split("=", 1)[0]
    if key == "console":  # several consoles may coexist; only the same device counts
        device = arg.split("=", 1)[1].split(",")[0]
        return any(w.split("=", 1)[-1].split(",")[0] == device for w in words if w.startswith("console="))
    return any(w == arg or w.split("=", 1)[0] == key for w in words)


def prepare(tree: Path, scratch: Path, mac: str, config: str | None = None,
            bootfile: str | None = None, extra: Sequence[str] = CONSOLE_ARGS) -> TreeBoot:
    """Mirror ``tree`` into ``scratch`` (links) with the console-enabled per-MAC config."""
    tree = tree.resolve()
    if not tree.is_dir():
        raise LivepxeError(f"{tree} is not a folder: give the TFTP root of a livepxe tree")
    source = find_config(tree, config)
    boot_name = find_bootfile(tree, bootfile)
    text = source.read_text(errors="replace")
    scratch.mkdir(parents=True, exist_ok=True)
    for entry in tree.iterdir():
        if entry.name != "pxelinux.cfg":
            os.symlink(entry, scratch / entry.name)
    cfgdir = scratch / "pxelinux.cfg"
    cfgdir.mkdir()
    for entry in (tree / "pxelinux.cfg").iterdir():
        os.symlink(entry, cfgdir / entry.name)
    routed = cfgdir / mac_config_name(mac)
    if routed.is_symlink() or routed.exists():
        routed.unlink()
    patched = add_args(text, extra)
    routed.write_text(patched)
    added = tuple(a for a in extra if a not in text.split() and a in patched.split())
    return TreeBoot(root=scratch, bootfile=boot_name, config=source,
                    kernel=first_kernel(tree, text), added=added)


def as_is(tree: Path, bootfile: str | None = None) -> TreeBoot:
    """Boot the tree exactly as it is: pxelinux picks its config as on the real network."""
    tree = tree.resolve()
    source = find_config(tree, None)
    return TreeBoot(root=tree, bootfile=find_bootfile(tree, bootfile), config=source,
                    kernel=first_kernel(tree, source.read_text(errors="replace")))
