"""Shared test fixtures. Keep additions small; boot fixtures live beside their tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from isofactory import make_iso


@pytest.fixture
def tiny_iso(tmp_path: Path) -> Path:
    """A small live ISO in the current livecd-creator layout."""
    return make_iso(tmp_path / "Fedora-Tiny-Live.iso")


@pytest.fixture
def unsigned_grub_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A host without signed UEFI files but with GRUB's modules: convert builds its own (unsigned) GRUB image."""
    from livepxe import efi
    if efi.grub_module_dir() is None or efi.mkimage_command() is None:
        pytest.skip("needs grub-mkimage and GRUB's x86_64-efi modules (grub-efi-amd64-bin)")
    host = tmp_path / "unsigned-host"
    (host / "usr/lib/grub").mkdir(parents=True)
    (host / "usr/lib/grub/x86_64-efi").symlink_to("/usr/lib/grub/x86_64-efi")
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(host))
    return host
