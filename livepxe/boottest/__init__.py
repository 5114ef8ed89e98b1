"""Boot a tree in QEMU, the way clients do, and watch the console for proof of userspace.

One harness behind ``livepxe boot-test`` and ``livepxe verify --boot``:
``session`` runs it and says the result lines, ``options`` is the one option
set both commands take, ``tree`` finds the TFTP root and what each firmware's
client boots (the note, or the root's own loaders for an integrated tree),
``overlay`` gives that client a serial console without touching the tree,
``modes`` builds the QEMU machine per mode (BIOS, UEFI, iPXE over HTTP),
``machine`` runs QEMU and reads its serial console, ``host`` finds the
emulator, ROMs, firmware and accelerator, and ``cli`` is ``livepxe boot-test``.
"""
