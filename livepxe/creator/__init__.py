"""livecd-creator integration: ``PxeImageCreator``, the dracut drop-in, the PXE options, the wrapper.

``PxeImageCreator`` needs imgcreate, which only livecd-tools ships; it is
imported on first use (``livepxe.creator.PxeImageCreator``) so the options,
the drop-in and the wrapper work and are testable without it.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("PxeImageCreator", "PxeCreatorError"):
        from . import imagecreator
        return getattr(imagecreator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
