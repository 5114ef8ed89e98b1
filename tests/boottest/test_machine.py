"""The QEMU runner without a full boot: console matching, QEMU command lines, host
checks, and two short real QEMU runs (a kernel with no root must FAIL, and the
time limit must end a run)."""

from __future__ import annotations

import shutil

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.boottest.machine import Machine, Watch, _Scanner, boot, clean_lines, qemu_command
from livepxe.errors import LivepxeError


def scan(lines: list[str], watch: Watch | None = None) -> tuple[_Scanner, tuple[bool, str] | None]:
    success, failure = (watch or Watch()).compiled()
    scanner = _Scanner(success, failure)
    verdict = None
    for i, line in enumerate(lines):
        verdict = verdict or scanner.feed((line + "\r\n").encode(), float(i))
    return scanner, verdict


def test_marker_passes_and_records_the_time():
    scanner, verdict = scan(["[    0.0] Linux version 6.1.0", "[  5.1] Run /init as init process",
                             "\x1b[0;32mLIVEPXE-BOOT-OK\x1b[0m"])
    assert verdict == (True, "userspace reached (LIVEPXE-BOOT-OK)")
    assert scanner.passed_at == 2.0
    assert scanner.milestones == {"kernel": 0.0, "initramfs": 1.0, "userspace": 2.0}


def test_marker_echoed_by_the_command_line_does_not_count():
    _, verdict = scan(["[ 0.0] Command line: BOOT_IMAGE=vmlinuz0 note=LIVEPXE-BOOT-OK",
                       "[ 0.0] Kernel command line: LIVEPXE-BOOT-OK"])
    assert verdict is None


def test_marker_split_across_reads_is_found():
    success, failure = Watch.marker("MY-MARK").compiled()
    scanner = _Scanner(success, failure)
    assert scanner.feed(b"xx MY-", 1.0) is None
    assert scanner.feed(b"MARK yy\n", 2.0) == (True, "userspace reached (xx MY-MARK yy)")


def test_with_a_marker_only_the_marker_counts():
    _, verdict = scan(["Welcome to Fedora Linux 41 (Workstation Edition)!", "localhost login:"],
                      Watch.marker("MY-MARK"))
    assert verdict is None


def test_live_systemd_welcome_counts_but_the_initramfs_welcome_does_not():
    _, verdict = scan(["Welcome to \x1b[1mDebian GNU/Linux 12 (bookworm) dracut-059-4 (Initramfs)\x1b[0m!"])
    assert verdict is None
    _, verdict = scan(["Welcome to \x1b[1mFedora Linux 41 (Workstation Edition)\x1b[0m!"])
    assert verdict is not None and verdict[0]


@pytest.mark.parametrize("line", [
    "[   3.2] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
    "[   1.0] Initramfs unpacking failed: invalid magic at start of compressed archive",
    "Loading vmlinuz0... failed: No such file or directory",
    "No more network devices",
    "[  OK  ] Entering emergency mode. Exit the shell to continue.",
    "[  90.1] dracut-initqueue[300]: Warning: Could not boot.",
    "[  24.5] dracut-initqueue[348]: losetup: /missing.iso: failed to set up loop device: No such file or directory",
])
def test_known_fatal_lines_fail_at_once(line):
    _, verdict = scan(["SeaBIOS (version 1.16.2)", line, "LIVEPXE-BOOT-OK"])
    assert verdict is not None and not verdict[0] and "boot failed" in verdict[1]


def test_clean_lines_drops_escapes_and_carriage_returns():
    raw = "\x1bc\x1b[?7l\x1b[2JSeaBIOS\r\n\r\nPress Ctrl-B...\b \b\rnet0: up\r\n"
    assert clean_lines(raw) == ["SeaBIOS", "Press Ctrl-B...", "net0: up"]


def test_network_boot_command(tmp_path):
    m = Machine(tftp_root=tmp_path, bootfile="pxelinux.0", mac="52:54:00:aa:bb:cc", memory_mib=640)
    cmd = qemu_command(m, "tcg", tmp_path / "serial.log")
    joined = " ".join(cmd)
    assert f"user,id=n0,tftp={tmp_path.resolve()},bootfile=pxelinux.0" in cmd
    assert "-boot order=n" in joined and "-m 640" in joined and "-no-reboot" in joined
    assert f"-serial file:{tmp_path / 'serial.log'}" in joined
    device = cmd[cmd.index("-device") + 1]
    assert device.startswith("e1000,netdev=n0,mac=52:54:00:aa:bb:cc,romfile=")
    assert "-kernel" not in cmd and "-bios" not in cmd


def test_commas_in_paths_are_escaped_for_qemu(tmp_path):
    root = tmp_path / "a,b"
    root.mkdir()
    cmd = qemu_command(Machine(tftp_root=root, bootfile="x,y.0"), "tcg", tmp_path / "s.log")
    assert f"tftp={str(root.resolve()).replace(',', ',,')},bootfile=x,,y.0" in " ".join(cmd)


def test_direct_kernel_and_cdrom_command(tmp_path):
    m = Machine(kernel=tmp_path / "k", initrd=tmp_path / "i", append="console=ttyS0", cdrom=tmp_path / "c.iso")
    cmd = qemu_command(m, "kvm", tmp_path / "s.log")
    assert cmd[cmd.index("-append") + 1] == "console=ttyS0"
    assert "-cdrom" in cmd and "-nic" in cmd and "-netdev" not in cmd and "host" in cmd


def test_missing_firmware_is_a_clear_error(tmp_path):
    m = Machine(tftp_root=tmp_path, bootfile="x.efi", firmware=tmp_path / "OVMF.fd")
    with pytest.raises(LivepxeError, match="OVMF.fd not found.*ovmf"):
        qemu_command(m, "tcg", tmp_path / "s.log")


def test_missing_qemu_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LivepxeError, match="qemu-system-x86_64 not found: install qemu-system-x86"):
        qemu_command(Machine(tftp_root=tmp_path, bootfile="pxelinux.0"), "tcg", tmp_path / "s.log")


def test_missing_ipxe_rom_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(qemuhost, "ROM_DIRS", (tmp_path,))
    with pytest.raises(LivepxeError, match="efi-e1000.rom or pxe-e1000.rom not found.*ipxe-qemu"):
        qemuhost.nic_rom("e1000")
    (tmp_path / "pxe-e1000.rom").write_bytes(b"rom")
    assert qemuhost.nic_rom("e1000") == tmp_path / "pxe-e1000.rom"
    with pytest.raises(LivepxeError, match="efi-e1000.rom not found"):
        qemuhost.nic_rom("e1000", uefi=True)  # a BIOS-only ROM cannot boot UEFI


def test_accelerator_choice():
    assert qemuhost.choose_accel("tcg", None).name == "tcg"
    with pytest.raises(LivepxeError, match="one of auto, kvm, tcg"):
        qemuhost.choose_accel("hvf", None)



def test_one_environment_variable_chooses_the_accelerator(monkeypatch, caplog):
    monkeypatch.delenv(qemuhost.ACCEL_ENV, raising=False)
    monkeypatch.delenv(qemuhost.DEPRECATED_ACCEL_ENV, raising=False)
    assert qemuhost.accel_from_env() == "auto"
    monkeypatch.setenv(qemuhost.DEPRECATED_ACCEL_ENV, "kvm")
    assert qemuhost.accel_from_env() == "kvm"
    assert "LIVEPXE_QEMU_ACCEL is deprecated; set LIVEPXE_ACCEL=kvm instead" in caplog.text
    monkeypatch.setenv(qemuhost.ACCEL_ENV, "tcg")
    assert qemuhost.accel_from_env() == "tcg"  # the current name wins


def test_missing_ovmf_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(qemuhost, "OVMF_CANDIDATES", (str(tmp_path / "OVMF.fd"),))
    with pytest.raises(LivepxeError, match="no OVMF firmware.*install ovmf"):
        qemuhost.ovmf_firmware()
    (tmp_path / "OVMF.fd").write_bytes(b"fw")
    assert qemuhost.ovmf_firmware() == tmp_path / "OVMF.fd"

# --- short real QEMU runs: the harness must be able to FAIL ----------------------------

@pytest.fixture(scope="module")
def kernel():
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("needs qemu-system-x86_64: apt-get install qemu-system-x86")
    from tests.fixtures.kernel import MissingPrerequisite, debian_kernel
    try:
        return debian_kernel()
    except MissingPrerequisite as exc:  # a build that fails is a failure
        pytest.skip(f"no Debian kernel to boot: {exc}")


@pytest.mark.boot
def test_a_kernel_without_root_fails_fast_with_the_panic_on_record(kernel, tmp_path):
    m = Machine(kernel=kernel.vmlinuz, append="console=ttyS0 panic=-1", memory_mib=256)
    r = boot(m, accel="tcg", timeout=120, console_log=tmp_path / "c.log")
    assert not r.passed and r.reason.startswith("boot failed: ")
    assert "Unable to mount root fs" in r.reason or "Kernel panic" in r.reason
    assert r.seconds is None and "kernel" in r.milestones and r.elapsed < 100
    assert any("Kernel panic" in line for line in r.last_lines(40))


@pytest.mark.boot
def test_the_time_limit_ends_a_run(kernel, tmp_path):
    m = Machine(kernel=kernel.vmlinuz, append="console=ttyS0", memory_mib=256)
    r = boot(m, Watch(success=("NEVER-PRINTED",), failure=()), accel="tcg", timeout=4,
             console_log=tmp_path / "c.log")
    assert not r.passed and r.reason == "no sign of userspace within the 4 s limit"
    assert r.elapsed < 15
