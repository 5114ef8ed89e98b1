"""livepxe: boot livecd-creator live images over the network.

The engine (`livepxe.convert`) turns a live ISO into a PXE tree whose initrd
carries the whole ISO; `livepxe.creator` plugs the same engine into
livecd-creator so one kickstart build emits both.
"""

__version__ = "0.1.0"
