"""The site's own DHCP servers (ISC dhcpd, Kea, dnsmasq) run from a tree's snippets."""
