"""Files and programs livepxe takes from the host.

``table`` is where each distribution keeps shim, GRUB, SYSLINUX, iPXE ROMs and
OVMF; ``efi`` finds (or makes) the UEFI network loaders from it and ``loaders``
the SYSLINUX ones; ``run`` is the one caller of external programs, naming the
Debian and Fedora/EL packages of a missing one.
"""
