"""``convert --http-boot URL``: the base URL's checks, the configs and loader it gives, what verify makes of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from livepxe.bootconf import grub, ipxe, tree_path
from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.host import efi, loaders
from livepxe.tree import httpboot
from livepxe.tree.verify import verify

BASE = "http://192.0.2.5/tftpboot/"


@pytest.mark.parametrize("given, why", [
    ("https://192.0.2.5/t/", "plain http:// only"),
    ("ftp://192.0.2.5/t/", "http://HOST[:PORT]/PATH"),
    ("192.0.2.5/t/", "http://HOST[:PORT]/PATH"),
    ("http:///t/", "http://HOST[:PORT]/PATH"),
    ("http://192.0.2.5:http/t/", "is not a URL"),
    ("http://192.0.2.5/t/?x=1", "query or fragment"),
    ("http://192.0.2.5/t/#x", "query or fragment"),
    ("http://me:pw@192.0.2.5/t/", "user name"),
    ("http://192.0.2.5/a/../t/", "'..'"),
    ("http://192.0.2.5/my tftp/", "characters a boot config cannot carry"),
    ("http://192.0.2.5/a,b/", "characters a boot config cannot carry"),
    ("http://[2001:db8::1]/t/", "characters a boot config cannot carry"),
    ("http://192.0.2.5/it's/", "characters a boot config cannot carry"),
])
def test_a_base_no_loader_can_use_is_refused_in_one_line(given, why):
    with pytest.raises(LivepxeError) as err:
        ConvertOptions(iso=Path("x.iso"), http_boot=given).validate()
    message = str(err.value)
    assert "--http-boot" in message and why in message and "\n" not in message


@pytest.mark.parametrize("given, base, port", [
    ("http://192.0.2.5", "http://192.0.2.5/", 80),
    ("http://boot.example.org/tftpboot", "http://boot.example.org/tftpboot/", 80),
    ("http://192.0.2.5:8080/t//", "http://192.0.2.5:8080/t/", 8080),
    ("http://192.0.2.5/a%20b/", "http://192.0.2.5/a%20b/", 80),
])
def test_a_usable_base_is_kept_with_one_trailing_slash(given, base, port):
    parsed = httpboot.parse(given)
    assert (parsed.base, parsed.port, parsed.grub_over_http) == (base, port, port == 80)


def test_http_boot_goes_with_compress_and_http_url():
    """Neither changes a path: a compressed initrd is fetched like any file; --http-url's small one too."""
    ConvertOptions(iso=Path("x.iso"), http_boot=BASE, compress="gzip").validate()
    ConvertOptions(iso=Path("x.iso"), http_boot=BASE, http_url="http://192.0.2.5/iso/").validate()


def test_urls_map_back_to_tree_paths_only_under_the_base():
    http = httpboot.HttpBoot(BASE)
    assert http.url("/live/f41/vmlinuz0") == BASE + "live/f41/vmlinuz0"
    assert http.relpath(BASE + "live/f41/vmlinuz0") == "live/f41/vmlinuz0"
    for outside in ("http://192.0.2.6/tftpboot/vmlinuz0", "http://192.0.2.5/other/vmlinuz0",
                    "http://192.0.2.5/tftpboot/../etc/passwd", BASE, BASE + "vmlinuz0?x", "https://192.0.2.5/tftpboot/x"):
        assert http.relpath(outside) is None, outside


def test_grub_names_urls_on_its_http_device_and_only_on_port_80():
    assert grub.http_path("http://192.0.2.5/t/vmlinuz0") == "(http,192.0.2.5)/t/vmlinuz0"
    assert grub.http_path("http://192.0.2.5:80/t/vmlinuz0") == "(http,192.0.2.5)/t/vmlinuz0"
    assert grub.url_of("(http,192.0.2.5)/t/vmlinuz0") == "http://192.0.2.5/t/vmlinuz0"
    assert grub.url_of("(tftp,192.0.2.5)/t/vmlinuz0") is None
    assert tree_path("grub", "(http,192.0.2.5)/t/vmlinuz0", "grub/grub.cfg") == "http://192.0.2.5/t/vmlinuz0"
    for url in ("http://192.0.2.5:8080/t/vmlinuz0", "https://192.0.2.5/t/vmlinuz0", "http://a,b/x"):
        with pytest.raises(ValueError):
            grub.http_path(url)


def test_ipxe_refuses_a_url_it_would_split():
    assert ipxe.relative_uri(BASE + "vmlinuz0", "") == BASE + "vmlinuz0"
    with pytest.raises(ValueError):
        ipxe.relative_uri("http://192.0.2.5/a b/vmlinuz0", "")


def _need_lpxelinux():
    found, missing = loaders.find_files(loaders.LPXELINUX_FILES)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install pxelinux syslinux-common")


def _convert(iso: Path, out: Path, **kw):
    return convert(ConvertOptions(iso=iso, output=out, progress=False, **kw))


@pytest.fixture
def signed_grub_host(tmp_path, monkeypatch):
    """A host with Debian's signed chain (stand-in files): its grubnetx64.efi has no http module."""
    host = tmp_path / "signed"
    for chain_file in (efi.SIGNED_CHAINS[0].shim, efi.SIGNED_CHAINS[0].grub):
        (host / chain_file.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (host / chain_file.lstrip("/")).write_bytes(b"MZ signed")
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(host))


def test_a_tree_for_http_names_kernel_and_initrd_by_url_and_boots_bios_by_lpxelinux(tiny_iso, tmp_path,
                                                                                   unsigned_grub_host):
    _need_lpxelinux()
    result = _convert(tiny_iso, tmp_path / "t", http_boot=BASE.rstrip("/"))
    tree = result.root
    note = json.loads((tree / "livepxe.json").read_text())
    assert note["http_boot"] == BASE and note["boot_files"]["bios"] == "lpxelinux.0"
    assert (tree / "lpxelinux.0").read_bytes() == loaders.find_files(("lpxelinux.0",))[0]["lpxelinux.0"].read_bytes()
    assert not (tree / "pxelinux.0").exists()
    pxe = (tree / "pxelinux.cfg/default").read_text()
    assert f"KERNEL {BASE}vmlinuz0\n" in pxe and f"APPEND initrd={BASE}initrd0.img root=live:/" in pxe
    assert f"kernel {BASE}vmlinuz0 initrd=initrd0.img" in (tree / "boot.ipxe").read_text()
    assert f"initrd {BASE}initrd0.img\n" in (tree / "boot.ipxe").read_text()
    grub_cfg = (tree / note["configs"]["grub"]).read_text()
    assert "linux '(http,192.0.2.5)/tftpboot/vmlinuz0' root=live:/" in grub_cfg
    assert not [w for w in result.warnings if "GRUB" in w]
    assert "lpxelinux.0" in (tree / "dhcp/dnsmasq.conf").read_text()
    report = verify(tree)
    assert report.ok, report.problems
    assert any("root=live:/" in line and "is carried by initrd0.img" in line for line in report.checked)


def test_on_another_port_grub_stays_on_tftp_and_says_so(tiny_iso, tmp_path, unsigned_grub_host):
    _need_lpxelinux()
    result = _convert(tiny_iso, tmp_path / "t", http_boot="http://192.0.2.5:8080/")
    tree = result.root
    grub_cfg = (tree / result.note.configs["grub"]).read_text()
    assert "linux /vmlinuz0 " in grub_cfg and "http" not in grub_cfg.split("menuentry", 1)[1]
    assert "KERNEL http://192.0.2.5:8080/vmlinuz0" in (tree / "pxelinux.cfg/default").read_text()
    assert [w for w in result.warnings if "port 8080" in w and "GRUB" in w]
    assert verify(tree).ok


def test_debians_signed_grub_has_no_http_module_so_its_config_stays_on_tftp(tiny_iso, tmp_path, signed_grub_host):
    _need_lpxelinux()
    result = _convert(tiny_iso, tmp_path / "t", http_boot=BASE)
    assert result.note.boot_files.uefi == "bootx64.efi"
    grub_cfg = (result.root / result.note.configs["grub"]).read_text()
    assert "linux /vmlinuz0 " in grub_cfg and "(http," not in grub_cfg
    assert f"KERNEL {BASE}vmlinuz0" in (result.root / "pxelinux.cfg/default").read_text()
    assert [w for w in result.warnings if "has no http module" in w and "GRUB config keeps" in w]


def test_verify_maps_urls_through_the_base_and_fails_those_outside(tiny_iso, tmp_path):
    _need_lpxelinux()
    tree = _convert(tiny_iso, tmp_path / "t", http_boot=BASE, checksums=False).root
    config = tree / "pxelinux.cfg/default"
    text = config.read_text()
    config.write_text(text.replace(f"KERNEL {BASE}vmlinuz0", "KERNEL http://192.0.2.9/tftpboot/vmlinuz0"))
    problems = verify(tree).problems
    assert problems == ["pxelinux.cfg/default: names http://192.0.2.9/tftpboot/vmlinuz0, "
                        f"outside the --http-boot base {BASE}"]
    config.write_text(text.replace(f"{BASE}initrd0.img", f"{BASE}initrd9.img"))
    assert any("names initrd9.img, which is not under the TFTP root" in p for p in verify(tree).problems)
    config.write_text(text)
    (tree / "initrd0.img").write_bytes(b"not a cpio")  # a URL's file is read as a path's is
    assert any("no initrd of the entry carries" in p for p in verify(tree).problems)


def test_verify_fails_urls_in_a_tree_whose_note_has_no_base(tiny_iso, tmp_path):
    tree = _convert(tiny_iso, tmp_path / "t", checksums=False).root
    config = tree / "boot.ipxe"
    config.write_text(config.read_text().replace("kernel vmlinuz0", f"kernel {BASE}vmlinuz0"))
    assert verify(tree).problems == [f"boot.ipxe: names {BASE}vmlinuz0, but livepxe.json records no "
                                     "--http-boot base"]


def test_verify_fails_a_pxelinux0_in_an_http_tree(tiny_iso, tmp_path):
    _need_lpxelinux()
    tree = _convert(tiny_iso, tmp_path / "t", http_boot=BASE, checksums=False).root
    shutil.copyfile(tree / "lpxelinux.0", tree / "pxelinux.0")
    data = json.loads((tree / "livepxe.json").read_text())
    data["boot_files"]["bios"] = "pxelinux.0"
    (tree / "livepxe.json").write_text(json.dumps(data))
    assert [p for p in verify(tree).problems if "needs lpxelinux.0" in p]


def test_integration_mode_warns_that_the_roots_bios_loader_must_be_lpxelinux(tiny_iso, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    result = convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live/f41", bootfile="f41",
                                    http_boot=BASE, progress=False))
    assert [w for w in result.warnings if "must boot lpxelinux.0" in w]
    assert [w for w in result.warnings if "root's own GRUB may lack the http module" in w]
    assert f"KERNEL {BASE}live/f41/vmlinuz0" in (root / "pxelinux.cfg/f41").read_text()
    assert "linux /live/f41/vmlinuz0 " in (root / "grub/f41.cfg").read_text()
    assert verify(root / "live/f41").ok
