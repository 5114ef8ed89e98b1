"""One boot harness for ``livepxe boot-test`` and ``livepxe verify --boot``: same options, same lines.

`boot_tree` finds the tree and its TFTP root, works out for each mode asked
for what the client would boot (skipping, in one line, a mode the tree or
its root has no loader for), gives the test client a serial console through
one overlay, boots each mode in QEMU and says the result: PASS or FAIL, the
seconds to userspace, the milestones, and on failure the last console
lines.  The caller decides where those lines go.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from ..errors import LivepxeError
from ..tree import ram
from . import host, modes, overlay
from .machine import BootResult, Watch, default_timeout
from .options import BootOptions
from .tree import MODES, BootTree, Route, locate


def boot_tree(folder: Path, options: BootOptions, default_modes: Sequence[str],
              say: Callable[[str], None]) -> bool:
    """Boot the tree in ``folder`` by each mode asked for; True when at least one booted and all passed."""
    wanted = options.modes or tuple(default_modes)
    if (options.config or options.bootfile) and len(set(wanted)) != 1:
        raise LivepxeError("--config and --loader name the files of one boot path: choose it with --mode")
    tree = locate(folder, options.config)
    ready: list[Route] = []
    http_base = tree.note.http_boot if tree.note else None
    for mode in (m for m in MODES if m in wanted):
        route = tree.route(mode, options.config, options.bootfile)
        if route.missing:
            say(f"boot {mode}: skipped, {route.missing}")
        elif http_base and modes.unreachable(http_base):
            say(f"boot {mode}: skipped, {modes.unreachable(http_base)}")
        else:
            ready.append(route)
    if not ready:
        say(f"boot: nothing to boot in {tree.root} by {', '.join(m for m in MODES if m in wanted)}")
        return False
    accel = host.choose_accel(options.accel, tree.kernel(ready[0]))
    with tempfile.TemporaryDirectory(prefix="livepxe-boot-") as scratch:
        served = tree.root
        if not options.as_is:
            built = overlay.build(tree.root, Path(scratch) / "tftp", ready, options.mac)
            served = built.root
            if built.added:
                say(f"for this test only, the kernel also gets: {' '.join(built.added)}")
        results = [_boot_one(tree, route, served, accel, options, Path(scratch), say, len(ready) > 1)
                   for route in ready]  # every mode boots, even after one failed: the report names each
        return all(results)


def _boot_one(tree: BootTree, route: Route, served: Path, accel: host.Accel, options: BootOptions, scratch: Path,
              say: Callable[[str], None], several: bool) -> bool:
    memory = options.memory_mib or ram.guest_mib(tree.client_mib(route))
    timeout = options.timeout or default_timeout(accel.name, tree.initrd_bytes(route))
    log = console_log_path(options.console_log, route.mode, several) or scratch / f"{route.mode}.log"
    if route.mode == "ipxe":
        how = f"{route.bootfile} over HTTP"
    else:
        how = f"{route.bootfile}, reading {'its own choice of config' if options.as_is else route.config}"
    http_base = tree.note.http_boot if tree.note else None
    config = (tree.root / route.config).read_text(errors="replace") if route.config else ""
    if http_base and (route.mode != "uefi" or "(http," in config):
        how += f"; kernel and initrd over HTTP from {http_base}"
    say(f"boot {route.mode}: {tree.root} via {how}; {memory} MiB, {accel.why}, limit {timeout:.0f} s")
    watch = Watch.marker(options.marker) if options.marker else Watch()
    result = modes.boot_route(route, served, memory, watch, accel, timeout, log, options.mac, options.firmware,
                              http_base)
    for line in result_lines(route.mode, result, options.lines):
        say(line)
    if options.console_log is not None:
        say(f"  console log: {log}")
    elif not result.passed:
        kept = Path(tempfile.mkstemp(prefix=f"livepxe-console-{route.mode}-", suffix=".log")[1])
        shutil.copyfile(log, kept)
        say(f"  full console log: {kept}")
    return result.passed


def console_log_path(given: Path | None, mode: str, several: bool) -> Path | None:
    """``--console-log FILE`` for one boot; with several, FILE with ``-MODE`` before its suffix."""
    if given is None or not several:
        return given
    return given.with_name(f"{given.stem}-{mode}{given.suffix}")


def result_lines(mode: str, result: BootResult, lines: int) -> list[str]:
    """What both commands print for one boot."""
    out = [f"boot {mode}: {result.summary()}"]
    if result.milestones:
        out.append("  timeline: " + ", ".join(f"{name} {t:.1f} s" for name, t in result.milestones.items()))
    if not result.passed:
        out.append(f"  last {lines} console lines:")
        out += [f"  | {line}" for line in result.last_lines(lines)]
    return out
