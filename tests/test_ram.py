"""The RAM model against boots measured here, not against its own formula."""

from livepxe.tree import ram

MIB = 1024 * 1024


def test_estimate_brackets_the_measured_fixture_boot():
    # the fixture: 36 MiB dracut image + 44 MiB ISO, 80 MiB initrd; booted at 320 MiB, not at 288 MiB
    # (bench/boot_ram.py): the estimate must be enough, and not wildly more
    fixture = ram.client_mib(80 * MIB, 44 * MIB, 36 * MIB)
    assert 320 <= fixture <= 512


def test_estimate_brackets_the_measured_big_iso_boot():
    # a 1.12 GB ISO with a ~100 MiB initrd: out of memory at 2 GiB, booted at 3 GiB
    big = ram.client_mib(1170 * MIB, 1070 * MIB, 100 * MIB)
    assert 2048 < big <= 3072


def test_http_root_saves_a_copy_of_the_iso():
    by_mode = ram.by_mode(1100 * MIB, 40 * MIB)
    assert by_mode["bundled"] - by_mode["http"] >= 1024


def test_test_guests_never_get_less_than_a_client_needs():
    for client in (64, 320, 1000, 2688, 5000):
        assert ram.guest_mib(client) > client
    assert ram.guest_mib(64) == ram.GUEST_FLOOR_MIB


def test_unknown_split_is_an_upper_bound_of_any_split():
    initrd = 500 * MIB
    worst = max(ram.client_mib(initrd, iso, initrd - iso) for iso in range(0, initrd + 1, 50 * MIB))
    assert ram.unknown_split_mib(initrd) >= worst
