"""serve's parts without a network: plan, dnsmasq config (checked by dnsmasq --test), step lines, HTTP, refusals."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from livepxe.cli import main
from livepxe.errors import LivepxeError
from livepxe.serve import cli, dnsmasq, grubearly, httploader, loaders, netif, plan, reach, siteconf
from livepxe.serve.http import Request, TreeServer
from livepxe.serve.steps import Step, StepLog
from livepxe.tree import note
from tests.boottest.trees import self_contained
from tests.fixtures import special

ADDRESS = ipaddress.IPv4Interface("198.18.0.2/24")
#: What dnsmasq 2.90 logged for an iPXE BIOS client and a UEFI client behind a site's DHCP server.
LOG = """dnsmasq-dhcp[7360]: 776118385 vendor class: PXEClient:Arch:00000:UNDI:002001
dnsmasq-dhcp[7360]: 776118385 user class: iPXE
dnsmasq-dhcp[7360]: 776118385 PXE(eth0) 52:54:00:12:34:56 proxy
dnsmasq-dhcp[7360]: 776118385 tags: ipxe, eth0
dnsmasq-dhcp[7360]: 776118385 PXE(eth0) 52:54:00:12:34:56 proxy
dnsmasq-dhcp[7360]: 0 vendor class: PXEClient:Arch:00000:UNDI:002001
dnsmasq-dhcp[7360]: 0 user class: iPXE
dnsmasq-dhcp[7360]: 0 PXE(eth0) 198.18.0.111 52:54:00:12:34:56 pxelinux.0
dnsmasq-tftp[7360]: sent {root}/pxelinux.0 to 198.18.0.111
dnsmasq-tftp[7360]: file {root}/pxelinux.cfg/01-52-54-00-12-34-56 not found for 198.18.0.111
dnsmasq-dhcp[7360]: 83866560 vendor class: PXEClient:Arch:00007:UNDI:003000
dnsmasq-dhcp[7360]: 83866560 PXE(eth0) 198.18.0.112 52:54:00:ab:cd:ef bootx64.efi
dnsmasq-tftp[7360]: error 8 User aborted the transfer received from 198.18.0.112
dnsmasq-tftp[7360]: file {root}/revocations_sbat.efi not found for 198.18.0.112
dnsmasq[7360]: exiting on receipt of SIGTERM
"""


@pytest.fixture
def tree(tiny_iso: Path, tmp_path: Path) -> Path:
    root = self_contained(tiny_iso, tmp_path / "tree")
    for folder in (tmp_path, *tmp_path.parents):
        folder.chmod(folder.stat().st_mode | 0o001)
    return root


def _plan(tree: Path, **kw) -> plan.Plan:
    tree_note = note.read(tree)
    assert tree_note is not None
    return plan.make(tree, tree_note, "eth0", ADDRESS, 8080, **kw)


def test_plan_routes_each_firmware_to_the_trees_boot_file(tree):
    served = _plan(tree)
    assert (served.bios, served.ipxe_url, served.proxy) == ("pxelinux.0", "http://198.18.0.2:8080/boot.ipxe", True)
    assert served.uefi in (None, "bootx64.efi", "grubnetx64.efi")
    assert _plan(tree, ipxe_script=False).ipxe_url is None


@pytest.mark.parametrize("text, problem", [("198.18.0.10", "START,END"), ("198.18.0.20,198.18.0.10", "ends before"),
                                          ("198.18.1.10,198.18.1.20", "outside"), ("198.18.0.1,198.18.0.9", "own")])
def test_dhcp_ranges_that_cannot_work_are_refused(tree, text, problem):
    with pytest.raises(LivepxeError, match=problem):
        _plan(tree, dhcp_range=plan.parse_range(text))


def test_the_first_folder_others_cannot_enter_is_found(tree, tmp_path, monkeypatch):
    assert reach.closed_folder(tree) is None
    tree.parent.chmod(0o700)
    assert reach.closed_folder(tree) == tree.parent

    def no_namespace() -> None:
        raise OSError(1, "unshare(CLONE_NEWNS): Operation not permitted")
    monkeypatch.setattr(reach, "_private_mounts", no_namespace)
    work = tmp_path / "work"
    work.mkdir()
    assert reach.reachable(tree.parent.parent, work) == tree.parent.parent  # open, no namespace: served in place


def test_without_a_private_bind_mount_a_closed_folder_is_refused_naming_it(tree, tmp_path, monkeypatch):
    def no_namespace() -> None:
        raise OSError(1, "unshare(CLONE_NEWNS): Operation not permitted")
    monkeypatch.setattr(reach, "_private_mounts", no_namespace)
    tree.parent.chmod(0o700)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(LivepxeError, match=f"{tree.parent} is not world-searchable.*chmod o[+]x {tree.parent}"):
        reach.reachable(tree, work)
    assert not any(p.is_mount() for p in work.iterdir())


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="needs dnsmasq (dnsmasq-base)")
@pytest.mark.parametrize("dhcp_range", [None, ("198.18.0.100", "198.18.0.150")])
def test_dnsmasq_accepts_the_config_in_both_modes(tree, tmp_path, dhcp_range):
    served = _plan(tree, dhcp_range=dhcp_range)
    config = tmp_path / "dnsmasq.conf"
    config.write_text(dnsmasq.render(served, served.root, tmp_path / "leases"))
    dnsmasq.check(config)
    text = config.read_text()
    if dhcp_range:
        assert "proxy" not in text and "dhcp-boot=tag:!ipxe,tag:!efi-x86_64,pxelinux.0" in text
        assert "dhcp-boot=tag:ipxe,http://198.18.0.2:8080/boot.ipxe" in text
    else:
        assert "dhcp-range=198.18.0.2,proxy,255.255.255.0" in text and "dhcp-boot" not in text
        assert 'pxe-service=tag:!ipxe,x86PC,"' in text and text.count("http://198.18.0.2:8080/boot.ipxe") == 3
        assert "BC_EFI" in text


def test_a_lab_range_answers_at_once_and_leases_every_address(tree):
    # Issue 16: dnsmasq's ping before each offer held 10 simultaneous clients to one lease in 18 s.
    lab = _plan(tree, dhcp_range=("198.18.0.100", "198.18.0.150"))
    assert {"no-ping", "dhcp-lease-max=1000"} <= set(dnsmasq.render(lab, tree).splitlines())
    wide = dataclasses.replace(lab, address=ipaddress.IPv4Interface("198.18.0.2/15"),
                               dhcp_range=("198.18.0.1", "198.19.255.254"))
    assert f"dhcp-lease-max={2 * 65536 - 2}" in dnsmasq.render(wide, tree).splitlines()
    assert "no-ping" not in dnsmasq.render(_plan(tree), tree)       # proxyDHCP allocates no address


def test_a_path_dnsmasq_cannot_carry_is_refused(tree):
    served = _plan(tree)
    with pytest.raises(LivepxeError, match="cannot carry"):
        dnsmasq.render(served, Path("/srv/my tree"))


def test_steps_from_dnsmasqs_log_name_mac_firmware_file_and_bytes(tree):
    steps: list[Step] = []
    clock = iter(range(100)).__next__
    log = StepLog(tree, steps.append, clock=lambda: float(clock()), arp=lambda ip: None)
    for line in LOG.format(root=tree).splitlines():
        log.dnsmasq_line(line)
    log.http_request(Request("198.18.0.111", "/initrd0.img", 200, 0, 0.0, "HEAD"))
    log.http_request(Request("198.18.0.111", "/initrd0.img", 200, 50_000_000, 2.0))
    lines = [s.line() for s in steps]
    size = (tree / "pxelinux.0").stat().st_size
    assert lines == [
        "52:54:00:12:34:56 iPXE/BIOS  dhcp proxy offer",
        "52:54:00:12:34:56 iPXE/BIOS  dhcp boot pxelinux.0",
        Step("52:54:00:12:34:56", "iPXE/BIOS", "tftp pxelinux.0", size, 1.0).line(),
        "52:54:00:ab:cd:ef UEFI       dhcp boot bootx64.efi",
        "52:54:00:ab:cd:ef UEFI       tftp revocations_sbat.efi not found",
        "52:54:00:12:34:56 iPXE/BIOS  http /initrd0.img 47.7 MiB in 2.0 s (25.0 MB/s)",
    ], lines


def test_http_server_serves_the_tree_and_reports_bytes(tree):
    seen: list[Request] = []
    server = TreeServer(tree, "127.0.0.1", 0, seen.append)
    server.start()
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/boot.ipxe", timeout=10).read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10)
        deadline = time.monotonic() + 10   # the worker reports each request as it ends (late on a busy host)
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    assert body == (tree / "boot.ipxe").read_bytes()
    assert (seen[0].path, seen[0].status, seen[0].nbytes) == ("/boot.ipxe", 200, len(body))
    assert seen[1].status == 404   # no listings, no index files


def test_the_interface_must_exist_and_hold_the_address():
    assert str(netif.choose("lo").ip) == "127.0.0.1"
    with pytest.raises(LivepxeError, match="does not exist"):
        netif.choose("livepxe-none0")
    with pytest.raises(LivepxeError, match="does not hold"):
        netif.choose("lo", "198.18.0.9")


def test_a_taken_port_is_refused_in_one_line(tree):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        served = plan.make(tree, note.read(tree), "lo", ipaddress.IPv4Interface("127.0.0.1/8"),  # type: ignore[arg-type]
                           busy.getsockname()[1])
        with pytest.raises(LivepxeError, match=r"port \d+/(udp|tcp) .* is taken"):
            cli.check_ports(served)


@pytest.mark.parametrize("why, setup", [("needs root", "user"), ("fails verify", "damaged"),
                                        ("no livepxe.json", "nonote")])
def test_serve_refuses_in_one_line(tree, monkeypatch, capsys, why, setup):
    if setup == "user":
        monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    elif setup == "damaged":
        monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
        (tree / "boot.ipxe").write_text("#!ipxe\n")
    else:
        (tree / "livepxe.json").unlink()
    assert main(["serve", str(tree), "--interface", "lo"]) == 1
    err = capsys.readouterr().err
    assert why in err and len(err.strip().splitlines()) == 1, err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(shutil.which("dnsmasq") is None or shutil.which("nginx") is None, reason="needs dnsmasq and nginx")
def test_print_config_is_accepted_by_dnsmasq_and_nginx_serves_the_tree(tree, tmp_path, capsys):
    port = _free_port()
    command = ["serve", str(tree), "--interface", "eth9", "--address", "127.0.0.1", "--http-port", str(port),
               "--print-config"]
    builds = cli.serve_plan(cli_args(command), note.read(tree), ipaddress.IPv4Interface("127.0.0.1/24"),  # type: ignore[arg-type]
                            None).builds
    if builds:   # serve would hand out loaders it builds: the printed configs need them written somewhere
        assert main(command) == 1
        assert "give --loader-dir DIR" in capsys.readouterr().err
        command += ["--loader-dir", str(tmp_path / "loaders")]
    assert main(command) == 0
    out = capsys.readouterr().out
    served_root = tmp_path / "loaders" if builds else tree.absolute()
    sections = dict(part.split("\n", 1) for part in out.split("### ")[1:])
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(next(body for title, body in sections.items() if title.startswith("dnsmasq")))
    dnsmasq.check(conf)
    assert f'TFTP_DIRECTORY="{served_root}"' in sections["tftp-hpa"]
    assert "tftp-root" not in sections[next(t for t in sections if t.startswith("dnsmasq"))]
    for name in builds and (httploader.IMAGE, grubearly.IMAGE):
        assert (served_root / name).is_file() and name in out
    nginx = tmp_path / "nginx.conf"
    nginx.write_text(siteconf.nginx_main(sections["nginx"], tmp_path))
    command = ["nginx", "-c", str(nginx), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
    proc = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = b""
        for _ in range(50):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/boot.ipxe", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(10)
    assert body == (tree / "boot.ipxe").read_bytes()


def cli_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    return parser.parse_args(argv)


@pytest.mark.parametrize("port, device", [(80, "http,198.18.0.2"), (8080, "tftp,198.18.0.2")])
def test_early_grub_config_names_the_server_and_the_trees_config(port, device):
    text = grubearly.early_config("198.18.0.2", "grub/grub.cfg", port)
    assert f"set root=({device})" in text and f"configfile ({device})/grub/grub.cfg" in text


def test_the_subcommand_is_registered():
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    assert parser.parse_args(["serve", "t", "-i", "eth0"]).func is cli.run


@pytest.mark.parametrize("initrd_mib, lpxelinux", [(64, True), (1058, False)])
def test_bios_clients_get_http_only_for_initrds_lpxelinux_was_seen_to_load(tree, tmp_path, capsys, initrd_mib,
                                                                          lpxelinux):
    if httploader.find() is None:
        pytest.skip("needs lpxelinux.0 (pxelinux) and pxelinux-options (syslinux-utils)")
    tree_note = note.read(tree)
    assert tree_note is not None
    tree_note = dataclasses.replace(tree_note, initrd_bytes=initrd_mib << 20)
    served = loaders.choose(plan.make(tree, tree_note, "eth0", ADDRESS, 80), tree_note, "signed")
    assert (served.bios == httploader.IMAGE) is lpxelinux
    assert any("load the 1058 MiB initrd over TFTP" in line for line in served.notes) is not lpxelinux
    tftp_root = loaders.build(served, tmp_path / "work")
    assert (tftp_root / httploader.IMAGE).is_file() is lpxelinux


@pytest.mark.parametrize("kind", sorted(special.KINDS))
@pytest.mark.parametrize("print_config", [False, True])
def test_serve_refuses_a_tree_holding_special_files_or_links_out_before_starting(tree, capsys, kind, print_config):
    # Issue 18 items 4/5: one FIFO froze dnsmasq, so all DHCP and TFTP stopped; links out reached /dev and /proc.
    name = special.plant(tree, kind)
    command = ["serve", str(tree), "--interface", "lo"] + (["--address", "127.0.0.1", "--print-config"]
                                                          if print_config else [])
    assert main(command) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("livepxe: error: ") and f"{name}: " in lines[0], captured
    assert special.KINDS[kind] in lines[0] and not captured.out


def _with(**changes: object):
    """A note edit: fields set (a value of DROP removes the field)."""
    def edit(data: dict) -> bytes:
        for key, value in changes.items():
            if value is DROP:
                del data[key]
            else:
                data[key] = value
        return json.dumps(data).encode()
    return edit


DROP = object()
#: Issue 18 item 12: each gave a traceback (and --print-config printed a hostile note's paths into dnsmasq's config).
BAD_NOTES = {
    "not-json": lambda data: b"{not json",
    "not-an-object": lambda data: b"[1, 2, 3]",
    "deeply-nested": lambda data: b"[" * 100_000,
    "huge": lambda data: json.dumps({**data, "warnings": ["x" * 2_000_000]}).encode(),
    "not-utf8": lambda data: json.dumps(data).encode().replace(b'"volume": "', b'"volume": "\xff\xfe'),
    "missing-keys": _with(configs=DROP, boot_files=DROP),
    "wrong-type-text": _with(volume=5),
    "wrong-type-files": _with(boot_files="pxelinux.0"),
    "wrong-type-count": _with(initrd_bytes="big"),
    "wrong-ram": _with(client_ram_mib={"bundled": 1}),
    "unknown-compress": _with(compress="lz4"),
    "dotdot-config": _with(configs={"pxelinux": "../../etc/passwd"}),
    "absolute-boot-file": _with(boot_files={"bios": "/etc/passwd", "uefi": None, "ipxe": None}),
    "dotdot-image-dir": _with(image_dir="../../..", integrated=True),
    "deep-image-dir": _with(image_dir="/".join("d" * 40), integrated=True),
    "bad-archive": _with(carried_archives={"initrd0.img": -5}),
    "bad-http-boot": _with(http_boot="http://192.0.2.1/it's/"),
    "newline-path": _with(configs={"ipxe": "boot\nx.ipxe"}),
}


@pytest.mark.parametrize("command", ["serve", "print-config", "verify"])
@pytest.mark.parametrize("variant", sorted(BAD_NOTES))
def test_a_malformed_note_is_one_line_from_serve_print_config_and_verify(tree, capsys, command, variant):
    path = tree / "livepxe.json"
    path.write_bytes(BAD_NOTES[variant](json.loads(path.read_text())))
    argv = {"serve": ["serve", str(tree), "--interface", "lo"],
            "print-config": ["serve", str(tree), "--interface", "lo", "--address", "127.0.0.1", "--print-config"],
            "verify": ["verify", str(tree)]}[command]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"livepxe: error: {path}: ") and captured.err.count("\n") == 1, captured
    assert captured.err.endswith("; reconvert the tree\n") and not captured.out, captured


def test_a_note_that_is_a_link_or_a_fifo_is_refused(tree, capsys):
    path = tree / "livepxe.json"
    path.unlink()
    path.symlink_to("/etc/passwd")
    assert main(["verify", str(tree)]) == 1
    assert "livepxe.json: cannot be read" in capsys.readouterr().err
    path.unlink()
    os.mkfifo(path)
    assert main(["serve", str(tree), "--interface", "lo", "--address", "127.0.0.1", "--print-config"]) == 1
    assert "livepxe.json: is not a regular file; reconvert the tree" in capsys.readouterr().err


def _printed(command: list[str], capsys) -> tuple[str, str]:
    """(the printed dnsmasq section, the whole output) of ``serve ... --print-config``."""
    assert main(command) == 0
    out = capsys.readouterr().out
    return next(part.split("\n", 1)[1] for part in out.split("### ")[1:] if part.startswith("dnsmasq")), out


@pytest.mark.parametrize("uefi", ["auto", "early", "signed"])
def test_printed_uefi_boot_file_is_the_one_serves_plan_chooses(tree, tmp_path, capsys, uefi):
    # Issue 19 item 2: what --print-config offers UEFI clients behind a proxy is what serve hands out.
    command = ["serve", str(tree), "-i", "eth0", "--address", str(ADDRESS), "--uefi", uefi, "--print-config",
               "--loader-dir", str(tmp_path / "loaders")]
    served = cli.serve_plan(cli_args(command), note.read(tree), ADDRESS, None)  # type: ignore[arg-type]
    if served.builds and (shutil.which("grub-mkimage") is None or httploader.find() is None):
        pytest.skip("needs grub-mkimage and pxelinux-options to build serve's loaders")
    dhcp, out = _printed(command, capsys)
    offered = {line.rsplit(",", 2)[1] for line in dhcp.splitlines() if line.startswith("pxe-service=tag:!ipxe,")
               and ("x86-64_EFI" in line or "BC_EFI" in line)}
    assert offered == {served.uefi}
    assert f"UEFI {served.uefi};" in out.splitlines()[2] and out.splitlines()[2].startswith("# clients boot")
    assert ("Every UEFI client (Secure Boot or not)" in dhcp) is served.uefi_next_server
    assert (f'Kea: "next-server": "{ADDRESS.ip}"' in dhcp) is served.uefi_next_server
    assert served.uefi_next_server is (uefi == "signed")   # this tree's Debian GRUB ignores proxy offers


def test_a_proxy_aware_signed_grub_needs_no_next_server(tree, capsys):
    # Fedora/EL's signed GRUB reads the proxy offer: no next-server advice, the signed chain for every client.
    written = tree / "livepxe.json"
    written.write_text(written.read_text().replace('"Debian shim-signed + grub-efi-amd64-signed"',
                                                   '"Fedora shim-x64 + grub2-efi-x64"'))
    sums = tree / "SHA256SUMS"   # the edit is the test's, not damage: the manifest follows it
    digest = hashlib.sha256(written.read_bytes()).hexdigest()
    sums.write_text("".join(f"{digest}  livepxe.json\n" if line.endswith("  livepxe.json") else line + "\n"
                            for line in sums.read_text().splitlines()))
    dhcp, out = _printed(["serve", str(tree), "-i", "eth0", "--address", str(ADDRESS), "--tftp-only",
                          "--print-config"], capsys)
    assert 'x86-64_EFI,"Fedora-Tiny-Live",bootx64.efi,' in dhcp and "next-server" not in out


def _warnings(err: str) -> list[str]:
    lines = err.splitlines()
    assert all(line.startswith("livepxe: warning: ") for line in lines), lines
    return lines


def test_a_host_without_pxelinux_options_warns_that_bios_goes_all_tftp(tree, tmp_path, capsys, monkeypatch):
    # Issue 19 item 4: the downgrade was a comment in the output at most; now one warning line at start.
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert main(["serve", str(tree), "-i", "eth0", "--address", str(ADDRESS), "--uefi", "signed",
                 "--print-config"]) == 0
    warned = [line for line in _warnings(capsys.readouterr().err) if "BIOS clients" in line]
    assert len(warned) == 1 and "over TFTP (pxelinux.0)" in warned[0]
    assert "syslinux-utils (Debian)" in warned[0] and "syslinux-perl (Fedora/EL)" in warned[0]


def test_a_host_without_lpxelinux_names_its_packages(tree, capsys, monkeypatch):
    monkeypatch.setattr("livepxe.host.loaders.SYSLINUX_DIRS", ())
    monkeypatch.delenv("LIVEPXE_SYSLINUX_DIR", raising=False)
    served = loaders.choose(_plan(tree), note.read(tree), "signed")  # type: ignore[arg-type]
    assert served.bios == "pxelinux.0" and not served.builds
    assert any("lpxelinux.0 is missing; install pxelinux (Debian) or syslinux-nonlinux (Fedora/EL)" in line
               for line in served.notes)


def test_a_tree_without_a_signed_chain_warns_that_secure_boot_clients_refuse_it(tiny_iso, tmp_path, capsys,
                                                                                 unsigned_grub_host):
    unsigned = self_contained(tiny_iso, tmp_path / "unsigned")
    assert main(["serve", str(unsigned), "-i", "eth0", "--address", str(ADDRESS), "--tftp-only",
                 "--dhcp", "198.18.0.100,198.18.0.150", "--print-config"]) == 0
    warned = [line for line in _warnings(capsys.readouterr().err) if "Secure Boot" in line]
    assert len(warned) == 1 and "Secure Boot clients refuse the tree's unsigned" in warned[0]
    assert "shim-signed + grub-efi-amd64-signed (Debian)" in warned[0] and "shim-x64 + grub2-efi-x64" in warned[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="binds port 69: needs root")
def test_a_taken_tftp_port_names_the_tftp_server_not_http_port(tree):
    # Issue 19 item 7: the port-69 refusal suggested --http-port, which cannot move TFTP.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 69))
        served = plan.make(tree, note.read(tree), "lo", ipaddress.IPv4Interface("127.0.0.1/8"),  # type: ignore[arg-type]
                           _free_port())
        with pytest.raises(LivepxeError, match=r"port 69/udp \(TFTP\) .* is taken") as caught:
            cli.check_ports(served)
    assert "--http-port" not in str(caught.value) and "tftpd-hpa" in str(caught.value)
