"""``livepxe serve``: boot a lab from a tree beside the site's own DHCP server.

The distribution's dnsmasq does the network protocols — proxyDHCP (it never
hands out addresses, it only tells PXE clients what to boot) and TFTP —
and a small HTTP server in this process serves the tree for iPXE and for
dracut's livenet.  Modules, one job each: `netif` (the interface's
address), `plan` (which file each kind of client boots), `dnsmasq` (its
config and process), `grubearly` (a GRUB that knows this server),
`http` (the tree over HTTP), `steps` (one line per client step),
`siteconf` (configs for sites running their own servers), `cli`.
"""
