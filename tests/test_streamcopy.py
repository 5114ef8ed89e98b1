import errno
import hashlib
import io
import os

import pytest

from livepxe import progress
from livepxe.progress import Progress
from livepxe.write import streamcopy
from livepxe.write.streamcopy import FileRange, write_file


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "src"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    return path


def expected(source):
    data = source.read_bytes()
    return b"head" + data[5:2_000_005] + b"tail" + data


def segments(source):
    return [b"head", FileRange(source, 5, 2_000_000), b"tail", FileRange(source, 0, source.stat().st_size)]


def test_writes_and_hashes_the_concatenation(source, tmp_path):
    digest = write_file(tmp_path / "out", segments(source))
    assert (tmp_path / "out").read_bytes() == expected(source)
    assert digest == hashlib.sha256(expected(source)).hexdigest()
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("broken", ["copy_file_range", "both"])
def test_falls_back_when_the_filesystem_refuses_in_kernel_copies(source, tmp_path, monkeypatch, broken):
    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV if broken == "copy_file_range" else errno.EINVAL, "refused")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    if broken == "both":
        monkeypatch.setattr(os, "sendfile", refuse)
    write_file(tmp_path / "out", segments(source), streamcopy.Progress(1, "x", enabled=False))
    assert (tmp_path / "out").read_bytes() == expected(source)


def test_a_short_source_is_an_error_not_a_short_file(source, tmp_path):
    with pytest.raises(OSError):
        write_file(tmp_path / "out", [FileRange(source, 0, source.stat().st_size + 10)])


def test_never_overwrites(source, tmp_path):
    (tmp_path / "out").write_text("mine")
    with pytest.raises(FileExistsError):
        write_file(tmp_path / "out", [b"x"])
    assert (tmp_path / "out").read_text() == "mine"


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_draws_only_on_a_terminal(tty):
    stream = FakeTerminal(tty)
    progress = Progress(100 * 1024 * 1024, "writing tftpboot", stream=stream)
    progress.advance(50 * 1024 * 1024)
    progress.finish()
    assert ("writing tftpboot:  50.0% 50/100 MiB" in stream.getvalue()) == tty
    assert (stream.getvalue() == "") == (not tty)


def test_a_fifo_put_in_place_of_a_source_is_refused_not_waited_for(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError, match="not a regular file"):
        write_file(tmp_path / "out", [FileRange(tmp_path / "fifo", 0, 10)])


def test_a_run_stopped_midway_ends_its_progress_line():
    """The error that follows must not be glued to '\\rwriting ...: 50%'."""
    stream = FakeTerminal(True)
    Progress(100 * 1024 * 1024, "writing", stream=stream).advance(50 * 1024 * 1024)
    progress.end_line()
    progress.end_line()  # a second call has no line left to end
    assert stream.getvalue().endswith("MiB/s\n")
