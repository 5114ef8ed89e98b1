"""Boot configuration formats: for each, its renderer, its parser and its quoting rules side by side.

One module per format (``pxelinux``, ``grub``, ``ipxe``, ``dhcp``); every
format renders :class:`~livepxe.bootconf.entry.BootEntry` values and parses
its own text back into them, so a round trip is testable and the engine,
``verify`` and the boot harness all read configs the same way.
"""
