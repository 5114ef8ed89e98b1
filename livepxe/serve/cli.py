"""``livepxe serve TREE --interface IF``: serve a verified tree to the LAN until Ctrl-C or SIGTERM.

Refusals are one line (LivepxeError): not root, interface missing or
without IPv4, a port taken, a tree that fails ``verify``.  While it runs it
prints one line per client step and nothing else; on exit it stops dnsmasq
and the HTTP server and removes its temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import ipaddress
import itertools
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

from .. import signals, urls
from ..bootconf.text import printable
from ..catalogue import scan, serving
from ..errors import LivepxeError
from ..tree import note
from ..tree.verify import require_folder, verify
from . import dnsmasq, loaders, netif, otherdhcp, plan, reach, siteconf, tftpbind, tftpwatch, treewatch
from .http import TreeServer, bind_error
from .ports import check_ports
from .steps import Step, StepLog

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve a tree to the LAN: proxyDHCP + TFTP (dnsmasq) and HTTP, beside the site's DHCP server",
        description="Serve a tree written by livepxe to PXE clients on one interface. dnsmasq answers only PXE "
                    "clients (proxyDHCP: the site's DHCP server keeps handing out addresses) and serves TFTP; an "
                    "HTTP server serves the tree for iPXE and HTTP live roots. Runs until Ctrl-C or SIGTERM.")
    parser.add_argument("tree", type=Path, metavar="TREE", help="the tree (or, for integration, its --imagedir folder)")
    parser.add_argument("--interface", "-i", required=True, metavar="IF", help="the LAN interface to serve on")
    parser.add_argument("--address", metavar="A", help="the address to serve on, when IF has several "
                                                       "(with --print-config: A or A/PREFIX, IF need not exist here)")
    parser.add_argument("--http-port", type=urls.port_number, default=80, metavar="P",
                        help="HTTP port (default 80; on another port GRUB loads over TFTP)")
    parser.add_argument("--dhcp", metavar="START,END", help="isolated lab without a DHCP server: hand out "
                                                            "addresses in this range (never on a LAN that has one)")
    parser.add_argument("--uefi", choices=loaders.UEFI_CHOICES, default="auto",
                        help="UEFI boot chain over PXE: signed = the tree's shim + GRUB (behind a proxy only if the "
                             "site's DHCP names this host next-server); early = an unsigned GRUB that names this "
                             "server, while Secure Boot clients, refusing it, get the signed chain by UEFI HTTP Boot; "
                             "auto = signed with --dhcp or a proxy-aware GRUB, else early")
    parser.add_argument("--tftp-only", action="store_true",
                        help="BIOS clients fetch everything over TFTP (pxelinux.0) instead of only the first loader "
                             "(lpxelinux.0, then HTTP)")
    parser.add_argument("--no-ipxe-script", dest="ipxe_script", action="store_false",
                        help="iPXE clients (NIC ROMs) boot like their firmware (pxelinux/GRUB) instead of boot.ipxe")
    parser.add_argument("--print-config", action="store_true",
                        help="print configs for a site's own servers that hand out what serve would, run side by "
                             "side: dnsmasq (DHCP only), tftp-hpa (TFTP) and nginx (HTTP); then exit")
    parser.add_argument("--loader-dir", type=Path, metavar="DIR",
                        help="with --print-config: write the loaders serve would build (and links to the tree) "
                             "into this new folder, which the printed configs then serve")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; when the tree is replaced while served (``convert --force``), start over on the new one."""
    with tempfile.TemporaryDirectory(prefix="livepxe-serve-plan-") as scratch:
        for round_ in itertools.count():
            watch = treewatch.TreeWatch([args.tree])
            (Path(scratch) / str(round_)).mkdir()     # a host GRUB image a catalogue root needs is made here
            given = _tree_or_catalogue(require_folder(args.tree), Path(scratch) / str(round_))
            watch.add(args.tree / image.image_dir for image in given.images)
            replaced = _run(args, given, watch)
            if replaced is None:
                return 0
            print(f"livepxe serve: {replaced} was replaced while served (convert --force?): stopped serving the "
                  "old tree; serving the new one once it verifies (clients booting now start again)",
                  file=sys.stderr, flush=True)
            if not treewatch.wait_settled(args.tree):
                raise LivepxeError(f"{args.tree} was replaced while served and no tree settled there within "
                                   f"{treewatch.RETURN_SECONDS:.0f} s: serve stopped; start it again once the "
                                   "tree is in place")
    return 0


def _run(args: argparse.Namespace, given: _Served, watch: Optional[treewatch.TreeWatch] = None) -> Optional[Path]:
    """One round of serving ``given``; the replaced folder when ``watch`` saw the tree replaced, else None."""
    tree_note = given.note
    dhcp_range = plan.parse_range(args.dhcp) if args.dhcp else None
    if not args.print_config and os.geteuid() != 0:
        raise LivepxeError("livepxe serve needs root: DHCP (port 67) and TFTP (port 69) are privileged ports")
    for folder in [args.tree / i.image_dir for i in given.images] or [args.tree]:
        require_verified(folder)
    if args.print_config:
        served = serve_plan(args, tree_note, _print_address(args), dhcp_range, given.loaders)
        warn_downgrades(served)
        print(siteconf.render(served, _print_loaders(served, args)), end="")
        return None
    served = serve_plan(args, tree_note, netif.choose(args.interface, args.address), dhcp_range, given.loaders)
    check_ports(served)
    if not served.proxy:
        _refuse_a_second_dhcp_server(served.interface)
    warn_downgrades(served)
    with _workdir() as work:
        served = dataclasses.replace(served, root=reach.reachable(served.root, work))
        return _serve(served, loaders.build(served, work / "tftp"), work, watch or treewatch.TreeWatch())


def _refuse_a_second_dhcp_server(interface: str) -> None:
    other = otherdhcp.other_server(interface)
    if other:
        raise LivepxeError(f"another DHCP server ({other}) already hands out addresses on {interface}; a second one "
                           "(--dhcp) would break other machines' networking: serve without --dhcp (proxyDHCP, "
                           "beside it), or use --dhcp only on an isolated lab network")


@dataclasses.dataclass
class _Served:
    """What serve was given: a tree's note, or a catalogue root's (its images, and host loaders it adds)."""

    note: note.TreeNote
    images: List[scan.Image] = dataclasses.field(default_factory=list)
    loaders: Optional[serving.RootLoaders] = None


def _tree_or_catalogue(folder: Path, scratch: Path) -> _Served:
    """The tree's note, or for a TFTP root holding livepxe images the note of its catalogue."""
    tree_note = note.read(folder)
    if tree_note is not None:
        return _Served(tree_note)
    images = scan.images(folder)
    found = serving.root_loaders(folder, scratch, lambda line: log.warning("%s", line))
    root_note = serving.as_note(folder, images, found) if images else None
    if root_note is None:
        raise LivepxeError(f"{folder} has no livepxe.json and no catalogue menus: give a tree written by livepxe "
                           "convert, or a TFTP root images were converted into with --tftproot")
    return _Served(root_note, images, found)


def require_verified(tree: Path) -> None:
    """One line unless ``tree`` passes verify: printed configs and a running serve hand out only a sound tree."""
    report = verify(tree)
    if not report.ok:
        raise LivepxeError(f"{tree} fails verify: {report.problems[0]}"
                           + (f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""))


def serve_plan(args: argparse.Namespace, tree_note: note.TreeNote, address: ipaddress.IPv4Interface,
               dhcp_range: Optional[Tuple[str, str]], root_loaders: Optional[serving.RootLoaders] = None
               ) -> plan.Plan:
    """Every decision of a serve run, before anything starts: ``--print-config`` renders this same object."""
    served = plan.make(args.tree, tree_note, args.interface, address, args.http_port, dhcp_range, args.ipxe_script)
    if root_loaders is not None:
        served = dataclasses.replace(served, host_files=tuple(root_loaders.files.items()),
                                     made_files=tuple(root_loaders.texts.items()))
    return loaders.choose(served, tree_note, args.uefi, args.tftp_only)


def warn_downgrades(served: plan.Plan) -> None:
    """One warning line per downgrade the plan decided: what it costs and what to install."""
    for line in served.notes:
        log.warning("%s", line)


def _print_loaders(served: plan.Plan, args: argparse.Namespace) -> Path:
    """The TFTP root the printed configs name: the tree's, or ``--loader-dir`` holding the loaders serve builds."""
    if not served.builds:
        return served.root
    if args.loader_dir is None:
        raise LivepxeError(f"on this host serve hands out loaders it builds ({', '.join(served.builds)}); give "
                           "--loader-dir DIR (a new folder) to have them written there for your own servers, or "
                           "--tftp-only --uefi signed for configs that use only the tree's own loaders")
    if args.loader_dir.exists():
        raise LivepxeError(f"--loader-dir {args.loader_dir} exists: name a new folder")
    folder = loaders.build(served, args.loader_dir.absolute())
    siteconf.write_tftp_map(folder)
    return folder


def _print_address(args: argparse.Namespace) -> ipaddress.IPv4Interface:
    if args.address:
        text = args.address if "/" in args.address else f"{args.address}/24"
        try:
            return ipaddress.IPv4Interface(text)
        except ValueError:
            raise LivepxeError(f"--address {args.address!r} is not an IPv4 address") from None
    return netif.choose(args.interface)


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    """A private folder for dnsmasq's config and leases; dnsmasq reads it after dropping root, hence 0755.

    It records its owner's pid, so a folder a killed serve left is recognised and removed by the next one.
    It is removed only when nothing is mounted in it (`reach.remove_work`): never through the tree's bind.
    """
    _sweep_stale()
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX))
    try:
        work.chmod(0o755)
        (work / OWNER).write_text(f"{os.getpid()}\n")
        yield work
    finally:
        with signals.deferred():   # a second signal cannot cut the unmount-then-remove short
            left = reach.remove_work(work)
        if left:
            print(f"livepxe serve: left {left[0]}: the tree's bind mount could not be undone; it ends with this "
                  "process, then remove the folder (rm -r --one-file-system)", file=sys.stderr)


WORK_PREFIX = "livepxe-serve-"
OWNER = "owner.pid"


def _sweep_stale() -> None:
    """Remove work folders whose serve is gone (SIGKILL): their mounts died with its namespace."""
    for folder in Path(tempfile.gettempdir()).glob(WORK_PREFIX + "*"):
        try:
            info = folder.lstat()
            pid = int((folder / OWNER).read_text().strip())
        except (OSError, ValueError):
            continue
        if info.st_uid != os.geteuid() or not folder.is_dir() or folder.is_symlink() or _alive(pid):
            continue
        if not reach.remove_work(folder):
            log.debug("removed %s, left by serve %d", folder, pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _serve(served: plan.Plan, tftp_root: Path, work: Path, watch: treewatch.TreeWatch) -> Optional[Path]:
    """Run dnsmasq and the HTTP server until a stop signal (None) or until ``watch`` sees the tree replaced."""
    lock = threading.Lock()

    def say(step: Step) -> None:
        with lock:
            print(step.line(), flush=True)

    steps = StepLog(tftp_root, say)
    config = work / "dnsmasq.conf"
    config.write_text(dnsmasq.render(served, tftp_root, work / "leases" if not served.proxy else None))
    dnsmasq.check(config)
    try:
        http = TreeServer(served.root, served.ip, served.http_port, steps.http_request,
                          _own_files(tftp_root) if tftp_root != served.root else {}, device=served.interface)
    except OSError as exc:
        raise bind_error(served.ip, served.http_port, exc) from None
    daemon = dnsmasq.Dnsmasq(config, steps.dnsmasq_line)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        http.start()
        daemon.start()
        _pin_tftp(served, daemon)
        _banner(served, tftp_root, config)
        misses, probe_at = 0, time.monotonic() + tftpwatch.PERIOD_SECONDS
        while not stop.is_set() and daemon.running() and http.running():
            stop.wait(0.5)
            replaced = watch.replaced()
            if replaced is not None:
                return replaced
            if time.monotonic() >= probe_at:
                misses = 0 if tftpwatch.answers(served.ip) else misses + 1
                probe_at = time.monotonic() + tftpwatch.PERIOD_SECONDS
                if misses >= tftpwatch.MISSES:
                    daemon, misses = _unfreeze(served, daemon, work, config, steps.dnsmasq_line), 0
        if not stop.is_set() and not http.running():
            raise LivepxeError(f"the HTTP server exited unexpectedly: {http.failure()}")
        if not stop.is_set():
            why = daemon.failure[-1] if daemon.failure else "see its messages above"
            raise LivepxeError(f"dnsmasq exited unexpectedly: {why}")
    except KeyboardInterrupt:
        pass
    finally:
        daemon.stop()
        http.stop()
        signal.signal(signal.SIGTERM, previous)
    print("livepxe serve: stopped", file=sys.stderr)
    return None


def _unfreeze(served: plan.Plan, daemon: dnsmasq.Dnsmasq, work: Path, config: Path,
              on_line: Callable[[str], None]) -> dnsmasq.Dnsmasq:
    """dnsmasq stopped answering TFTP: when a FIFO of the tree holds it, cover that, restart dnsmasq if need be."""
    held = [(fifo, fd) for fifo in tftpwatch.fifos(served.root) if (fd := tftpwatch.writer(fifo)) >= 0]
    if not held:
        log.debug("TFTP did not answer a probe, and no FIFO holds dnsmasq: busy, not frozen")
        return daemon
    try:
        covered = [fifo for fifo, _ in held if tftpwatch.cover(fifo, work)]
    finally:
        for _, fd in held:
            os.close(fd)                # ends the open (or read) that waits
    found = [fifo for fifo, _ in held]
    names = ", ".join(os.path.relpath(fifo, served.root) for fifo in found[:3]) + (" ..." if len(found) > 3 else "")
    why = (f"{names} in the tree {'is a FIFO' if len(found) == 1 else 'are FIFOs'} (added while served; "
           f"{'now covered by an empty file, ' if covered else ''}remove it)")
    if tftpwatch.answers(served.ip):
        restarted = daemon
    else:
        daemon.stop()
        restarted = dnsmasq.Dnsmasq(config, on_line)
        restarted.start()
        _pin_tftp(served, restarted)
        why += "; dnsmasq restarted"
    print(printable(f"livepxe serve: TFTP and DHCP stopped answering: {why}", 400), file=sys.stderr, flush=True)
    return restarted


def _pin_tftp(served: plan.Plan, daemon: dnsmasq.Dnsmasq) -> None:
    """dnsmasq's TFTP answers on the served interface only (`tftpbind`); a warning line where that cannot be had."""
    assert daemon.proc is not None
    why = tftpbind.pin(daemon.proc.pid, served.ip, served.interface)
    if why:
        log.warning("TFTP also answers clients routed to %s through other interfaces: %s (needs Linux 5.6)",
                    served.ip, why)


def _own_files(tftp_root: Path) -> dict[str, Path]:
    """The loaders serve made in its TFTP mirror (regular files; the mirror's links name the tree's own)."""
    return {entry.name: entry for entry in tftp_root.iterdir() if not entry.is_symlink() and entry.is_file()}


def _banner(served: plan.Plan, tftp_root: Path, config: Path) -> None:
    err = sys.stderr
    span = "-".join(served.dhcp_range) if served.dhcp_range else ""
    mode = "proxyDHCP (addresses come from the site's DHCP server)" if served.proxy else f"DHCP server for {span}"
    print(f"livepxe serve: {served.root} on {served.interface} {served.address}: {mode}; "
          f"TFTP {tftp_root}; HTTP {served.http_base}; dnsmasq runs {config}; Ctrl-C stops", file=err)
    print("livepxe serve: clients boot " + ", ".join(served.routes()), file=err)
    if not served.proxy:
        print(f"livepxe serve: WARNING: this is now a DHCP server handing out {span} on {served.interface}: on a "
              "LAN that has a DHCP server this breaks other machines' networking; use it on an isolated lab "
              "network only", file=err)
    err.flush()
