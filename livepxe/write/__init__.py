"""How a plan reaches disk: whole or not at all, never through a link, at in-kernel copy speed.

``execute`` carries a ``tree.plan.TreePlan`` out; ``treewriter`` stages the tree
and commits it by rename, replacing only what livepxe wrote; ``staging`` marks a
staging folder so a killed run's is removed later; ``safefs`` walks a shared
TFTP root by descriptors; ``streamcopy`` copies byte ranges with
``copy_file_range``; ``payload`` and ``newc`` make the initramfs that carries the
ISO, ``strip`` the ISO stripped to ``LiveOS/``.  Nothing here decides.
"""
