"""The PXE options of livecd-creator --pxe: defaults, where the tree goes, checks, preflight."""

from __future__ import annotations

from pathlib import Path

import pytest

from livepxe.creator.options import DEFAULT_TREE, PxeOptions
from livepxe.errors import LivepxeError
from livepxe.options import Compression, InitrdMode, Payload


def test_tree_defaults_to_tftpboot_in_the_output_folder(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path)
    assert p.tree_dir() == tmp_path / DEFAULT_TREE
    assert p.delivered_by_package()
    assert PxeOptions(outdir=tmp_path, output=tmp_path / "pxe").delivered_by_package()


def test_a_staged_tree_is_served_from_its_final_folder(tmp_path: Path) -> None:
    """imgcreate deletes its _outdir after package(): the tree must never name it."""
    staged = PxeOptions(outdir=tmp_path).convert_options(tmp_path / "x.iso", staging_dir=tmp_path / "stage")
    assert staged.output == tmp_path / "stage" / DEFAULT_TREE
    assert staged.served_root == tmp_path / DEFAULT_TREE
    in_place = PxeOptions(outdir=tmp_path).convert_options(tmp_path / "x.iso")
    assert (in_place.output, in_place.served_root) == (tmp_path / DEFAULT_TREE, None)


def test_relative_folders_resolve_against_the_working_directory(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    p = PxeOptions(outdir=Path("out"))
    assert p.tree_dir() == tmp_path / "out" / DEFAULT_TREE and p.delivered_by_package()
    staged = p.convert_options(Path("x.iso"), staging_dir=tmp_path / "stage")
    assert staged.served_root == tmp_path / "out" / DEFAULT_TREE
    assert PxeOptions(outdir=Path("out"), output=Path("out/../out/pxe")).delivered_by_package()
    assert not PxeOptions(outdir=Path("out"), output=Path("pxe")).delivered_by_package()
    integrated = PxeOptions(outdir=Path("out"), tftproot=Path("tftp"), imagedir="live/a", bootfile="live.a")
    assert tmp_path / "tftp/pxelinux.cfg/live.a" in integrated.planned_paths()


def test_tree_elsewhere_is_written_in_place(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path / "out", output=tmp_path / "srv" / "tree")
    assert not p.delivered_by_package()
    assert p.convert_options(tmp_path / "x.iso").output == tmp_path / "srv" / "tree"


def test_integration_mode_passes_through(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path, tftproot=tmp_path, imagedir="live/a", bootfile="live.a",
                   initrd_mode="separate", append="quiet=no", cmdline="x=1", payload="liveos", compress="xz")
    p.check()
    o = p.convert_options(tmp_path / "x.iso")
    assert (o.iso, o.output, o.tftproot, o.imagedir, o.bootfile) == (tmp_path / "x.iso", None, tmp_path,
                                                                     "live/a", "live.a")
    assert (o.initrd_mode, o.append, o.cmdline) == (InitrdMode.SEPARATE, "quiet=no", "x=1")
    assert (o.payload, o.compress, o.served_root) == (Payload.LIVEOS, Compression.XZ, None)
    assert not p.delivered_by_package()
    assert p.planned_paths() == [tmp_path / rel for rel in (
        "live/a/vmlinuz0", "live/a/initrd0.img", "live/a/iso0.img", "pxelinux.cfg/live.a", "grub/live.a.cfg",
        "live/a/boot.ipxe", "live/a/dhcp/dnsmasq.conf", "live/a/dhcp/dhcpd.conf", "live/a/dhcp/dhcpd-toplevel.conf",
        "live/a/dhcp/kea-dhcp4.conf", "live/a/livepxe.json",
        "live/a/SHA256SUMS")]


def test_an_http_live_root_carries_no_iso(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path, tftproot=tmp_path, imagedir="live/a", bootfile="live.a",
                   initrd_mode="separate", http_url="http://192.0.2.1/live/")
    p.check()
    assert p.convert_options(tmp_path / "x.iso").http_url == "http://192.0.2.1/live/"
    assert tmp_path / "live/a/iso0.img" not in p.planned_paths()  # separate mode has nothing to separate


@pytest.mark.parametrize("kwargs, message", [
    (dict(initrd_mode="both"), "--initrd-mode must be one of"),
    (dict(tftproot=Path("/srv/tftp")), "needs all of --tftproot, --imagedir and --bootfile"),
    (dict(tftproot=Path("/t"), imagedir="../up", bootfile="b"), "--imagedir"),
    (dict(tftproot=Path("/t"), imagedir="/abs", bootfile="b"), "is absolute"),
    (dict(tftproot=Path("/t"), imagedir="a", bootfile="default"), "--bootfile"),
    (dict(output=Path("/x"), tftproot=Path("/t"), imagedir="a", bootfile="b"), "two deliveries"),
    (dict(payload="squashfs"), "--pxe-payload must be one of"),
    (dict(compress="lz4"), "--pxe-compress must be one of"),
    (dict(http_url="file:///srv/live.iso"), "it must be http(s)://HOST[:PORT]/PATH"),
    (dict(http_url="http://192.0.2.1/", compress="gzip"), "--pxe-compress has nothing to compress with --pxe-http-url"),
    (dict(http_boot="https://192.0.2.1/tftpboot/"), "--pxe-http-boot 'https://192.0.2.1/tftpboot/': lpxelinux"),
])
def test_bad_pxe_options_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(LivepxeError) as err:
        PxeOptions(**kwargs).check()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_preflight_refuses_existing_outputs(tmp_path: Path) -> None:
    with pytest.raises(LivepxeError, match="does not exist; create it first"):
        PxeOptions(outdir=tmp_path / "missing").preflight("live")
    PxeOptions(outdir=tmp_path).preflight("live")  # all clear
    (tmp_path / "live.iso").write_bytes(b"")
    with pytest.raises(LivepxeError, match="live.iso already exists"):
        PxeOptions(outdir=tmp_path).preflight("live")
    (tmp_path / DEFAULT_TREE).mkdir()
    with pytest.raises(LivepxeError, match=f"{DEFAULT_TREE} already exists"):
        PxeOptions(outdir=tmp_path).preflight("other")


def test_preflight_refuses_taken_integration_targets(tmp_path: Path) -> None:
    root = tmp_path / "tftp"
    p = PxeOptions(outdir=tmp_path, tftproot=root, imagedir="live/a", bootfile="live.a")
    with pytest.raises(LivepxeError, match="TFTP root .* does not exist"):
        p.preflight("live")
    (root / "pxelinux.cfg").mkdir(parents=True)
    p.preflight("live")
    (root / "pxelinux.cfg/live.a").write_text("")
    with pytest.raises(LivepxeError, match="live.a already exists"):
        p.preflight("live")




def test_preflight_refuses_a_missing_compressor_before_the_build(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's own preflight: a build must not run for 20 minutes to find xz missing at the end."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(LivepxeError, match="--pxe-compress xz: .*xz"):
        PxeOptions(outdir=tmp_path, compress=Compression.XZ).preflight("live")
