"""Replicas of Fedora 42+ (KIWI) and Fedora 37-41 (lorax) live ISOs, built around the bootable fixture's kernel,
dracut initramfs and root, boot from their livepxe trees in QEMU by BIOS (pxelinux) and by UEFI (OVMF, shim, GRUB).

Each tree is converted once and booted through the user's command, ``livepxe boot-test TREE --mode MODE``; a boot
passes only when the fixture's live root prints its marker, after dracut found ``root=live:/NAME.iso`` on a loop
device (so the ISO came out of the initramfs, not from a disk).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from replicas import Parts, make_replica

from livepxe.boottest import host
from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.tree import note

pytestmark = pytest.mark.boot
BOOTED = ("fedora42-kiwi", "fedora40-lorax")


@pytest.fixture(scope="module")
def fixture():
    for tool in ("qemu-system-x86_64", "dracut", "xorriso", "mksquashfs"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}: install the packages in .ci/apt-packages.txt")
    from tests.fixtures.kernel import MissingPrerequisite
    from tests.fixtures.live_iso import live_iso
    try:
        return live_iso("current")
    except MissingPrerequisite as exc:  # a build that fails is a failure
        pytest.skip(f"fixture ISO could not be built: {exc}")


@pytest.fixture(scope="module")
def trees(fixture, tmp_path_factory) -> dict[str, Path]:
    """One tree per booted replica, its ISO holding the fixture's bootable parts where its builder puts them."""
    parts = Parts(fixture.vmlinuz, fixture.initrd, fixture.vmlinuz.parent / "squashfs.img")
    made = {}
    for name in BOOTED:
        folder = tmp_path_factory.mktemp(name)
        iso = make_replica(name, folder / f"{name}.iso", parts)
        made[name] = convert(ConvertOptions(iso=iso, output=folder / "tftpboot", progress=False)).root
    return made


@pytest.mark.parametrize("mode", ["bios", "uefi"])
@pytest.mark.parametrize("name", BOOTED)
def test_replica_tree_boots(name, mode, fixture, trees, tmp_path, capsys):
    tree = trees[name]
    if mode == "uefi":
        try:
            host.ovmf_firmware()
        except LivepxeError as exc:  # only a missing file raises it; the message names the package
            pytest.skip(str(exc))
        tree_note = note.read(tree)
        if tree_note is None or not tree_note.boot_files.uefi:
            pytest.skip("no UEFI loaders on this host: install shim-signed + grub-efi-amd64-signed")
    log = tmp_path / f"{mode}.log"
    status = main(["boot-test", str(tree), "--mode", mode, "--marker", fixture.marker, "--console-log", str(log)])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and f"boot {mode}: PASS" in out, out
    console = log.read_text(errors="replace")
    assert f"root=live:/{name}.iso" in console and "live media: /dev/loop" in console
