"""A catalogue root: several images in one TFTP root, and the menus at its top that offer them all.

``scan`` finds the images livepxe placed in a root (by their notes, never
following a link); ``menus`` decides which root-level menus livepxe may
write (free, or marked as its own) and renders them from the images.
Conversions into a root carry the menus in their plan, so the image and the
menus change in one commit.
"""
