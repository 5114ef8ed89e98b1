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
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from .. import efi, note
from ..errors import LivepxeError
from ..verify import verify
from . import dnsmasq, grubearly, httploader, netif, plan, reach, sbdisk, siteconf
from .http import TreeServer, bind_error
from .steps import Step, StepLog

UEFI_CHOICES = ("auto", "signed", "early")
#: Signed chains whose GRUB reads a proxy offer (Fedora's carries "efinet: Add DHCP proxy support").
PROXY_AWARE = tuple(chain.name for chain in efi.SIGNED_CHAINS if chain.name.startswith("Fedora"))


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
    parser.add_argument("--http-port", type=int, default=80, metavar="P",
                        help="HTTP port (default 80; on another port GRUB loads over TFTP)")
    parser.add_argument("--dhcp", metavar="START,END", help="isolated lab without a DHCP server: hand out "
                                                            "addresses in this range (never on a LAN that has one)")
    parser.add_argument("--uefi", choices=UEFI_CHOICES, default="auto",
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
                        help="print equivalent dnsmasq, tftp-hpa and nginx configs for a site's own servers, "
                             "then exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    tree_note = note.read(args.tree.absolute())
    if tree_note is None:
        raise LivepxeError(f"{args.tree} has no livepxe.json: give a tree written by livepxe convert")
    dhcp_range = plan.parse_range(args.dhcp) if args.dhcp else None
    if args.print_config:
        address = _print_address(args)
        served = plan.make(args.tree, tree_note, args.interface, address, args.http_port, dhcp_range, args.ipxe_script)
        print(siteconf.render(served), end="")
        return 0
    if os.geteuid() != 0:
        raise LivepxeError("livepxe serve needs root: DHCP (port 67) and TFTP (port 69) are privileged ports")
    report = verify(args.tree)
    if not report.ok:
        raise LivepxeError(f"{args.tree} fails verify: {report.problems[0]}"
                           + (f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""))
    address = netif.choose(args.interface, args.address)
    served = plan.make(args.tree, tree_note, args.interface, address, args.http_port, dhcp_range, args.ipxe_script)
    check_ports(served)
    with _workdir() as work:
        served = dataclasses.replace(served, root=reach.reachable(served.root, work))
        served, tftp_root = _loaders(served, args, tree_note, work)
        _serve(served, tftp_root, work)
    return 0


def _print_address(args: argparse.Namespace) -> ipaddress.IPv4Interface:
    if args.address:
        text = args.address if "/" in args.address else f"{args.address}/24"
        try:
            return ipaddress.IPv4Interface(text)
        except ValueError:
            raise LivepxeError(f"--address {args.address!r} is not an IPv4 address") from None
    return netif.choose(args.interface)


def check_ports(served: plan.Plan) -> None:
    """Bind each port briefly, so a taken one is refused in one line before anything starts."""
    wanted = [(socket.SOCK_DGRAM, "0.0.0.0", 67, "DHCP"), (socket.SOCK_DGRAM, served.ip, 69, "TFTP"),
              (socket.SOCK_STREAM, served.ip, served.http_port, "HTTP")]
    if served.proxy:
        wanted.append((socket.SOCK_DGRAM, "0.0.0.0", 4011, "PXE proxy"))
    for kind, host, port, what in wanted:
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((host, port))
            except OSError as exc:
                proto = "udp" if kind == socket.SOCK_DGRAM else "tcp"
                raise LivepxeError(f"port {port}/{proto} ({what}) on {host} is taken ({exc.strerror}): "
                                   "stop the other server, or choose another --http-port") from None


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    """A private folder for dnsmasq's config and leases; dnsmasq reads it after dropping root, hence 0755."""
    work = Path(tempfile.mkdtemp(prefix="livepxe-serve-"))
    try:
        work.chmod(0o755)
        yield work
    finally:
        if reach.release(work):  # the tree's bind mount goes first: the tree is never deleted through it
            shutil.rmtree(work, ignore_errors=True)


def _loaders(served: plan.Plan, args: argparse.Namespace, tree_note: note.TreeNote,
             work: Path) -> tuple[plan.Plan, Path]:
    """The plan and TFTP root after choosing the loaders: ours go into a mirror of the root (links), never the tree.

    BIOS: ``lpxelinux.0`` fetching the rest over HTTP (`httploader`) unless
    ``--tftp-only``; UEFI: see ``--uefi`` and `grubearly`.
    """
    http_bios = not args.tftp_only and served.bios is not None and httploader.find() is not None
    if http_bios and not httploader.carries(tree_note.initrd_bytes):
        http_bios = False
        print(f"livepxe serve: note: BIOS clients without iPXE load the {tree_note.initrd_bytes >> 20} MiB initrd "
              f"over TFTP (pxelinux.0): lpxelinux's HTTP was not seen to load more than "
              f"{httploader.LARGEST_INITRD >> 20} MiB; iPXE clients still use HTTP", file=sys.stderr)
    uefi = args.uefi
    if uefi == "auto":
        uefi = "signed" if not served.proxy or tree_note.uefi_loaders in PROXY_AWARE else "early"
    early = uefi == "early" and served.uefi is not None and served.grub_config is not None
    if not (http_bios or early):
        return served, served.root
    mirror = work / "tftp"
    mirror.mkdir()
    for entry in served.root.iterdir():
        (mirror / entry.name).symlink_to(entry)
    if http_bios:
        httploader.build(mirror, served.http_base)
        served = dataclasses.replace(served, bios=httploader.IMAGE)
    if early:
        assert served.grub_config is not None and served.uefi is not None
        grubearly.build(mirror, served.ip, served.grub_config, served.http_port)
        signed = _signed_chain(served.root / served.uefi, tree_note)
        if signed is not None:
            sbdisk.build(mirror, *signed, served.ip, served.grub_config)
            served = dataclasses.replace(served, uefi_http=sbdisk.IMAGE)
        served = dataclasses.replace(served, uefi=grubearly.IMAGE)
    return served, mirror


def _signed_chain(shim: Path, tree_note: note.TreeNote) -> tuple[Path, Path] | None:
    """The tree's shim and the signed GRUB beside it, when the tree carries a signed chain."""
    grub = shim.with_name("grubx64.efi")
    if tree_note.uefi_signed and shim.is_file() and grub.is_file():
        return shim, grub
    return None


def _serve(served: plan.Plan, tftp_root: Path, work: Path) -> None:
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
                          _own_files(tftp_root) if tftp_root != served.root else {})
    except OSError as exc:
        raise bind_error(served.ip, served.http_port, exc) from None
    daemon = dnsmasq.Dnsmasq(config, steps.dnsmasq_line)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        http.start()
        daemon.start()
        _banner(served, tftp_root)
        while not stop.is_set() and daemon.running() and http.running():
            stop.wait(0.5)
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


def _own_files(tftp_root: Path) -> dict[str, Path]:
    """The loaders serve made in its TFTP mirror (regular files; the mirror's links name the tree's own)."""
    return {entry.name: entry for entry in tftp_root.iterdir() if not entry.is_symlink() and entry.is_file()}


def _banner(served: plan.Plan, tftp_root: Path) -> None:
    err = sys.stderr
    span = "-".join(served.dhcp_range) if served.dhcp_range else ""
    mode = "proxyDHCP (addresses come from the site's DHCP server)" if served.proxy else f"DHCP server for {span}"
    print(f"livepxe serve: {served.root} on {served.interface} {served.address}: {mode}; "
          f"TFTP {tftp_root}; HTTP {served.http_base}; Ctrl-C stops", file=err)
    routes = [f"BIOS {served.bios}" if served.bios else "", f"UEFI {served.uefi}" if served.uefi else "",
              f"UEFI HTTP Boot {served.uefi_http_url}" if served.uefi_http_url else "",
              f"iPXE {served.ipxe_url}" if served.ipxe_url else ""]
    print("livepxe serve: clients boot " + ", ".join(r for r in routes if r), file=err)
    if not served.proxy:
        print(f"livepxe serve: WARNING: this is now a DHCP server handing out {span} on {served.interface}: on a "
              "LAN that has a DHCP server this breaks other machines' networking; use it on an isolated lab "
              "network only", file=err)
    elif served.uefi == grubearly.IMAGE and served.uefi_http_url:
        print("livepxe serve: note: UEFI clients get an unsigned GRUB that names this server (the signed GRUB "
              "ignores proxy offers); Secure Boot clients refuse it and go on to UEFI HTTP Boot, where they get "
              f"{served.uefi_http_url}: the tree's signed shim and GRUB on a RAM disk, then config, kernel and "
              "initrd over TFTP", file=err)
    elif served.uefi == grubearly.IMAGE:
        print("livepxe serve: note: UEFI clients get an unsigned GRUB that names this server (the signed GRUB "
              "ignores proxy offers); Secure Boot clients refuse it, and this tree has no signed chain to offer "
              "them: convert on a host with shim-signed and grub-efi-amd64-signed", file=err)
    err.flush()
