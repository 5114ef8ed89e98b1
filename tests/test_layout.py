from pathlib import Path

import pytest

from livepxe.errors import LivepxeError
from livepxe.tree.layout import Layout


def test_integration_paths_are_absolute_from_the_tftp_root():
    layout = Layout.integration(Path("/tftpboot/ks"), "live/devel/minimal", "live.devel-minimal")
    assert layout.file("vmlinuz0") == "live/devel/minimal/vmlinuz0"
    assert layout.reference("vmlinuz0") == "/live/devel/minimal/vmlinuz0"
    assert layout.pxelinux_config == "pxelinux.cfg/live.devel-minimal"


def test_self_contained_paths_are_relative():
    layout = Layout.self_contained(Path("/x/tftpboot"))
    assert layout.reference("initrd0.img") == "initrd0.img" and layout.pxelinux_config == "pxelinux.cfg/default"


@pytest.mark.parametrize("imagedir, message", [
    ("/live/devel", "is absolute"),
    ("live/../../etc", "no '..'"),
    ("live dir", "not a plain relative path"),
    ("", "not a plain relative path"),
])
def test_bad_imagedirs(imagedir, message):
    with pytest.raises(LivepxeError, match=message):
        Layout.integration(Path("/t"), imagedir, "b")


@pytest.mark.parametrize("bootfile", ["a/b", "default", "x y", ""])
def test_bad_bootfiles(bootfile):
    with pytest.raises(LivepxeError, match="--bootfile"):
        Layout.integration(Path("/t"), "live", bootfile)
