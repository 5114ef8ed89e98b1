"""``serve --print-config``: the same service for a site that runs its own dnsmasq, tftp-hpa and nginx.

Three files, each checked by its own program in the tests (``dnsmasq
--test``, ``nginx -t``): dnsmasq in proxy mode (exactly what ``serve``
runs), tftp-hpa's ``/etc/default/tftpd-hpa`` for sites whose DHCP server
already names a TFTP server, and an nginx server block for many clients
(sendfile: the kernel copies the initrd, no process touches it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from . import dnsmasq
from .plan import Plan


def tftp_hpa(plan: Plan) -> str:
    return ("# /etc/default/tftpd-hpa (Debian) — Fedora: tftp-server's tftp.service, same options\n"
            'TFTP_USERNAME="tftp"\n'
            f'TFTP_DIRECTORY="{plan.root}"\n'
            f'TFTP_ADDRESS="{plan.ip}:69"\n'
            '# --secure: paths are relative to the directory; blksize and tsize are negotiated by default\n'
            'TFTP_OPTIONS="--secure"\n')


def nginx_server(plan: Plan) -> str:
    return (f"# nginx: a server block (e.g. /etc/nginx/conf.d/livepxe.conf) serving the tree at {plan.http_base}\n"
            "server {\n"
            f"    listen {plan.ip}:{plan.http_port};\n"
            f"    root {plan.root};\n"
            "    autoindex off;\n"
            "    sendfile on;\n"
            "    tcp_nopush on;\n"
            "    sendfile_max_chunk 2m;\n"
            "    location / {\n"
            "        try_files $uri =404;\n"
            "    }\n"
            "}\n")


def nginx_main(server: str, prefix: Path) -> str:
    """A whole nginx.conf around ``server``, all state under ``prefix``: for ``nginx -t -c`` and the test suite."""
    return (f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\ndaemon off;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n    access_log {prefix}/access.log;\n    client_body_temp_path {prefix}/body;\n"
            f"    proxy_temp_path {prefix}/proxy;\n    fastcgi_temp_path {prefix}/fastcgi;\n"
            "    default_type application/octet-stream;\n"
            + "".join(f"    {line}\n" for line in server.splitlines()) + "}\n")


def secure_boot_hint(plan: Plan) -> str:
    return ("# UEFI with Secure Boot behind a proxy: Debian's signed GRUB reads its server only from the site's\n"
            f"# DHCP answer, so the site's DHCP server must name this host as next-server ({plan.ip}):\n"
            f"#   ISC dhcpd: next-server {plan.ip};    dnsmasq: dhcp-boot=tag:efi-x86_64,{plan.uefi or 'bootx64.efi'},,"
            f"{plan.ip}\n")


def render(plan: Plan, tftp_root: Optional[Path] = None) -> str:
    """The configs for ``plan``; ``tftp_root`` is where its TFTP files are (the tree's root, or the built loaders')."""
    root = tftp_root or plan.root
    served = dataclasses.replace(plan, root=root)
    sections = [("dnsmasq.conf: proxyDHCP + TFTP, as livepxe serve runs it", dnsmasq.render(plan, root)),
                ("tftp-hpa", tftp_hpa(served)), ("nginx", nginx_server(served))]
    if plan.proxy and plan.uefi and not plan.builds:
        sections[0] = (sections[0][0], sections[0][1] + secure_boot_hint(plan))
    notes = "".join(f"# note: {line}\n" for line in plan.notes)
    return notes + "\n".join(f"### {title}\n{body}" for title, body in sections)
