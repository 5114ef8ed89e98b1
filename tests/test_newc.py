import shutil
import subprocess

import pytest

from livepxe import newc


def test_header_fields_and_alignment():
    header = newc.file_header("Fedora.iso", 0x1234, mtime=7)
    assert header.startswith(b"070701") and len(header) % 4 == 0
    assert header[6 + 6 * 8: 6 + 7 * 8] == b"00001234"  # c_filesize
    assert len(newc.trailer()) % 512 == 0
    assert newc.padding(5) == b"\0\0\0" and newc.padding(8) == b""


def test_sizes_over_4_gib_are_refused():
    with pytest.raises(ValueError):
        newc.file_header("big.iso", 1 << 32)


@pytest.mark.parametrize("size", [0, 1, 3, 4, 4097])
def test_gnu_cpio_reads_what_we_write(tmp_path, size):
    if shutil.which("cpio") is None:
        pytest.skip("GNU cpio is not installed")
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    archive = newc.file_header("f.iso", size) + data + newc.padding(size) + newc.trailer()
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], input=archive, cwd=out, check=True)
    assert (out / "f.iso").read_bytes() == data
