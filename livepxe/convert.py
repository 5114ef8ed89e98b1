"""The engine: a live ISO in, a network-boot tree out — a plan first, then one writer.

``tree.plan`` reads the ISO in user space and the host, and decides every
file (no byte written in the target); ``write.execute`` stages the files with
in-kernel copies and commits the tree whole, with a SHA256SUMS manifest.
The scratch folder holds what the plan makes (the unsigned GRUB image)
until the write is done.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .options import ConvertOptions
from .tree.plan import TreePlan, plan, source_date
from .tree.result import ConvertResult
from .write.execute import write

__all__ = ["ConvertOptions", "ConvertResult", "TreePlan", "convert", "dry_run", "source_date"]

SCRATCH_PREFIX = "livepxe-plan-"


def convert(options: ConvertOptions) -> ConvertResult:
    """Write the tree ``options`` describe; raise LivepxeError on bad input (nothing written).

    Warnings go to the ``livepxe.convert`` logger (the CLI prints them,
    livecd-creator logs them) and into the result and the tree's note.
    """
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as scratch:
        return write(plan(options, Path(scratch)))


def dry_run(options: ConvertOptions) -> str:
    """The plan of ``convert(options)`` as JSON; nothing is written in the target."""
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as scratch:
        return plan(options, Path(scratch)).to_json()
