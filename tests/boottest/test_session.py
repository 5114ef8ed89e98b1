"""``livepxe boot-test`` and ``livepxe verify --boot``: one option set, one harness, the same lines.

QEMU is replaced by a recorder that keeps what each boot was given (the
machine, the configs its TFTP root serves at boot time) and answers PASS or
FAIL, so these run in a second.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from livepxe.boottest import host, modes, options
from livepxe.boottest.machine import BootResult, Machine, Watch
from livepxe.cli import build_parser, main
from livepxe.errors import LivepxeError
from tests.boottest import trees

MAC_CONFIG = "pxelinux.cfg/01-52-54-00-12-34-56"


@dataclass
class Boot:
    machine: Machine
    watch: Watch
    timeout: float
    served: dict[str, str]          # the configs the client would read, as served at boot time


@dataclass
class FakeQemu:
    passed: bool = True
    boots: list[Boot] = field(default_factory=list)

    def __call__(self, m: Machine, watch: Watch, accel: host.Accel, timeout: float, console_log: Path) -> BootResult:
        assert m.tftp_root is not None
        served = {p.relative_to(m.tftp_root).as_posix(): p.read_text()
                  for p in sorted(m.tftp_root.rglob("*")) if p.is_file() and not p.is_symlink()}
        self.boots.append(Boot(m, watch, timeout, served))
        console_log.parent.mkdir(parents=True, exist_ok=True)  # as machine.boot does
        console_log.write_text("SeaBIOS\nLinux version 6.1.0\nRun /init as init process\n"
                               + ("LIVEPXE-BOOT-OK\n" if self.passed else "Kernel panic - not syncing: VFS\n"))
        return BootResult(self.passed, "userspace reached (LIVEPXE-BOOT-OK)" if self.passed else
                          "boot failed: Kernel panic - not syncing: VFS", 42.0 if self.passed else None, 43.0,
                          accel, console_log, {"kernel": 20.0, "initramfs": 30.0}, [])


@pytest.fixture
def qemu(monkeypatch) -> FakeQemu:
    fake = FakeQemu()
    monkeypatch.setattr(modes, "boot", fake)
    monkeypatch.delenv(host.ACCEL_ENV, raising=False)
    monkeypatch.delenv(host.DEPRECATED_ACCEL_ENV, raising=False)
    return fake


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    status = main([*argv, "--accel", "tcg"])
    return status, capsys.readouterr().out.splitlines()


def boot_lines(out: list[str]) -> list[str]:
    """The lines about booting, with the scratch folder's name made stable."""
    return [re.sub(r"/tmp/\S+", "TMP", line) for line in out if line.startswith(("boot", "  ", "for this test"))]


def test_boot_test_boots_bios_by_default_through_the_console_overlay(qemu, tiny_iso, tmp_path, capsys):
    tree = trees.self_contained(tiny_iso, tmp_path / "t")
    before = trees.snapshot(tree)
    status, out = run(capsys, "boot-test", str(tree))
    assert status == 0 and len(qemu.boots) == 1
    boot = qemu.boots[0]
    assert boot.machine.bootfile == "pxelinux.0" and boot.machine.firmware is None
    assert boot.machine.memory_mib == 1024 and boot.watch == Watch()
    assert "console=ttyS0,115200 systemd.show_status=1" in boot.served[MAC_CONFIG]
    assert out == [
        "for this test only, the kernel also gets: console=ttyS0,115200 systemd.show_status=1",
        f"boot bios: {tree} via pxelinux.0, reading pxelinux.cfg/default; 1024 MiB, TCG chosen, "
        f"limit {boot.timeout:.0f} s",
        "boot bios: PASS: userspace reached (LIVEPXE-BOOT-OK), userspace after 42.0 s (TCG chosen; 43.0 s in all)",
        "  timeline: kernel 20.0 s, initramfs 30.0 s",
    ]
    assert trees.snapshot(tree) == before


def test_verify_boot_boots_an_integrated_tree_and_skips_what_its_root_lacks(qemu, tiny_iso, tmp_path, capsys):
    root = tmp_path / "root"
    image = trees.integrated(tiny_iso, root, loaders=False)
    (root / "pxelinux.0").write_bytes(b"loader")  # BIOS loader only
    status, out = run(capsys, "verify", str(image), "--boot", "--marker", "MARK")
    assert status == 0 and out[-1] == "verify: PASS"
    assert f"boot uefi: skipped, the TFTP root {root} has no UEFI loader (bootx64.efi or shimx64.efi or " \
           "grubnetx64.efi or grubx64.efi); name one with --loader" in out
    bios, ipxe = qemu.boots
    assert bios.machine.bootfile == "pxelinux.0" and bios.watch == Watch.marker("MARK")
    assert "/live/f41/vmlinuz0" in bios.served[MAC_CONFIG] and "console=ttyS0,115200" in bios.served[MAC_CONFIG]
    assert re.fullmatch(r"http://10\.0\.2\.2:\d+/live/f41/boot\.ipxe", ipxe.machine.bootfile or "")
    assert "console=ttyS0,115200" in ipxe.served["live/f41/boot.ipxe"]
    assert [line.split(":")[0] for line in out if line.startswith("boot ")] == [
        "boot uefi", "boot bios", "boot bios", "boot ipxe", "boot ipxe"]


def test_boot_test_takes_the_tftp_root_of_an_integrated_tree(qemu, tiny_iso, tmp_path, capsys):
    root = tmp_path / "root"
    trees.integrated(tiny_iso, root)
    status, out = run(capsys, "boot-test", str(root), "--mode", "uefi")
    assert status == 0 and qemu.boots[0].machine.bootfile == "bootx64.efi"
    assert "/live/f41/vmlinuz0" in qemu.boots[0].served["grub/grub.cfg"]
    assert f"boot uefi: {root} via bootx64.efi, reading grub/live.f41.cfg;" in out[1]


def test_both_commands_print_the_same_lines(qemu, tiny_iso, tmp_path, capsys):
    tree = trees.self_contained(tiny_iso, tmp_path / "t")
    _, by_boot_test = run(capsys, "boot-test", str(tree), "--mode", "ipxe")
    _, by_verify = run(capsys, "verify", str(tree), "--boot", "--only", "ipxe")
    assert boot_lines(by_boot_test) == boot_lines(by_verify) and len(boot_lines(by_verify)) == 4


def test_a_failed_boot_shows_the_console_and_keeps_the_log(qemu, tiny_iso, tmp_path, capsys):
    qemu.passed = False
    tree = trees.self_contained(tiny_iso, tmp_path / "t")
    status, out = run(capsys, "verify", str(tree), "--boot", "--mode", "bios", "--lines", "2")
    assert status == 1 and out[-1] == "verify: FAIL"
    at = out.index("boot bios: FAIL: boot failed: Kernel panic - not syncing: VFS (TCG chosen; 43.0 s in all)")
    assert out[at + 1:at + 5] == ["  timeline: kernel 20.0 s, initramfs 30.0 s", "  last 2 console lines:",
                                  "  | Run /init as init process", "  | Kernel panic - not syncing: VFS"]
    kept = Path(out[at + 5].removeprefix("  full console log: "))
    assert "Kernel panic" in kept.read_text()
    kept.unlink()


def test_nothing_to_boot_fails_in_one_line_without_qemu(qemu, tiny_iso, tmp_path, capsys):
    image = trees.integrated(tiny_iso, tmp_path / "root", loaders=False)
    status, out = run(capsys, "boot-test", str(image))
    assert status == 1 and qemu.boots == []
    assert out[-1] == f"boot: nothing to boot in {tmp_path / 'root'} by bios"


def test_the_guest_gets_the_notes_client_ram_plus_headroom_unless_told(qemu, tiny_iso, tmp_path, capsys):
    tree = trees.self_contained(tiny_iso, tmp_path / "t")
    trees.set_note(tree, client_ram_mib={"bundled": 3000, "http": 700})
    run(capsys, "boot-test", str(tree))
    run(capsys, "boot-test", str(tree), "--memory", "640")
    assert [b.machine.memory_mib for b in qemu.boots] == [3264, 640]


def test_as_is_serves_the_tree_itself(qemu, tmp_path, capsys):
    tree = trees.hand_made(tmp_path / "t")
    status, out = run(capsys, "boot-test", str(tree), "--as-is", "--mac", "52:54:00:aa:bb:cc")
    assert status == 0 and qemu.boots[0].machine.tftp_root == tree
    assert qemu.boots[0].machine.mac == "52:54:00:aa:bb:cc"
    assert not any(line.startswith("for this test only") for line in out)


def test_console_log_names_one_file_per_mode(qemu, tiny_iso, tmp_path, capsys):
    tree = trees.integrated(tiny_iso, tmp_path / "root")
    status, out = run(capsys, "verify", str(tree), "--boot", "--console-log", str(tmp_path / "logs/c.log"))
    assert status == 0
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["c-bios.log", "c-ipxe.log", "c-uefi.log"]
    assert f"  console log: {tmp_path / 'logs/c-uefi.log'}" in out


def test_config_with_several_modes_is_refused_in_one_line(qemu, tiny_iso, tmp_path, capsys):
    tree = trees.self_contained(tiny_iso, tmp_path / "t")
    assert main(["verify", str(tree), "--boot", "--config", "default"]) == 1
    assert capsys.readouterr().err.strip() == (
        "livepxe: error: --config and --loader name the files of one boot path: choose it with --mode")


def test_cli_rejects_a_missing_tree_in_one_line(qemu, tmp_path, capsys):
    assert main(["boot-test", str(tmp_path / "nope"), "--accel", "tcg"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a folder" in err


def test_cli_says_qemu_is_missing_and_leaves_the_tree_alone(tmp_path, capsys, monkeypatch):
    tree = trees.hand_made(tmp_path / "tree")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["boot-test", str(tree), "--accel", "tcg"]) == 1
    assert capsys.readouterr().err.strip() == ("livepxe: error: qemu-system-x86_64 not found: install "
                                               "qemu-system-x86 (Debian), qemu-system-x86-core (Fedora) "
                                               "or qemu-kvm (EL)")
    assert sorted(p.name for p in (tree / "pxelinux.cfg").iterdir()) == ["default"]


# --- one option set --------------------------------------------------------------------

def parsed(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_both_commands_share_one_option_set_and_the_old_spellings():
    common = ["--marker", "M", "--timeout", "90", "--accel", "tcg", "--mac", "52:54:00:00:00:01", "--as-is",
              "--config", "c", "--loader", "b", "--firmware", "/fw", "--console-log", "/log", "--lines", "5"]
    by_boot_test = options.from_args(parsed("boot-test", "T", "--mode", "ipxe", "--memory", "2048", *common))
    by_verify = options.from_args(parsed("verify", "T", "--boot", "--only", "ipxe", "--ram", "2048", *common))
    assert by_boot_test == by_verify == options.BootOptions(
        modes=("ipxe",), marker="M", timeout=90.0, memory_mib=2048, accel="tcg", mac="52:54:00:00:00:01",
        console_log=Path("/log"), as_is=True, config="c", bootfile="b", firmware=Path("/fw"), lines=5)


def test_accelerator_comes_from_the_one_environment_variable(monkeypatch):
    monkeypatch.delenv(host.DEPRECATED_ACCEL_ENV, raising=False)
    monkeypatch.setenv(host.ACCEL_ENV, "kvm")
    assert options.from_args(parsed("boot-test", "T")).accel == "kvm"
    assert options.from_args(parsed("verify", "T", "--boot")).accel == "kvm"
    assert options.from_args(parsed("verify", "T", "--boot", "--accel", "tcg")).accel == "tcg"
    monkeypatch.delenv(host.ACCEL_ENV)
    assert options.from_args(parsed("boot-test", "T")) == options.BootOptions()


def test_bootfile_has_one_meaning_convert_s(capsys):
    # Issue 19 item 6: boot-test's --bootfile named the loader, convert's names the boot config.
    with pytest.raises(LivepxeError, match="--loader PATH"):
        options.from_args(parsed("boot-test", "T", "--bootfile", "pxelinux.0"))
