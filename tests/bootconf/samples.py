"""Entries, boot files and hostile strings the bootconf tests render, parse and check."""

from __future__ import annotations

from livepxe.bootconf import BootEntry
from livepxe.bootconf.dhcp import SiteBootFiles

#: Kernel words that stretch the quoting rules but every format carries.
TRICKY_CMDLINE = ('root=live:/Fedora-Live.iso rd.live.image ks="a b" opt="with = eq" "lone quoted" x==y a=b=c '
                  "console=ttyS0,115200n8 ip=::::host:eth0:dhcp k= = % @ a,b,c path=/x/y:z+w rd.break=pre-mount")

SELF = [BootEntry("livepxe0", "Fedora-Live (vmlinuz0)", "vmlinuz0", ("initrd0.img",),
                  "root=live:/Fedora-Live.iso rootfstype=auto ro rd.live.image quiet rhgb")]
INTEGRATED = [BootEntry(f"livepxe{i}", f"Fedora-Live 41 ({i})", f"/live/devel/minimal/vmlinuz{i}",
                        (f"/live/devel/minimal/initrd{i}.img", "/live/devel/minimal/iso0.img"),
                        "root=live:/x.iso ro rd.live.image") for i in (0, 1)]
TRICKY = [BootEntry("livepxe0", "It's \"quoted\" & (odd) Fedora-Live — 41", "vmlinuz0",
                    ("initrd0.img", "iso0.img", "extra.img"), TRICKY_CMDLINE),
          BootEntry("second.entry", "second", "sub/vmlinuz1", ("sub/initrd1.img",), "quiet", default=True),
          BootEntry("third_one", "third", "vmlinuz2", (), "")]
#: ``convert --http-boot http://192.0.2.5/tftpboot/`` of an integrated tree: kernel and initrds by URL.
HTTP_BASE = "http://192.0.2.5/tftpboot/"
HTTP = [BootEntry(f"livepxe{i}", f"Fedora-Live 41 ({i})", f"{HTTP_BASE}live/devel/minimal/vmlinuz{i}",
                  (f"{HTTP_BASE}live/devel/minimal/initrd{i}.img", f"{HTTP_BASE}live/devel/minimal/iso0.img"),
                  "root=live:/x.iso ro rd.live.image") for i in (0, 1)]
#: (entries, folder of the iPXE script under the TFTP root)
ENTRY_CASES = {"self": (SELF, ""), "integrated": (INTEGRATED, "live/devel/minimal"), "tricky": (TRICKY, ""),
               "http": (HTTP, "live/devel/minimal")}

FILES = {"self": SiteBootFiles("pxelinux.0", "bootx64.efi", "boot.ipxe", "/srv/tftp/live"),
         "bios-only": SiteBootFiles("pxelinux.0", None, "live/devel/minimal/boot.ipxe", "/var/lib/tftpboot"),
         "uefi-only": SiteBootFiles(None, "grubnetx64.efi", None, "/srv/tftp"),
         "odd-root": SiteBootFiles("pxelinux.0", "bootx64.efi", "boot.ipxe", "/srv/my tftp,#1")}

#: What a hostile ISO can put in its volume label, file name or kernel arguments.
HOSTILE = ["L\ndhcp-option=6,6.6.6.6", "L\ntftp-root=/", "L\nnext-server 6.6.6.6;", "L\nconfigfile (http,x)/y",
           "L\nKERNEL evil", "L ; chain http://x/", "L && shell", "L || shell", "L\x00N", "L\x1b[2JN",
           "L\rdhcp-option=6,6.6.6.6", "N" * 300, "L\u2028configfile y", "L' ; configfile y ; echo '",
           "L } menuentry y {", "${x} $(y) $z", "L \\", "L\\\nconfigfile y", "#L", "L \"unbalanced",
           "L\u202eevil", "L\u00a0nbsp", "L\tdhcp-option=6,6.6.6.6"]
