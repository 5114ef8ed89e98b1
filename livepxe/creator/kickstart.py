"""PXE settings carried by the kickstart: its ``%addon org_livepxe_pxe`` section.

A compose passes only a kickstart, so the kickstart can carry what the
``--pxe*`` options say.  The section holds those same options, named without
their ``--pxe`` prefix (``--pxe`` itself is ``--enable``), on its header line
and on any of its body lines, written as on a command line::

    %addon org_livepxe_pxe --enable --tftproot=/var/lib/tftpboot
    --imagedir=live/f41 --bootfile=live.f41
    --initrd-mode=separate
    --append="console=ttyS0,115200n8"
    %end

They are parsed by an optparse parser built from the same table as the
command line's (``options._OPTIONS``), so there is one owner of the option
set; each line is checked on its own, and its errors name the file and line.
The kickstart is read with pykickstart, the parser imgcreate reads it with,
so ``%include`` is followed as upstream follows it.  Upstream itself never
sees a difference: pykickstart registers ``%addon`` as a ``NullSection`` and
ignores every addon's contents.
"""

from __future__ import annotations

import optparse
import os
import shlex
import warnings
from dataclasses import dataclass
from typing import Any, NoReturn, Optional, Sequence

from pykickstart.errors import KickstartError
from pykickstart.parser import KickstartParser
from pykickstart.sections import Section
from pykickstart.version import makeVersion

from ..errors import LivepxeError
from .options import _OPTIONS, PxeOptions, Settings, kickstart_flag

ADDON = "org_livepxe_pxe"


@dataclass
class _Line:
    """One line of the section: where it is (``a.ks:12``) and its text (the header's words already split)."""

    where: str
    text: str = ""
    words: Optional[list[str]] = None


class _AddonSection(Section):
    """Every ``%addon``: ours is kept line by line with its place; others are ignored, as pykickstart does."""

    sectionOpen = "%addon"
    allLines = True

    def __init__(self, handler: Any, parser: _Parser) -> None:
        super().__init__(handler)
        self.parser = parser
        self.lines: list[_Line] = []
        self._ours = False
        self._seen: dict[int, int] = {}    # include depth -> last line number read at that depth

    def handleHeader(self, lineno: int, args: list[str]) -> None:  # noqa: N802 (pykickstart's name)
        super().handleHeader(lineno, args)
        self._ours = len(args) > 1 and args[1] == ADDON
        self._seen = {self.parser.depth(): lineno}
        if self._ours:
            self.lines.append(_Line(self.parser.where(lineno), words=list(args[2:])))

    def handleLine(self, line: str) -> None:  # noqa: N802 (pykickstart's name)
        depth = self.parser.depth()
        self._seen[depth] = self._seen.get(depth, 0) + 1
        if self._ours:
            self.lines.append(_Line(self.parser.where(self._seen[depth]), text=line))

    def included(self, depth: int) -> None:
        """An ``%include`` took one line at ``depth - 1``; the new file starts at line 0."""
        self._seen[depth - 1] = self._seen.get(depth - 1, 0) + 1
        self._seen[depth] = 0


class _Parser(KickstartParser):
    """pykickstart's parser, knowing which file (and so which line) it is reading."""

    def __init__(self) -> None:
        self._files: list[str] = []
        super().__init__(makeVersion())

    def setupSections(self) -> None:  # noqa: N802 (pykickstart's name)
        super().setupSections()
        self.addon = _AddonSection(self.handler, self)
        self.registerSection(self.addon)

    def readKickstart(self, f: str, reset: bool = True) -> None:  # noqa: N802 (pykickstart's name)
        if self._files:
            self.addon.included(len(self._files))
        self._files.append(f)
        try:
            super().readKickstart(f, reset)
        finally:
            self._files.pop()

    def depth(self) -> int:
        return len(self._files) - 1

    def where(self, lineno: int) -> str:
        """``file:line``: the kickstart as given, an included one as pykickstart found it."""
        name = self._files[-1]
        if self.depth() > 0:
            name = os.path.join(self.currentdir.get(self.depth(), ""), os.path.basename(name))
        return f"{name}:{lineno}"


# --- the settings, one line at a time ------------------------------------------

class _SettingsParser(optparse.OptionParser):
    """The command line's PXE options under their kickstart names; errors raise, names must be whole."""

    def error(self, msg: str) -> NoReturn:
        raise LivepxeError(msg.replace("no such option: ", "unknown setting ", 1))

    def _match_long_opt(self, opt: str) -> str:
        if opt not in self._long_opt:  # no abbreviations in a file that outlives the option set
            raise optparse.BadOptionError(opt)
        return opt


def _settings_parser() -> _SettingsParser:
    parser = _SettingsParser(add_help_option=False, usage=optparse.SUPPRESS_USAGE)
    for flag, kwargs in _OPTIONS:
        parser.add_option(kickstart_flag(flag), **kwargs)
    return parser


def known_settings() -> list[str]:
    """The section's setting names, in the command line's order."""
    return [kickstart_flag(flag) for flag, _ in _OPTIONS]


def _words(line: _Line) -> list[str]:
    if line.words is not None:
        return line.words
    try:
        return shlex.split(line.text, comments=True)
    except ValueError as exc:
        raise LivepxeError(f"{exc}") from None


def _parse_line(parser: _SettingsParser, line: _Line) -> dict[str, Any]:
    """The settings one line gives, by optparse dest, each value checked as the command line's would be."""
    try:
        values, rest = parser.parse_args(_words(line), optparse.Values())
    except LivepxeError as exc:
        if str(exc).startswith("unknown setting"):
            raise LivepxeError(f"{exc}; settings are {', '.join(known_settings())}") from None
        raise
    if rest:
        named = f"--{rest[0]}" in known_settings()
        hint = f"write --{rest[0]}" if named else "settings are options, e.g. --append=ARGS"
        raise LivepxeError(f"unexpected {rest[0]!r}; {hint}")
    given = {dest: value for dest, value in vars(values).items() if value is not None}
    flags = {kwargs["dest"]: kickstart_flag(flag) for flag, kwargs in _OPTIONS}
    for dest, value in given.items():
        if dest != "pxe":
            given[dest] = PxeOptions.check_value(dest[len("pxe_"):], value, flags[dest])
    return given


def settings_of(lines: Sequence[_Line]) -> Settings:
    """The section's settings (a later line wins, as on a command line), each named by its place."""
    parser = _settings_parser()
    flags = {kwargs["dest"]: kickstart_flag(flag) for flag, kwargs in _OPTIONS}
    settings = Settings()
    for line in lines:
        try:
            given = _parse_line(parser, line)
        except LivepxeError as exc:
            raise LivepxeError(f"{line.where}: %addon {ADDON}: {exc}") from None
        for dest, value in given.items():
            settings.values[dest] = value
            settings.names[dest] = f"{flags[dest]} ({line.where})"
    return settings


def read_settings(path: str) -> Settings:
    """The kickstart's PXE settings.

    A kickstart pykickstart cannot read gives none: upstream reads it next
    and reports why, in its own words, before building anything.
    """
    if not os.path.isfile(path):  # upstream refuses it; pykickstart would fetch a URL
        return Settings()
    parser = _Parser()
    try:
        with warnings.catch_warnings():  # upstream's own parse shows them
            warnings.simplefilter("ignore")
            parser.readKickstart(path)
    except (KickstartError, OSError):
        return Settings()
    return settings_of(parser.addon.lines)
