"""Reading and judging the input: a live ISO, read in user space, refused in one line if it cannot boot.

``isoshape`` checks the ISO's folder trees before ``isoreader`` walks them with
pycdlib; ``bootimages`` finds the kernels and initrds the ISO's own menus boot;
``mediakind`` refuses installer, CoreOS, foreign-architecture and non-live media;
``initrdprobe`` (with ``cpioscan``, the initrd's file list without unpacking it)
says which ``root=live:`` forms an initrd can boot.  Nothing here writes.
"""
