"""``serve --print-config``: the same service for a site that runs its own dnsmasq, tftp-hpa and nginx.

Three configs that run side by side on one host, each checked by its own
program in the tests (``dnsmasq --test``, ``nginx -t``, and all three
started together in a network namespace): dnsmasq for proxyDHCP (or
``--dhcp``) only, without its TFTP server, naming this host as the TFTP
server of each boot file; tftp-hpa on port 69; nginx for HTTP (sendfile:
the kernel copies the initrd, no process touches it).  The boot files are
the ones `serve`'s own plan hands out (`loaders.choose`): the configs
render that same `Plan`.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional

from . import dnsmasq
from .plan import Plan

#: tftp-hpa's remap file, written into a ``--loader-dir`` folder: relative names become paths in it.
TFTP_MAP = "livepxe-tftpd.map"


def write_tftp_map(folder: Path) -> Path:
    """``folder/TFTP_MAP``: tftp-hpa, not chrooted, then reads ``folder``'s links to the tree as serve's TFTP does.

    ``--secure`` would chroot tftp-hpa into ``folder``, where the links to the tree lead nowhere.
    """
    path = folder / TFTP_MAP
    if os.path.lexists(path):
        path.unlink()   # a link to a tree entry of that name, made by `loaders.build` in our own new folder
    path.write_text("# livepxe: client paths are relative to this folder; backslashes are separators\n"
                    "rg \\\\ /\n"
                    f"r ^/*(.*) {folder}/\\1\n")
    path.chmod(0o644)
    return path


def tftp_hpa(plan: Plan, linked: bool) -> str:
    """/etc/default/tftpd-hpa for ``plan.root``; ``linked``: the root is a loader folder linking to the tree."""
    if linked:
        options = f'TFTP_OPTIONS="--map-file {plan.root / TFTP_MAP}"'
        why = (f"# not --secure: its chroot would cut the folder's links to the tree; {TFTP_MAP} maps\n"
               "# each client path into the folder and tftp-hpa refuses '..'\n")
    else:
        options = 'TFTP_OPTIONS="--secure"'
        why = "# --secure: paths are relative to the directory; blksize and tsize are negotiated by default\n"
    return ("# /etc/default/tftpd-hpa (Debian) — Fedora/EL: tftp-server's tftp.service, same options\n"
            'TFTP_USERNAME="tftp"\n'
            f'TFTP_DIRECTORY="{plan.root}"\n'
            f'TFTP_ADDRESS="{plan.ip}:69"\n'
            + why + options + "\n")


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


def next_server_hint(plan: Plan) -> str:
    """For a UEFI boot file that ignores proxy offers: what the site's DHCP server must add, for every UEFI client."""
    return (f"# Every UEFI client (Secure Boot or not) gets {plan.uefi}, whose GRUB ignores proxy offers: it boots\n"
            f"# only if the site's DHCP server names this host as next-server ({plan.ip}), else it stops at grub>:\n"
            f"#   ISC dhcpd: next-server {plan.ip};    dnsmasq: dhcp-boot=tag:efi-x86_64,{plan.uefi},,{plan.ip}\n"
            f'#   Kea: "next-server": "{plan.ip}" in the subnet4 entry (docs/site-dhcp.md)\n')


def header(plan: Plan) -> str:
    """What to run, and which client gets which boot file: the same as `serve` hands out."""
    dhcp = "proxyDHCP" if plan.proxy else "DHCP"
    return (f"# Run all three side by side on {plan.ip} (instead of livepxe serve, not beside it): dnsmasq for "
            f"{dhcp} only (no enable-tftp),\n# tftp-hpa for TFTP on port 69, nginx for HTTP on port {plan.http_port}.\n"
            "# clients boot, as livepxe serve hands out: " + "; ".join(plan.routes()) + "\n")


def render(plan: Plan, tftp_root: Optional[Path] = None) -> str:
    """The configs for ``plan``; ``tftp_root`` is where its TFTP files are (the tree's root, or the built loaders')."""
    root = tftp_root or plan.root
    served = dataclasses.replace(plan, root=root)
    dhcp = dnsmasq.render(plan, None) + (next_server_hint(plan) if plan.uefi_next_server else "")
    sections = [(f"dnsmasq.conf: {'proxyDHCP' if plan.proxy else 'DHCP'} only; TFTP is tftp-hpa's", dhcp),
                ("tftp-hpa", tftp_hpa(served, linked=root != plan.root)), ("nginx", nginx_server(served))]
    notes = "".join(f"# note: {line}\n" for line in plan.notes)
    return header(plan) + notes + "\n".join(f"### {title}\n{body}" for title, body in sections)
