"""livecd-creator --pxe: the dracut drop-in, the PXE options, the wrapper, the
upstream patch, and (where imgcreate, root and the build tools exist) a real
build that emits ISO + PXE tree, both of which must boot in QEMU.

The real-build tests are enabled by ``LIVECD_TOOLS_SRC=/path/to/livecd-tools``
(a checkout or ``git archive`` export), root, Debian's python3-dnf in the venv
and ``pip install pykickstart==3.52 urlgrabber``; elsewhere they skip and say so.
"""

from __future__ import annotations

import optparse
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from livepxe.creator import dropin
from livepxe.creator.dropin import DROPIN_NAME, LIVEOS_DROPIN, DracutDropIn, dropin_text
from livepxe.errors import LivepxeError
from livepxe.creator.wrapper import (_SELF_MARKER, check_pykickstart, find_upstream,
                                    optparse_proxy, wants_in_process)
from livepxe.creator.options import DEFAULT_TREE, PxeOptions, from_values
from tests.fixtures import livecd_env

REPO = Path(__file__).resolve().parents[1]
PATCH = REPO / "patches" / "livecd-creator-pxe.patch"
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


# --- PXE options ----------------------------------------------------------------

def test_tree_defaults_to_tftpboot_in_the_output_folder(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path)
    assert p.tree_dir() == tmp_path / DEFAULT_TREE
    assert p.delivered_by_package()
    staged = p.convert_options(tmp_path / "x.iso", staging_dir=tmp_path / "stage")
    assert staged.output == tmp_path / "stage" / DEFAULT_TREE
    assert PxeOptions(outdir=tmp_path, output=tmp_path / "pxe").delivered_by_package()


def test_tree_elsewhere_is_written_in_place(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path / "out", output=tmp_path / "srv" / "tree")
    assert not p.delivered_by_package()
    assert p.convert_options(tmp_path / "x.iso").output == tmp_path / "srv" / "tree"


def test_integration_mode_passes_through(tmp_path: Path) -> None:
    p = PxeOptions(outdir=tmp_path, tftproot=tmp_path, imagedir="live/a", bootfile="live.a",
                   initrd_mode="separate", append="quiet=no", cmdline="x=1",
                   http_url="http://192.0.2.1/live/", payload="liveos", compress="xz")
    p.check()
    o = p.convert_options(tmp_path / "x.iso")
    assert (o.output, o.tftproot, o.imagedir, o.bootfile) == (None, tmp_path, "live/a", "live.a")
    assert (o.initrd_mode, o.append, o.cmdline) == ("separate", "quiet=no", "x=1")
    assert (o.http_url, o.payload, o.compress) == ("http://192.0.2.1/live/", "liveos", "xz")
    assert not p.delivered_by_package()
    assert p.planned_paths() == [tmp_path / "live/a/vmlinuz0", tmp_path / "live/a/initrd0.img",
                                 tmp_path / "live/a/iso0.img", tmp_path / "pxelinux.cfg/live.a"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(initrd_mode="both"), "--initrd-mode must be one of"),
    (dict(tftproot=Path("/srv/tftp")), "needs all of --tftproot, --imagedir and --bootfile"),
    (dict(tftproot=Path("/t"), imagedir="../up", bootfile="b"), "--imagedir"),
    (dict(tftproot=Path("/t"), imagedir="/abs", bootfile="b"), "is absolute"),
    (dict(tftproot=Path("/t"), imagedir="a", bootfile="default"), "--bootfile"),
    (dict(output=Path("/x"), tftproot=Path("/t"), imagedir="a", bootfile="b"), "two deliveries"),
    (dict(payload="squashfs"), "--pxe-payload must be one of"),
    (dict(compress="lz4"), "--pxe-compress must be one of"),
    (dict(http_url="file:///srv/live.iso"), "--http-url"),
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


# --- the wrapper: optparse glue, finding upstream, exec ---------------------------

def _upstream_like_parser(seen: list) -> optparse.OptionParser:
    """An OptionParser from the proxy, with a few of upstream's real option names."""
    proxy = optparse_proxy(seen.append)
    parser = proxy.OptionParser()
    parser.add_option("-c", "--config", dest="kscfg")
    parser.add_option("-o", "--output", dest="destdir", default=".")
    parser.add_option("", "--title", dest="title")
    return parser


def test_pxe_options_join_upstreams_parser() -> None:
    seen: list = []
    parser = _upstream_like_parser(seen)
    options, rest = parser.parse_args(["--pxe", "-c", "a.ks", "-o", "/out", "--initrd-mode", "separate",
                                       "--title", "--pxe-append", "--pxe-append", "console=ttyS0",
                                       "--pxe-http-url", "http://192.0.2.1/", "--pxe-compress", "zstd"])
    assert rest == [] and seen == [options]
    assert options.title == "--pxe-append"  # an upstream option's value stays upstream's
    p = from_values(options)
    assert (p.outdir, p.initrd_mode, p.append) == (Path("/out"), "separate", "console=ttyS0")
    assert (p.http_url, p.compress, p.payload) == ("http://192.0.2.1/", "zstd", "iso")
    assert "--tftproot" in parser.format_help() and "--config" in parser.format_help()


def test_proxy_forwards_the_rest_of_optparse() -> None:
    proxy = optparse_proxy(lambda v: None)
    assert proxy.OptionGroup is optparse.OptionGroup and proxy.SUPPRESS_HELP == optparse.SUPPRESS_HELP
    assert issubclass(proxy.OptionParser, optparse.OptionParser)


def test_only_pxe_and_help_run_in_process() -> None:
    assert wants_in_process(["--pxe", "-c", "x.ks"]) and wants_in_process(["--help"])
    assert not wants_in_process(["-c", "x.ks", "--syslinux"])


def _script(path: Path, body: str) -> Path:
    path.write_text(body)
    path.chmod(0o755)
    return path


def test_upstream_from_environment_then_path(tmp_path: Path) -> None:
    mine = tmp_path / "venv"
    other = tmp_path / "sys"
    mine.mkdir(), other.mkdir()
    _script(mine / "livecd-creator", f"#!/usr/bin/python3\nfrom {_SELF_MARKER.decode()} import main\n")
    real = _script(other / "livecd-creator", "#!/bin/sh\n")
    path = f"{mine}{os.pathsep}{other}"
    assert find_upstream({"PATH": path}) == real
    assert find_upstream({"PATH": path, "LIVECD_CREATOR": str(real)}) == real
    with pytest.raises(LivepxeError, match="LIVECD_CREATOR=.* is not a file"):
        find_upstream({"PATH": path, "LIVECD_CREATOR": str(tmp_path / "nope")})
    if not Path("/usr/bin/livecd-creator").exists():
        with pytest.raises(LivepxeError, match="upstream livecd-creator not found"):
            find_upstream({"PATH": str(mine)})


def _run_wrapper(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(livecd_env.wrapper_argv() + args, env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_without_pxe_upstream_runs_with_same_args_and_exit_code(tmp_path: Path) -> None:
    """The exec path needs no imgcreate: any program stands in for upstream here."""
    stand_in = _script(tmp_path / "livecd-creator",
                       '#!/bin/sh\nprintf "%s|" "$0" "$@"; exit 7\n')
    env = dict(os.environ, LIVECD_CREATOR=str(stand_in))
    proc = _run_wrapper(["-c", "a b.ks", "--syslinux"], env)
    assert proc.returncode == 7
    assert proc.stdout == f"{stand_in}|-c|a b.ks|--syslinux|"


def test_missing_upstream_is_a_one_line_error(tmp_path: Path) -> None:
    env = dict(os.environ, LIVECD_CREATOR=str(tmp_path / "absent"))
    proc = _run_wrapper(["--pxe", "-c", "x.ks"], env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "LIVECD_CREATOR" in proc.stderr


def test_new_pykickstart_is_detected(tmp_path: Path) -> None:
    """The handler shape of pykickstart > 3.52 (F45_Module without moduleList)."""
    pkg = tmp_path / "pykickstart"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "version.py").write_text(textwrap.dedent("""\
        class F45_Module:
            pass
        class Handler:
            module = F45_Module()
        def makeVersion():
            return Handler()
        """))
    code = ("from livepxe.creator.wrapper import check_pykickstart\n"
            "try:\n    check_pykickstart()\nexcept Exception as e:\n    print(e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout
    assert "incompatible with imgcreate ('F45_Module' object has no attribute 'moduleList')" in out
    assert "pykickstart==3.52" in out and out.count("\n") == 1


def test_installed_pykickstart_is_accepted_when_imgcreate_can_use_it() -> None:
    pytest.importorskip("pykickstart", reason="pykickstart not installed: " + livecd_env.ENABLE_HINT)
    from pykickstart.version import makeVersion
    if not hasattr(makeVersion().module, "moduleList"):
        with pytest.raises(LivepxeError, match="incompatible"):
            check_pykickstart()
    else:
        check_pykickstart()


# --- the patch for distributions ------------------------------------------------

def _src_or_skip() -> Path:
    src = livecd_env.livecd_tools_src()
    if src is None:
        pytest.skip("set LIVECD_TOOLS_SRC to a livecd-tools checkout to test the patch against it")
    return src


def test_patch_applies_to_livecd_tools(tmp_path: Path) -> None:
    src = _src_or_skip()
    tree = tmp_path / "lt"
    shutil.copytree(src / "tools", tree / "tools")
    proc = subprocess.run(["git", "apply", "--check", "-v", str(PATCH)], cwd=tree,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_patched_livecd_creator_lists_and_checks_pxe_options(tmp_path: Path) -> None:
    src = _src_or_skip()
    reason = livecd_env.why_no_imgcreate()
    if reason:
        pytest.skip(reason)
    tree = tmp_path / "lt"
    shutil.copytree(src / "tools", tree / "tools")
    subprocess.run(["git", "apply", str(PATCH)], cwd=tree, check=True)
    env = livecd_env.python_env()
    env["PYTHONPATH"] = os.pathsep.join([env.get("PYTHONPATH", ""), str(REPO)])
    script = str(tree / "tools/livecd-creator")
    help_text = subprocess.run([sys.executable, script, "--help"], env=env,
                               capture_output=True, text=True, check=True).stdout
    for flag in ("--pxe", "--pxe-output", "--tftproot", "--imagedir", "--bootfile",
                 "--initrd-mode", "--pxe-append", "--releasever"):
        assert flag in help_text
    ks = tmp_path / "a.ks"
    ks.write_text("part / --size 1024\n")
    bad = subprocess.run([sys.executable, script, "--pxe", "--initrd-mode", "x", "-c", str(ks)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--initrd-mode must be one of" in bad.stderr


# --- the real build (imgcreate, root, Debian build tools) -------------------------

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
    no_repo.write_text("\n".join(l for l in b.ks.read_text().splitlines() if not l.startswith("repo ")))
    proc = b.run(build_argv(no_repo, b.out, b.tmpdir, "--pxe"), timeout=120)
    assert proc.returncode != 0 and "must have at least one repository" in proc.stderr
    (b.out / f"{LABEL}.iso").write_bytes(b"old")
    proc = b.run(build_argv(b.ks, b.out, b.tmpdir, "--pxe"), timeout=120)
    assert proc.returncode != 0
    errors = [l for l in proc.stderr.splitlines() if "already exists" in l]
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
def test_interrupted_build_leaves_no_mounts_and_no_outputs(tmp_path: Path) -> None:
    b = Build(tmp_path)
    # the driver runs inside the build's mount namespace, so it sees the build's mounts
    argv = [sys.executable, "-c", INTERRUPT_DRIVER, "20", str(b.tmpdir),
            *build_argv(b.ks, b.out, b.tmpdir, "--pxe")]
    proc = b.run(argv, timeout=900)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("rc ") and last.endswith("mounts-left 0"), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert int(last.split()[1]) != 0
    assert "interrupted" in proc.stderr
    assert list(b.out.iterdir()) == []
    assert list(b.tmpdir.iterdir()) == []
