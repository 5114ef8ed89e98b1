"""The README's Fedora/EL venv commands work under EL's sudo, and ``--pxe`` reaches livepxe.

RHEL/CentOS Stream's sudoers say ``Defaults secure_path = /sbin:/bin:/usr/sbin:/usr/bin``
and reset the environment: ``sudo CMD`` runs CMD with exactly that PATH, so
``/usr/local/bin`` (where the README links livepxe's commands) is not searched and a bare
``sudo livecd-creator`` is livecd-tools' own ``/usr/bin/livecd-creator``.

Here, in a private mount namespace, ``/opt``, ``/usr/local/bin`` and ``/usr/bin`` are
overlays on a tmpfs, so the README's lines run exactly as written (minus ``sudo``: this is
root already) without touching the host; ``/usr/bin/livecd-creator`` is a stand-in for
upstream's (its optparse parser, a stand-in ``imgcreate`` beside it as in a livecd-tools
checkout: the real one needs dnf and pykickstart in the system Python, which this host's
has not). Each command then runs as sudo would run it: ``env -i`` with secure_path.
The RPM route is the other answer (``/usr/bin/livepxe`` is on secure_path):
test_rpm.py checks the RPM puts it there.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.packaging.buildenv import REPO, source_tree

EL_SECURE_PATH = "/sbin:/bin:/usr/sbin:/usr/bin"
README = (REPO / "README.md").read_text()

#: the README's venv install, in its order (each line is checked to be in README.md as written)
INSTALL = (
    "sudo python3 -m venv --system-site-packages /opt/livepxe",
    "sudo /opt/livepxe/bin/python -m pip install .",
    "sudo ln -sf /opt/livepxe/bin/{livepxe,livecd-iso-to-pxeboot,livecd-creator} /usr/local/bin/",
)
CREATOR = "sudo /usr/local/bin/livecd-creator --pxe -c kickstarts/fedora-minimal-pxe.ks -f Fedora-Minimal-PXE"
SERVE = "sudo /usr/local/bin/livepxe serve"
#: the RPM route's line: /usr/bin/livepxe (here the venv's script linked there, as the RPM places it)
RPM_CREATOR = "sudo livepxe creator --pxe -c kickstarts/fedora-minimal-pxe.ks -f Fedora-Minimal-PXE"

STANDIN_UPSTREAM = textwrap.dedent('''\
    #!/usr/bin/python3
    """Stand-in for livecd-tools' /usr/bin/livecd-creator: its imports and option parser."""
    import optparse
    import os
    import sys

    # installed, imgcreate is in site-packages; here it sits beside tools/, as in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    import imgcreate

    parser = optparse.OptionParser(prog="livecd-creator")
    parser.add_option("-c", "--config", dest="kscfg")
    parser.add_option("-f", "--fslabel", dest="fslabel")
    options, args = parser.parse_args()
    print("stand-in upstream livecd-creator ran")
    ''')

SETUP = textwrap.dedent('''\
    set -e
    mount -t tmpfs livepxe-test "$W/ovl"
    for d in /opt /usr/local/bin /usr/bin; do
      n=$(echo "$d" | tr / _)
      mkdir -p "$W/ovl/$n/upper" "$W/ovl/$n/work"
      mount -t overlay livepxe-test -o "lowerdir=$d,upperdir=$W/ovl/$n/upper,workdir=$W/ovl/$n/work" "$d"
    done
    ln -s "$W/livecd-tools/tools/livecd-creator" /usr/bin/livecd-creator
    cd "$W/src"
    ''')

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root and unshare (a private mount namespace)")


def _as_sudo(line: str, env: Dict[str, str]) -> str:
    """``sudo CMD`` as EL's sudoers run it: a reset environment, PATH = secure_path."""
    assert line.startswith("sudo ")
    keep = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    return f"env -i PATH={EL_SECURE_PATH} HOME=/root {keep} bash -c {shlex.quote(line[len('sudo '):])}"


def _check(name: str, line: str) -> str:
    """Run ``line`` as sudo would; its output and exit status into $W/NAME.out and .rc."""
    return f'{_as_sudo(line, {})} >"$W/{name}.out" 2>&1 && echo 0 >"$W/{name}.rc" || echo $? >"$W/{name}.rc"'


def _registry_env() -> Dict[str, str]:
    """This machine's registry settings (certificates, indexes), for the pip install only."""
    return {k: v for k, v in os.environ.items()
            if k.startswith("PIP_") or k.endswith(("_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"))
            or k.lower() in ("http_proxy", "https_proxy", "no_proxy")}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[int, str]]:
    """Every command's (exit status, output), from one namespace."""
    for line in (*INSTALL, CREATOR, SERVE, RPM_CREATOR):
        assert line in README, f"README.md no longer says: {line}"
    work = tmp_path_factory.mktemp("sudo")
    (work / "ovl").mkdir()
    source_tree(work / "src")
    tools = work / "livecd-tools"
    (tools / "tools").mkdir(parents=True)
    (tools / "imgcreate").mkdir()
    # the two names livepxe.creator takes from imgcreate, as upstream defines them
    (tools / "imgcreate" / "__init__.py").write_text("class LiveImageCreator:\n    pass\n")
    (tools / "imgcreate" / "errors.py").write_text("class CreatorError(Exception):\n    pass\n")
    (tools / "tools" / "livecd-creator").write_text(STANDIN_UPSTREAM)
    (tools / "tools" / "livecd-creator").chmod(0o755)

    checks = {
        "creator": CREATOR + " --help",
        "serve": SERVE + " --help",
        "bare-creator": "sudo livecd-creator --pxe -c kickstarts/fedora-minimal-pxe.ks -f Fedora-Minimal-PXE",
        "bare-livepxe": "sudo livepxe --help",
    }
    rpm_route = {"rpm-creator": RPM_CREATOR + " --help"}
    script: List[str] = [SETUP]
    script += [_as_sudo(line, _registry_env()) + ' >>"$W/install.log" 2>&1' for line in INSTALL]
    for name, line in checks.items():
        script.append(_check(name, line))
    script.append("ln -s /opt/livepxe/bin/livepxe /usr/bin/livepxe")
    script += [_check(name, line) for name, line in rpm_route.items()]
    checks.update(rpm_route)
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", "\n".join(script)],
                          env=dict(os.environ, W=str(work)), capture_output=True, text=True, timeout=900)
    log = (work / "install.log").read_text() if (work / "install.log").exists() else ""
    assert proc.returncode == 0, f"{proc.stderr}\n{log[-3000:]}"
    assert not (Path("/opt/livepxe").exists() or Path("/usr/bin/livecd-creator").is_symlink()
                or Path("/usr/bin/livepxe").is_symlink()), "the namespace leaked onto the host"
    return {name: (int((work / f"{name}.rc").read_text()), (work / f"{name}.out").read_text()) for name in checks}


def test_documented_creator_reaches_livepxe(ran: Dict[str, Tuple[int, str]]) -> None:
    for name in ("creator", "rpm-creator"):
        rc, out = ran[name]
        assert rc == 0, out
        assert "PXE options (livepxe)" in out and "--pxe-output" in out, out


def test_documented_serve_runs(ran: Dict[str, Tuple[int, str]]) -> None:
    rc, out = ran["serve"]
    assert rc == 0 and "--interface" in out, out


def test_bare_names_are_why_the_readme_names_paths(ran: Dict[str, Tuple[int, str]]) -> None:
    """secure_path finds upstream's livecd-creator and no livepxe: what the README's full paths avoid."""
    rc, out = ran["bare-creator"]
    assert rc == 2 and "no such option: --pxe" in out, out
    assert ran["bare-livepxe"][0] == 127
