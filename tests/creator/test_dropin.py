"""livepxe's dracut drop-in: what dracut makes of it, and putting it into a root and taking it out again."""

from __future__ import annotations

import os
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from livepxe.creator import dropin
from livepxe.creator.dropin import DROPIN_NAME, LIVEOS_DROPIN, DracutDropIn, dropin_text

REPO = Path(__file__).resolve().parents[2]
MODULES_WANTED = ("dmsquash-live", "livenet", "kernel-network-modules")
DRIVERS_WANTED = ("loop", "isofs", "squashfs", "overlay", "ext4")


# --- the drop-in file ---------------------------------------------------------

def test_packaged_dropin_is_the_one_in_patches() -> None:
    assert dropin_text() == (REPO / "patches/dracut.conf.d" / DROPIN_NAME).read_bytes()


def test_dropin_is_read_after_livecd_creators_own() -> None:
    """dracut orders drop-ins with `sort -V`: ours must come after 99-liveos.conf."""
    names = f"{DROPIN_NAME}\n{LIVEOS_DROPIN}\n10-other.conf\n"
    out = subprocess.run(["sort", "-V"], input=names, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == DROPIN_NAME


def test_dropin_passes_dracuts_own_syntax_check(tmp_path: Path) -> None:
    """dracut warns about `+=" x"` without surrounding blanks; use its own regex."""
    conf = tmp_path / DROPIN_NAME
    conf.write_bytes(dropin_text())
    check = subprocess.run(["grep", "-H", "-e", r'^[^#]*[+]=\("[^ ]\|.*[^ ]"\)', str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 1, check.stdout


def _dracut_view(confdir: Path) -> dict[str, str]:
    """Source the drop-ins as dracut does (bash, `sort -V` order) and read the result."""
    script = textwrap.dedent("""\
        cd "$1"
        for f in $(printf '%s\\n' *.conf | sort -Vu); do . "./$f"; done
        printf 'add=%s\\nomit=%s\\ndrivers=%s\\nhostonly=%s\\n' \
            "$add_dracutmodules" "$omit_dracutmodules" "$add_drivers" "$hostonly"
        """)
    out = subprocess.run(["bash", "-c", script, "bash", str(confdir)],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


@pytest.mark.parametrize("user_conf", [
    # livecd-creator's default set (what it writes without --dracut-conf-args)
    'add_dracutmodules+=" livenet dmsquash-live overlayfs "\nhostonly=no\n',
    # --dracut-conf-args without a leading '+': the defaults are replaced
    'compress=xz\nhostonly=yes\n',
    # a user set that assigns and omits outright
    'add_dracutmodules=" lvm "\nomit_dracutmodules+=" livenet dmsquash-live plymouth "\nadd_drivers=" "\n',
    # livecd-creator's driver list, which holds a module no current kernel has
    'add_drivers+=" sr_mod sd_mod cdrom sbp2 ohci1394 mmc_block virtio_blk "\n',
])
def test_dropin_guarantees_live_modules_whatever_the_user_set(tmp_path: Path, user_conf: str) -> None:
    (tmp_path / LIVEOS_DROPIN).write_text(user_conf)
    (tmp_path / DROPIN_NAME).write_bytes(dropin_text())
    view = _dracut_view(tmp_path)
    assert set(MODULES_WANTED) <= set(view["add"].split())
    assert not set(MODULES_WANTED) & set(view["omit"].split())
    # first: dracut-install gives up on the rest of a list at a module it cannot find
    assert view["drivers"].split()[:len(DRIVERS_WANTED)] == list(DRIVERS_WANTED)
    assert view["hostonly"] == "no"
    if "plymouth" in user_conf:
        assert "plymouth" in view["omit"].split()  # only our modules are taken back


def test_without_the_dropin_a_replaced_default_set_loses_dmsquash_live(tmp_path: Path) -> None:
    """The control for the test above: the guarantee comes from the drop-in."""
    (tmp_path / LIVEOS_DROPIN).write_text('add_dracutmodules=" lvm "\nomit_dracutmodules+=" livenet "\n')
    view = _dracut_view(tmp_path)
    assert "dmsquash-live" not in view["add"].split() and "livenet" in view["omit"].split()


# --- installing and removing it -----------------------------------------------

def _dropin_path(root: Path) -> Path:
    return root / dropin.DROPIN_DIR / DROPIN_NAME


def test_install_then_remove_leaves_root_as_it_was(tmp_path: Path) -> None:
    (tmp_path / dropin.DROPIN_DIR).mkdir(parents=True)
    d = DracutDropIn(tmp_path)
    d.install()
    path = _dropin_path(tmp_path)
    assert path.read_bytes() == dropin_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    d.remove()
    assert list((tmp_path / dropin.DROPIN_DIR).iterdir()) == []
    d.remove()  # unmount() runs again from cleanup(): a second call is a no-op
    assert not path.exists()


def test_displaced_file_is_restored_with_its_mode(tmp_path: Path) -> None:
    path = _dropin_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("# the image's own\n")
    path.chmod(0o600)
    d = DracutDropIn(tmp_path)
    d.install()
    assert path.read_bytes() == dropin_text()
    d.remove()
    assert path.read_text() == "# the image's own\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_displaced_symlink_is_restored(tmp_path: Path) -> None:
    path = _dropin_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.symlink_to("/usr/lib/dracut/elsewhere.conf")
    d = DracutDropIn(tmp_path)
    d.install()
    assert not path.is_symlink()
    d.remove()
    assert os.readlink(path) == "/usr/lib/dracut/elsewhere.conf"


def test_file_a_package_brought_meanwhile_wins(tmp_path: Path) -> None:
    """rpm leaves a package's file as .rpmnew when ours is in the way."""
    d = DracutDropIn(tmp_path)
    d.install()
    path = _dropin_path(tmp_path)
    path.with_name(DROPIN_NAME + ".rpmnew").write_text("# from a package\n")
    d.remove()
    assert path.read_text() == "# from a package\n"
    assert not path.with_name(DROPIN_NAME + ".rpmnew").exists()


def test_directory_in_the_way_is_an_error(tmp_path: Path) -> None:
    _dropin_path(tmp_path).mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        DracutDropIn(tmp_path).install()


