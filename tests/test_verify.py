"""`livepxe verify`: catches corruption, configs naming missing files, and a root= no initrd carries."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert
from livepxe.iso import cpioscan
from livepxe.tree.verify import check_entries, verify
from tests.fixtures import special


@pytest.fixture
def tree(tiny_iso, tmp_path) -> Path:
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False))
    return tmp_path / "tree"


def _rewrite(tree: Path, relpath: str, old: str, new: str) -> None:
    """Edit a file and update its SHA256SUMS line, so only the edit's meaning is wrong."""
    path = tree / relpath
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    after = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = tree / "SHA256SUMS"
    sums.write_text(sums.read_text().replace(f"{before}  {relpath}", f"{after}  {relpath}"))


def test_a_fresh_tree_verifies(tree, capsys):
    report = verify(tree)
    assert report.ok, report.problems
    assert main(["verify", str(tree)]) == 0
    out = capsys.readouterr().out
    assert "root=live:/Fedora-Tiny-Live.iso is carried by initrd0.img" in out and "verify: PASS" in out
    kinds = {line.split(":")[1].strip() for line in out.splitlines() if "is carried by" in line}
    assert kinds == {"boot.ipxe", "grub/grub.cfg", "pxelinux.cfg/default"}


def test_a_corrupted_file_fails(tree, capsys):
    with open(tree / "initrd0.img", "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert not verify(tree).ok
    assert main(["verify", str(tree)]) == 1
    assert "FAIL: initrd0.img: checksum differs from SHA256SUMS" in capsys.readouterr().out


@pytest.mark.parametrize("relpath, old, new", [
    ("pxelinux.cfg/default", "KERNEL vmlinuz0", "KERNEL vmlinuz9"),
    ("grub/grub.cfg", "initrd /initrd0.img", "initrd /initrd9.img"),
    ("boot.ipxe", "initrd initrd0.img", "initrd images/initrd0.img"),
])
def test_a_config_naming_a_missing_path_fails(tree, relpath, old, new):
    _rewrite(tree, relpath, old, new)
    report = verify(tree)
    missing = new.split()[-1].lstrip("/")
    assert [p for p in report.problems if p.startswith(relpath) and missing in p and "not under the TFTP root" in p]
    assert not [p for p in report.problems if "checksum" in p]


def test_a_root_no_initrd_carries_fails(tree):
    _rewrite(tree, "grub/grub.cfg", "root=live:/Fedora-Tiny-Live.iso", "root=live:/Other.iso")
    assert verify(tree).problems == ["grub/grub.cfg: root=live:/Other.iso but no initrd of the entry carries Other.iso"]


def test_separate_mode_and_integration_trees_verify(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "sep", initrd_mode="separate", progress=False))
    report = verify(tmp_path / "sep")
    assert report.ok and any("carried by iso0.img" in c for c in report.checked)
    root = tmp_path / "tftp"
    root.mkdir()
    convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live/x", bootfile="live-x", progress=False))
    report = verify(root / "live" / "x")
    assert report.ok and report.root == root
    assert any(c.startswith("grub/live-x.cfg: root=live:/Fedora-Tiny-Live.iso is carried by live/x/initrd0.img")
               for c in report.checked)


@pytest.mark.skipif(shutil.which("bsdtar") is None, reason="needs bsdtar (libarchive-tools)")
def test_cpio_scan_agrees_with_bsdtar_and_finds_the_iso(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "sep", initrd_mode="separate", progress=False))
    iso0 = tmp_path / "sep" / "iso0.img"
    listed = subprocess.run(["bsdtar", "-tf", str(iso0)], check=True, capture_output=True, text=True).stdout.split()
    found = cpioscan.members(iso0)
    assert [m.name for m in found] == listed == ["Fedora-Tiny-Live.iso"]
    assert found[0].size == tiny_iso.stat().st_size and cpioscan.is_iso9660(iso0, found[0].offset)
    with open(iso0, "rb") as fh:
        fh.seek(found[0].offset)
        assert fh.read(65536) == tiny_iso.read_bytes()[:65536]


@pytest.mark.parametrize("relpath, old, new", [
    ("dhcp/dhcpd.conf", 'filename "pxelinux.0";', 'filename "pxelinux.9";'),
    ("dhcp/kea-dhcp4.conf", '"boot-file-name": "bootx64.efi"', '"boot-file-name": "bootx9.efi"'),
    ("dhcp/dnsmasq.conf", "dhcp-boot=tag:ipxe,boot.ipxe", "dhcp-boot=tag:ipxe,other.ipxe"),
    ("dhcp/kea-dhcp4.conf", '"livepxe-bios",', '"livepxe-bios"'),
    ("dhcp/dhcpd-toplevel.conf", "option arch code 93", "option archi code 93"),
])
def test_a_dhcp_snippet_routing_elsewhere_than_the_note_fails(tree, relpath, old, new):
    assert f"{relpath} routes each client kind to its boot file" in verify(tree).checked or "toplevel" in relpath
    _rewrite(tree, relpath, old, new)
    problems = verify(tree).problems
    assert len(problems) == 1 and problems[0].startswith(relpath + ": "), problems


def test_verify_needs_a_manifest(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 1
    assert "has neither livepxe.json nor SHA256SUMS" in capsys.readouterr().err


def test_a_missing_boot_file_named_for_dhcp_fails(tree):
    (tree / "boot.ipxe").rename(tree / "moved.ipxe")
    problems = verify(tree).problems
    assert "livepxe.json: the ipxe boot file boot.ipxe is not under the TFTP root " + str(tree) in problems


def test_a_changed_file_gives_no_ok_line_for_the_manifest(tiny_iso, tmp_path):
    # Issue 19 item 7: "ok: SHA256SUMS: 11/12 files match" was printed for a failing tree.
    from livepxe.convert import ConvertOptions, convert
    from livepxe.tree.verify import verify as check
    tree = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False)).root
    assert any("SHA256SUMS: all" in line for line in check(tree).checked)
    with open(tree / "vmlinuz0", "r+b") as kernel:
        kernel.write(b"X")
    report = check(tree)
    assert not report.ok and not any("SHA256SUMS" in line for line in report.checked)


def test_a_missing_tree_is_named_the_same_by_verify_and_serve(tmp_path, capsys):
    from livepxe.cli import main as livepxe
    for command in (["verify"], ["serve", "-i", "lo"]):
        assert livepxe([*command[:1], str(tmp_path / "nowhere"), *command[1:]]) != 0
        assert f"{tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("kind", sorted(special.KINDS))
def test_special_files_and_links_leaving_the_tree_fail_in_one_line(tree, capsys, kind):
    # Issue 18 items 4/5: a FIFO froze dnsmasq; links to /dev, /proc or root-only files were served.
    name = special.plant(tree, kind)
    problems = check_entries(tree)
    assert len(problems) == 1 and problems[0].startswith(f"{name}: ") and special.KINDS[kind] in problems[0]
    assert "a tree holds only folders, regular files and links that stay inside it" in problems[0]
    assert verify(tree).problems == problems
    assert main(["verify", str(tree)]) == 1
    assert f"FAIL: {problems[0]}\n" in capsys.readouterr().out


def test_links_that_stay_inside_pass_and_a_huge_tree_is_refused(tree):
    (tree / "sub").mkdir()
    (tree / "sub/up").symlink_to("..")
    (tree / "sub/kernel").symlink_to("up/vmlinuz0")
    (tree / "sub/dangling").symlink_to("nowhere")
    assert check_entries(tree) == []
    assert verify(tree).ok
    problems = check_entries(tree, limit=5)
    assert len(problems) == 1 and "too many entries" in problems[0]
