"""What a tree is: every decision of a conversion (``plan``) and the facts a tree is made of.

``plan`` reads the ISO and the host and writes nothing in the target; ``layout``
owns every path in a tree and how configs name them; ``cmdline`` the kernel
arguments; ``netboot``, ``httpboot`` and ``isourl`` the UEFI, iPXE, DHCP and HTTP
deliveries; ``sizing`` and ``ram`` the size limits and the RAM model; ``note``
(``livepxe.json``) and ``manifest`` (``SHA256SUMS``) what a written tree says of
itself; ``result`` what the caller gets back; ``verify`` checks a tree against
all of it.  ``livepxe convert --plan`` prints the plan: a dry run.  Writing it is
`livepxe.write`'s job.
"""
