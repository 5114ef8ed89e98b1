"""``livepxe serve``: boot a lab from a tree beside the site's own DHCP server.

The distribution's dnsmasq does the network protocols — proxyDHCP (it never
hands out addresses, it only tells PXE clients what to boot) and TFTP —
and a small HTTP server, in a process of its own that drops root, serves
the tree for iPXE and for dracut's livenet.  Modules, one job each:
`netif` (the interface's address), `plan` (which file each kind of client
boots), `loaders` (the loader policy, and building what it chose),
`dnsmasq` (its config and process), `grubearly` (a GRUB that knows this
server), `sbdisk` (the Secure Boot disk for UEFI HTTP Boot), `http` (the
worker's parent side) and `httpworker` (the unprivileged server),
`beneath` (opening a file of an untrusted tree), `reach` (a private tree
through a bind mount), `ports` (probing each port as its server binds
it), `steps` (one line per client step), `siteconf` (configs for sites
running their own servers), `cli`.
"""
