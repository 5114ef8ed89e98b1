"""Real ``livecd-creator --pxe`` builds (marked imgcreate; boots also marked boot).

They need root, livecd-tools (``LIVECD_TOOLS_SRC=/path/to/livecd-tools``: a
checkout or ``git archive`` export; CI points it at ../shared/livecd-tools),
Debian's python3-dnf in the venv and ``pip install pykickstart==3.52
urlgrabber``; elsewhere they skip and say so.  The kickstart installs from a
local RPM repository made of Debian packages (tests/fixtures/rpmrepo.py).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from livepxe.creator.dropin import DROPIN_NAME, LIVEOS_DROPIN
from livepxe.creator.options import DEFAULT_TREE
from livepxe.tree.layout import DNSMASQ, NOTE
from tests.fixtures import livecd_env

from .test_dropin import DRIVERS_WANTED, MODULES_WANTED

REPO = Path(__file__).resolve().parents[2]

LABEL = "LIVEPXE_TEST"
MARKER = "LIVEPXE-LIVECD-OK"  # printed by kickstarts/test-local.ks's live system
# Replaces livecd-creator's default dracut set (no leading '+'): dmsquash-live
# and livenet are then in the initramfs only because of livepxe's drop-in.
REPLACED_DRACUT_ARGS = "compress=xz"


def render_test_kickstart(dest: Path, repo: Path) -> Path:
    text = (REPO / "kickstarts/test-local.ks").read_text().replace("@LIVEPXE_REPO@", f"file://{repo}")
    dest.write_text(text)
    return dest


def build_argv(ks: Path, out: Path, tmpdir: Path, *extra: str) -> list[str]:
    return [*livecd_env.wrapper_argv(), *extra, *livecd_env.DEBIAN_ARGS,
            "--dracut-conf-args", REPLACED_DRACUT_ARGS,
            "-c", str(ks), "-f", LABEL, "-o", str(out), "--tmpdir", str(tmpdir)]


class Build:
    """One `livecd-creator --pxe` run's inputs and outputs."""

    def __init__(self, base: Path) -> None:
        reason = livecd_env.why_no_build()
        if reason:
            pytest.skip(reason)
        from tests.fixtures.rpmrepo import rpm_repo
        self.base = base
        self.repo = rpm_repo()
        self.ks = render_test_kickstart(base / "test-local.ks", self.repo)
        self.env = livecd_env.LivecdEnv(base / "env")
        self.out = base / "out"
        self.tmpdir = base / "tmp"
        self.out.mkdir()
        self.tmpdir.mkdir()
        self.upstream = livecd_env.upstream_script()

    def run(self, argv: list[str], timeout: float = 1200) -> subprocess.CompletedProcess:
        return subprocess.run(self.env.command(argv), cwd=REPO, capture_output=True, text=True,
                              env=self.env.environ(LIVECD_CREATOR=str(self.upstream)), timeout=timeout)


@pytest.fixture(scope="module")
def pxe_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    b = Build(tmp_path_factory.mktemp("pxe-build"))
    b.proc = b.run(build_argv(b.ks, b.out, b.tmpdir, "--pxe"))
    (b.base / "build.log").write_text(b.proc.stdout + b.proc.stderr)
    assert b.proc.returncode == 0, (b.proc.stdout + b.proc.stderr)[-3000:]
    return b


def _iso_file(iso: Path, member: str, dest: Path) -> Path:
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", member, str(dest)],
                   check=True, capture_output=True)
    return dest


@pytest.mark.imgcreate
def test_one_build_emits_iso_and_tree(pxe_build: Build) -> None:
    out = pxe_build.out
    iso = out / f"{LABEL}.iso"
    tree = out / DEFAULT_TREE
    assert iso.is_file() and iso.stat().st_size > 10 * 2**20
    for name in ("vmlinuz0", "initrd0.img", "pxelinux.0", "ldlinux.c32", "pxelinux.cfg/default", "SHA256SUMS"):
        assert (tree / name).is_file(), name
    assert f"root=live:/{LABEL}.iso" in (tree / "pxelinux.cfg/default").read_text()
    # the initrd carries this very ISO, as a newc member after the ISO's own initramfs
    data = (tree / "initrd0.img").read_bytes()
    name = f"{LABEL}.iso".encode() + b"\0"
    header = data.rfind(name) - 110
    assert header > 0 and data[header:header + 6] == b"070701"
    start = header + ((110 + len(name) + 3) & ~3)
    assert data[start:start + iso.stat().st_size] == iso.read_bytes()
    # nothing left behind: upstream's cleanup ran, no build dir remains
    assert list(pxe_build.tmpdir.iterdir()) == []


@pytest.mark.imgcreate
def test_built_tree_names_its_final_folder_never_the_staging_one(pxe_build: Build) -> None:
    """The tree was staged in imgcreate's _outdir (under --tmpdir), which upstream deletes after package()."""
    tree = pxe_build.out / DEFAULT_TREE
    assert f"tftp-root={tree}\n" in (tree / DNSMASQ).read_text()
    staging = str(pxe_build.tmpdir).encode()
    files = [path for path in tree.rglob("*") if path.is_file()]
    assert NOTE in {path.name for path in files}
    named = [path.name for path in files if staging in path.read_bytes()]
    assert named == [], f"{named} name {pxe_build.tmpdir}"


@pytest.mark.imgcreate
def test_initramfs_in_iso_holds_the_dropins_modules(pxe_build: Build, tmp_path: Path) -> None:
    initrd = _iso_file(pxe_build.out / f"{LABEL}.iso", "/images/pxeboot/initrd0.img", tmp_path / "initrd0.img")
    listing = subprocess.run(["lsinitrd", str(initrd)], capture_output=True, text=True, check=True).stdout
    modules = listing.split("dracut modules:", 1)[1].split("=" * 10, 1)[0].split()
    for module in MODULES_WANTED:
        assert module in modules, f"{module} missing from the initramfs' dracut modules"
    kos = {Path(line.split()[-1]).name for line in listing.splitlines() if line.rstrip().endswith(".ko")}
    for driver in DRIVERS_WANTED + ("e1000", "virtio_net"):
        assert f"{driver}.ko" in kos, f"{driver}.ko missing from the initramfs"


@pytest.mark.imgcreate
def test_control_plain_build_with_the_same_args_lacks_them(tmp_path: Path) -> None:
    """Without --pxe (upstream alone, via the exec path) the replaced dracut set
    leaves dmsquash-live out: the modules above are there because of the drop-in."""
    b = Build(tmp_path)
    proc = b.run(build_argv(b.ks, b.out, b.tmpdir))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert sorted(p.name for p in b.out.iterdir()) == [f"{LABEL}.iso"]
    initrd = _iso_file(b.out / f"{LABEL}.iso", "/images/pxeboot/initrd0.img", tmp_path / "initrd0.img")
    listing = subprocess.run(["lsinitrd", str(initrd)], capture_output=True, text=True, check=True).stdout
    modules = listing.split("dracut modules:", 1)[1].split("=" * 10, 1)[0].split()
    assert "dmsquash-live" not in modules and "livenet" not in modules


@pytest.mark.imgcreate
def test_image_ships_without_the_dropin(pxe_build: Build, tmp_path: Path) -> None:
    squash = _iso_file(pxe_build.out / f"{LABEL}.iso", "/LiveOS/squashfs.img", tmp_path / "squashfs.img")
    subprocess.run(["unsquashfs", "-no-progress", "-d", str(tmp_path / "sq"), str(squash), "LiveOS/rootfs.img"],
                   check=True, capture_output=True)
    rootfs = tmp_path / "sq/LiveOS/rootfs.img"
    ls = subprocess.run(["debugfs", "-R", "ls -p /etc/dracut.conf.d", str(rootfs)],
                        capture_output=True, text=True, check=True).stdout
    names = {f.split("/")[5] for f in ls.splitlines() if f.count("/") >= 6}
    assert DROPIN_NAME not in names and LIVEOS_DROPIN not in names
    rpmdb = subprocess.run(["debugfs", "-R", "ls -p /var/lib/rpm", str(rootfs)],
                           capture_output=True, text=True, check=True).stdout
    assert "rpmdb.sqlite" in rpmdb or "Packages" in rpmdb  # the .rpmmacros took effect


def _boot(machine, log: Path):
    from livepxe.boottest import machine as boottest
    result = boottest.boot(machine, boottest.Watch.marker(MARKER), console_log=log)
    print(result.summary())
    assert result.passed, result.summary() + "\n" + "\n".join(result.last_lines(30))
    return result


@pytest.mark.imgcreate
@pytest.mark.boot
def test_built_iso_boots_as_cdrom(pxe_build: Build, tmp_path: Path) -> None:
    from livepxe.boottest import machine as boottest
    _boot(boottest.Machine(memory_mib=1024, cdrom=pxe_build.out / f"{LABEL}.iso"), tmp_path / "cd.log")


@pytest.mark.imgcreate
@pytest.mark.boot
def test_built_tree_pxe_boots(pxe_build: Build, tmp_path: Path) -> None:
    from livepxe.boottest import machine as boottest
    tree = pxe_build.out / DEFAULT_TREE
    _boot(boottest.Machine(memory_mib=1024, tftp_root=tree, bootfile="pxelinux.0"), tmp_path / "pxe.log")


@pytest.mark.imgcreate
def test_bad_input_stops_before_any_work(tmp_path: Path) -> None:
    b = Build(tmp_path)
    no_repo = tmp_path / "norepo.ks"
    no_repo.write_text("\n".join(line for line in b.ks.read_text().splitlines() if not line.startswith("repo ")))
    proc = b.run(build_argv(no_repo, b.out, b.tmpdir, "--pxe"), timeout=120)
    assert proc.returncode != 0 and "must have at least one repository" in proc.stderr
    (b.out / f"{LABEL}.iso").write_bytes(b"old")
    proc = b.run(build_argv(b.ks, b.out, b.tmpdir, "--pxe"), timeout=120)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if "already exists" in line]
    assert len(errors) == 1 and f"{LABEL}.iso already exists" in errors[0]
    assert (b.out / f"{LABEL}.iso").read_bytes() == b"old"
    assert list(b.tmpdir.iterdir()) == []  # no build directory was even made
    proc = b.run(build_argv(b.ks, tmp_path / "absent", b.tmpdir, "--pxe"), timeout=120)
    assert proc.returncode != 0 and "does not exist; create it first" in proc.stderr


@pytest.mark.imgcreate
def test_build_into_existing_tftp_root_with_separate_initrd(tmp_path: Path) -> None:
    """Integration mode is written in place by the engine, not via package()."""
    b = Build(tmp_path)
    root = tmp_path / "tftproot"
    (root / "pxelinux.cfg").mkdir(parents=True)
    (root / "pxelinux.cfg/other").write_text("kept\n")
    proc = b.run(build_argv(b.ks, b.out, b.tmpdir, "--pxe", "--tftproot", str(root), "--imagedir", "live/test",
                            "--bootfile", "live.test", "--initrd-mode", "separate",
                            "--pxe-append", "livepxe.test=1"))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert sorted(p.name for p in b.out.iterdir()) == [f"{LABEL}.iso"]
    config = (root / "pxelinux.cfg/live.test").read_text()
    assert "/live/test/vmlinuz0" in config and "initrd=/live/test/initrd0.img,/live/test/iso0.img" in config
    assert f"root=live:/{LABEL}.iso" in config and "livepxe.test=1" in config
    assert (root / "pxelinux.cfg/other").read_text() == "kept\n"
    iso_size = (b.out / f"{LABEL}.iso").stat().st_size
    assert iso_size < (root / "live/test/iso0.img").stat().st_size < iso_size + 4096
    assert list(b.tmpdir.iterdir()) == []


INTERRUPT_DRIVER = textwrap.dedent("""\
    import signal, subprocess, sys, time
    delay, tmp, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
    build = subprocess.Popen(argv)
    def mounted():
        with open("/proc/self/mounts") as fh:
            return [line for line in fh if tmp in line]
    deadline = time.monotonic() + 600
    while not mounted() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(delay)
    build.send_signal(signal.SIGINT)
    rc = build.wait()
    print("rc", rc, "mounts-left", len(mounted()))
    """)


@pytest.mark.imgcreate
@pytest.mark.parametrize("delay", ["5", "20"], ids=["during-install", "later"])
def test_interrupted_build_leaves_no_mounts_and_no_outputs(tmp_path: Path, delay: str) -> None:
    # 5 s after the first mount lands in dnf's rpm transaction: its open files made upstream's
    # unmount fail and leave the build folder, with a traceback instead of the interrupt line
    b = Build(tmp_path)
    # the driver runs inside the build's mount namespace, so it sees the build's mounts
    argv = [sys.executable, "-c", INTERRUPT_DRIVER, delay, str(b.tmpdir),
            *build_argv(b.ks, b.out, b.tmpdir, "--pxe")]
    proc = b.run(argv, timeout=900)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("rc ") and last.endswith("mounts-left 0"), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert int(last.split()[1]) != 0
    assert "interrupted" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert list(b.out.iterdir()) == []
    assert list(b.tmpdir.iterdir()) == []
