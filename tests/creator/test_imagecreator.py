"""PxeImageCreator's hooks, driven in upstream's order over a stand-in imgcreate.

Runs everywhere: no root, no livecd-tools (``tests/creator/standin.py``).
The real build is in test_build.py.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livepxe.creator.dropin import DROPIN_DIR, DROPIN_NAME, LIVEOS_DROPIN, dropin_text
from livepxe.creator.options import DEFAULT_TREE, PxeOptions, from_values
from livepxe.errors import LivepxeError
from livepxe.tree.layout import DNSMASQ, NOTE
from livepxe.tree.note import TreeNote

from .standin import LIVEOS_TEXT, CreatorError, standin_imgcreate, upstream_like_parser

NAME = "Live"


@pytest.fixture
def imagecreator() -> Iterator[types.ModuleType]:
    with standin_imgcreate() as module:
        yield module


def build(module: types.ModuleType, pxe: PxeOptions, tmpdir: Path, **standin: Any) -> Any:
    """What upstream's livecd-creator does with a creator: construct, mount ... package, cleanup."""
    tmpdir.mkdir(exist_ok=True)
    creator = module.PxeImageCreator(None, NAME, fslabel=NAME, tmpdir=str(tmpdir), pxe=pxe)
    for attr, value in standin.items():
        setattr(creator, attr, value)
    try:
        creator.mount()
        creator.install()
        creator.unmount()
        creator.package(str(pxe.outdir))
    finally:
        creator.cleanup()
    return creator


def tftp_root_line(dnsmasq_conf: Path) -> str:
    lines = [line for line in dnsmasq_conf.read_text().splitlines() if line.startswith("tftp-root=")]
    assert len(lines) == 1
    return lines[0]


def test_dropin_is_there_while_packages_go_in_and_gone_after(imagecreator: types.ModuleType,
                                                             tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    creator = imagecreator.PxeImageCreator(None, NAME, tmpdir=str(tmp_path), pxe=PxeOptions(outdir=tmp_path / "out"))
    creator.mount()
    creator.install()
    assert creator.dracut_saw == {LIVEOS_DROPIN: LIVEOS_TEXT, DROPIN_NAME: dropin_text().decode()}
    conf = Path(creator._instroot) / DROPIN_DIR
    creator.unmount()
    assert list(conf.iterdir()) == []
    creator.cleanup()  # upstream's cleanup() unmounts a second time
    assert creator.calls == ["_mount_instroot", "_unmount_instroot", "_unmount_instroot"]


def test_what_the_dropin_displaced_is_back_after_both_unmounts(imagecreator: types.ModuleType,
                                                               tmp_path: Path) -> None:
    own = "# the base image's own\n"
    (tmp_path / "out").mkdir()
    creator = imagecreator.PxeImageCreator(None, NAME, tmpdir=str(tmp_path), pxe=PxeOptions(outdir=tmp_path / "out"))
    creator.seed = {f"{DROPIN_DIR}/{DROPIN_NAME}": own}
    creator.mount()
    creator.install()
    assert creator.dracut_saw[DROPIN_NAME] == dropin_text().decode()
    path = Path(creator._instroot) / DROPIN_DIR / DROPIN_NAME
    creator.unmount()
    assert path.read_text() == own
    creator.unmount()  # what cleanup() does: the restored file must survive it
    assert path.read_text() == own
    creator.cleanup()


def test_a_directory_in_the_dropins_place_is_a_one_line_creator_error(imagecreator: types.ModuleType,
                                                                       tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    creator = imagecreator.PxeImageCreator(None, NAME, tmpdir=str(tmp_path), pxe=PxeOptions(outdir=tmp_path / "out"))
    creator.seed = {f"{DROPIN_DIR}/{DROPIN_NAME}": None}
    try:
        with pytest.raises(CreatorError) as err:
            creator.mount()
    finally:
        creator.cleanup()
    assert "drop-in" in str(err.value) and "\n" not in str(err.value)


def test_tree_is_staged_beside_the_iso_and_names_its_final_folder(imagecreator: types.ModuleType,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    creator = build(imagecreator, PxeOptions(outdir=out), tmp_path / "tmp")
    builddir = Path(creator.builddir)
    assert creator.pxe_result.root == builddir / "out" / DEFAULT_TREE  # package() delivered it with the ISO
    assert sorted(p.name for p in out.iterdir()) == [f"{NAME}.iso", DEFAULT_TREE]
    tree = out / DEFAULT_TREE
    assert tftp_root_line(tree / DNSMASQ) == f"tftp-root={tree}"
    for path in tree.rglob("*"):
        if path.is_file() and path.stat().st_size < 2**20:
            assert str(builddir).encode() not in path.read_bytes(), path
    assert TreeNote.from_json((tree / NOTE).read_text(), str(tree)).iso == f"{NAME}.iso"
    assert not builddir.exists()


def test_across_file_systems_the_tree_is_written_in_place(imagecreator: types.ModuleType, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """package() would copy it across, not rename it: a Ctrl-C then leaves half a tree."""
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(imagecreator, "same_filesystem", lambda a, b: False)
    creator = build(imagecreator, PxeOptions(outdir=out), tmp_path / "tmp")
    assert creator.pxe_result.root == out / DEFAULT_TREE
    assert tftp_root_line(out / DEFAULT_TREE / DNSMASQ) == f"tftp-root={out / DEFAULT_TREE}"
    assert (out / f"{NAME}.iso").is_file()


def test_same_filesystem_tells_devices_apart(imagecreator: types.ModuleType, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert imagecreator.same_filesystem(tmp_path / "a", tmp_path)
    assert not imagecreator.same_filesystem(tmp_path, "/proc")  # procfs is always its own device
    assert not imagecreator.same_filesystem(tmp_path / "missing", tmp_path)


def test_engine_error_is_a_one_line_creator_error_and_delivers_nothing(imagecreator: types.ModuleType,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CreatorError) as err:
        build(imagecreator, PxeOptions(outdir=out), tmp_path / "tmp", iso_bytes=b"not an ISO" * 1000)
    assert isinstance(err.value, LivepxeError)
    assert str(err.value).startswith(f"PXE tree from {NAME}.iso: ") and "\n" not in str(err.value)
    assert list(out.iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("taken", [f"{NAME}.iso", DEFAULT_TREE])
def test_existing_outputs_are_refused_before_any_build(imagecreator: types.ModuleType, tmp_path: Path,
                                                       taken: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / taken).write_text("old")
    with pytest.raises(CreatorError) as err:
        build(imagecreator, PxeOptions(outdir=out), tmp_path / "tmp")
    assert f"{out / taken} already exists" in str(err.value) and "\n" not in str(err.value)
    assert list((tmp_path / "tmp").iterdir()) == []  # mount() never ran
    assert (out / taken).read_text() == "old"


# --- relative paths, as a user types them: -o, --pxe-output, --tftproot -----------

@pytest.mark.parametrize("args, tree, config, staged", [
    (["-o", "out"], f"out/{DEFAULT_TREE}", "pxelinux.cfg/default", True),
    (["-o", "out", "--pxe-output", "out/pxe"], "out/pxe", "pxelinux.cfg/default", True),
    (["-o", "out", "--pxe-output", "srv/pxe"], "srv/pxe", "pxelinux.cfg/default", False),
    (["-o", "out", "--tftproot", "srv/tftp", "--imagedir", "live/a", "--bootfile", "live.a"],
     "srv/tftp", "pxelinux.cfg/live.a", False),
])
def test_relative_paths_are_taken_from_the_working_directory(imagecreator: types.ModuleType, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                             tree: str, config: str, staged: bool) -> None:
    for folder in ("out", "srv/tftp/pxelinux.cfg", "tmp"):
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    values, _ = upstream_like_parser().parse_args(["--pxe", "-c", "a.ks", *args])
    creator = build(imagecreator, from_values(values), Path("tmp"))
    final = tmp_path / tree
    assert (tmp_path / "out" / f"{NAME}.iso").is_file()
    assert (final / config).is_file()
    written = Path(creator.builddir).absolute() / "out" / final.name if staged else final
    assert creator.pxe_result.root == written
    [dnsmasq] = final.rglob("dnsmasq.conf")
    assert tftp_root_line(dnsmasq) == f"tftp-root={final}"
    assert list((tmp_path / "tmp").iterdir()) == []
