"""Size guidance: which loaders and protocols a client's initrd size strains."""

from __future__ import annotations

from livepxe.tree import sizing


def test_size_guidance():
    mib = 1024 * 1024
    assert sizing.initrd_warnings(31 * mib) == []
    assert "RFC 2348" in sizing.initrd_warnings(33 * mib)[0]
    assert any("GRUB on some UEFI" in w for w in sizing.initrd_warnings(600 * mib))
    assert any("EFI stub" in w for w in sizing.initrd_warnings(1100 * mib))
    assert any("legacy BIOS" in w for w in sizing.initrd_warnings(2100 * mib))
