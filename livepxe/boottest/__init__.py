"""Boot a tree in QEMU, the way clients do, and watch the console for proof of userspace.

``machine`` runs QEMU and reads its serial console, ``host`` finds the
emulator, ROMs and accelerator, ``overlay`` gives a tree a serial console
without touching it, ``modes`` boots a tree by BIOS, UEFI or iPXE, and
``cli`` is ``livepxe boot-test``.
"""
