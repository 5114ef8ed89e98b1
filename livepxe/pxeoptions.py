"""Compatibility name for ``livepxe.creator.options``.

livecd-tools trees patched with an earlier ``patches/livecd-creator-pxe.patch``
import ``livepxe.pxeoptions``; new code imports ``livepxe.creator.options``.
"""

from .creator.options import add_option_group, from_values

__all__ = ["add_option_group", "from_values"]
