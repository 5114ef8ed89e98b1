"""Compatibility name for ``livepxe.creator.options``.

livecd-tools trees patched with an earlier ``patches/livecd-creator-pxe.patch``
import ``livepxe.pxeoptions``; new code imports ``livepxe.creator.options``.
That patch called ``from_values`` outside its error handling, so a bad
option value ends here in one line, as upstream's own usage errors do.
"""

from __future__ import annotations

from typing import Any

from .creator import options
from .creator.options import add_option_group
from .errors import LivepxeError

__all__ = ["add_option_group", "from_values"]


def from_values(values: Any) -> options.PxeOptions:
    try:
        return options.from_values(values)
    except LivepxeError as exc:
        raise SystemExit(f"livecd-creator: error: {exc}") from None
