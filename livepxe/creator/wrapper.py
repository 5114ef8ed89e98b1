"""``livecd-creator``: upstream's program, plus ``--pxe``.

Without ``--pxe`` this execs the system's own livecd-creator with the same
arguments, so nothing changes (same output, same exit code) — unless the
kickstart (``-c``) has a livepxe ``%addon`` section saying ``--enable``
(kickstart.py): a compose passes only a kickstart.

With ``--pxe`` it runs that same upstream script in this process, unchanged,
with two names swapped in the script's view of the world:

* ``imgcreate`` is a proxy module forwarding every attribute to the real
  imgcreate except ``LiveImageCreator``, which builds a ``PxeImageCreator``
  carrying the PXE options;
* ``optparse`` is a proxy whose ``OptionParser`` adds the PXE option group
  before parsing (so ``--help`` lists it and every upstream option keeps its
  meaning) and checks the PXE options right after.

The proxies sit in ``sys.modules`` from the start of the script until its
options are parsed — the window in which its top-level ``import`` statements
bind them (imgcreate and dnf are imported beforehand, so nothing else picks
them up) — and the script is run by ``runpy`` as
``__main__``, so upstream's own entry code (its NSS hack, ``sys.exit(main())``)
runs as it would from the command line.  No upstream code is copied: a new
upstream option or fix arrives without a change here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import optparse as real_optparse
import os
import runpy
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, NoReturn, Optional, Sequence

from .. import signals
from ..errors import LivepxeError

if TYPE_CHECKING:  # imported when needed: the exec path stays light
    from .options import PxeOptions, Settings

PROG = "livecd-creator"
DEFAULT_UPSTREAM = "/usr/bin/livecd-creator"
KNOWN_GOOD_PYKICKSTART = "3.52"
_SELF_MARKER = b"livepxe.creator.wrapper"


# --- finding and exec'ing upstream ------------------------------------------

def _is_self(path: Path) -> bool:
    """Is this file livepxe's own console script (any venv)?"""
    try:
        if Path(sys.argv[0]).exists() and path.resolve() == Path(sys.argv[0]).resolve():
            return True
        with open(path, "rb") as fh:
            return _SELF_MARKER in fh.read(4096)
    except OSError:
        return False


def find_upstream(env: Optional[Mapping[str, str]] = None) -> Path:
    """``$LIVECD_CREATOR``, else the first other livecd-creator on PATH, else /usr/bin."""
    if env is None:
        env = os.environ
    explicit = env.get("LIVECD_CREATOR")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise LivepxeError(f"LIVECD_CREATOR={explicit} is not a file; point it at upstream's tools/livecd-creator")
        return path
    for entry in env.get("PATH", "").split(os.pathsep):
        candidate = Path(entry or ".") / PROG
        if candidate.is_file() and os.access(candidate, os.X_OK) and not _is_self(candidate):
            return candidate
    fallback = Path(DEFAULT_UPSTREAM)
    if fallback.is_file() and not _is_self(fallback):
        return fallback
    raise LivepxeError("upstream livecd-creator not found: install livecd-tools, "
                       "or set LIVECD_CREATOR to its tools/livecd-creator")


def exec_upstream(upstream: Path, args: Sequence[str]) -> NoReturn:
    """Replace this process with upstream, same arguments (exit code is upstream's)."""
    argv = [str(upstream), *args]
    try:
        os.execv(argv[0], argv)
    except OSError:
        # Not executable, or its #! interpreter is missing (a source checkout's
        # "#!/usr/bin/python"): run it with this Python, as `python3 script` would.
        os.execv(sys.executable, [sys.executable, *argv])
    raise AssertionError("unreachable")


# --- checks that must happen before any work --------------------------------

def check_pykickstart() -> None:
    """imgcreate reads ``ks.handler.module.moduleList``, gone from newer pykickstart."""
    try:
        from pykickstart.version import makeVersion
    except ImportError:
        raise LivepxeError("pykickstart is not installed; imgcreate needs it: "
                           f"pip install pykickstart=={KNOWN_GOOD_PYKICKSTART}") from None
    module = getattr(makeVersion(), "module", None)
    if module is not None and not hasattr(module, "moduleList"):
        try:
            version = importlib.metadata.version("pykickstart")
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        raise LivepxeError(f"pykickstart {version} is incompatible with imgcreate ('{type(module).__name__}' "
                           f"object has no attribute 'moduleList'): pip install pykickstart=={KNOWN_GOOD_PYKICKSTART}")


def import_imgcreate(upstream: Path) -> types.ModuleType:
    """The real imgcreate; from the checkout upstream sits in if not installed."""
    try:
        return importlib.import_module("imgcreate")
    except ImportError as first:
        checkout = upstream.resolve().parent.parent
        if not (checkout / "imgcreate" / "__init__.py").is_file():
            raise LivepxeError(f"cannot import imgcreate ({first}): install livecd-tools' Python package "
                               "or point LIVECD_CREATOR into a livecd-tools checkout") from None
        sys.path.insert(0, str(checkout))
        try:
            return importlib.import_module("imgcreate")
        except ImportError as exc:
            raise LivepxeError(f"cannot import imgcreate from {checkout} ({exc}): install python3-dnf, "
                               f"python3-selinux, urlgrabber and pykickstart=={KNOWN_GOOD_PYKICKSTART}") from None


# --- the two proxies ----------------------------------------------------------

def _proxy(real: types.ModuleType, **overrides: Any) -> types.ModuleType:
    """A module that is ``real`` except for ``overrides`` (PEP 562 __getattr__)."""
    proxy = types.ModuleType(real.__name__, real.__doc__)
    if hasattr(real, "__path__"):
        proxy.__path__ = real.__path__  # so `import imgcreate.fs` still resolves
    proxy.__getattr__ = lambda name: getattr(real, name)  # type: ignore[method-assign]
    for name, value in overrides.items():
        setattr(proxy, name, value)
    return proxy


def optparse_proxy(on_parsed: Callable[[Any, list[str]], None]) -> types.ModuleType:
    """optparse whose OptionParser knows the PXE options; ``on_parsed`` gets the values and the arguments left."""
    from .options import add_option_group

    class OptionParser(real_optparse.OptionParser):
        def parse_args(self, args: Any = None, values: Any = None) -> Any:
            if self.get_option("--pxe") is None:
                add_option_group(self)
            options, rest = super().parse_args(args, values)
            on_parsed(options, rest)
            return options, rest

    return _proxy(real_optparse, OptionParser=OptionParser)


class _Run:
    """State of one ``--pxe`` run: the parsed PXE options, for the factory."""

    def __init__(self, restore_modules: Callable[[], None]) -> None:
        self.pxe: Optional[PxeOptions] = None
        self.restore_modules = restore_modules

    def on_parsed(self, values: Any, rest: Sequence[str] = ()) -> None:
        from .options import from_values
        self.restore_modules()  # the script has bound its modules by now
        if getattr(values, "image_type", None) == "image":
            raise LivepxeError("--pxe makes a PXE tree from a live ISO; it cannot go with --image-type image")
        check_pykickstart()
        # upstream takes a lone extra argument as the kickstart (image-creator's way)
        kscfg = getattr(values, "kscfg", None) or (rest[0] if len(rest) == 1 else None)
        pxe = from_values(values, kickstart_settings(kscfg))
        pxe.check()
        self.pxe = pxe

    def creator_factory(self) -> Callable[..., Any]:
        from .imagecreator import PxeImageCreator

        def make(*args: Any, **kwargs: Any) -> Any:
            return PxeImageCreator(*args, pxe=self.pxe, **kwargs)
        return make


def run_with_pxe(upstream: Path, args: Sequence[str]) -> None:
    """Run upstream's script in-process with the proxies (returns only via SystemExit)."""
    imgcreate = import_imgcreate(upstream)
    saved = {name: sys.modules.get(name) for name in ("imgcreate", "optparse")}

    def restore() -> None:
        for name, module in saved.items():
            if module is not None:
                sys.modules[name] = module
            else:
                sys.modules.pop(name, None)

    run = _Run(restore)
    sys.modules["imgcreate"] = _proxy(imgcreate, LiveImageCreator=run.creator_factory())
    sys.modules["optparse"] = optparse_proxy(run.on_parsed)
    saved_argv = sys.argv[:]
    sys.argv = [str(upstream), *args]
    try:
        runpy.run_path(str(upstream), run_name="__main__")
    finally:
        sys.argv = saved_argv
        restore()


def kickstart_arg(args: Sequence[str]) -> Optional[str]:
    """The kickstart named by ``-c``/``--config``, seen before upstream parses (the last one, as optparse)."""
    found = None
    for i, arg in enumerate(args):
        if arg in ("-c", "--config") and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--config="):
            found = arg.split("=", 1)[1]
        elif arg.startswith("-c") and len(arg) > 2:
            found = arg[2:]
    return found


def kickstart_settings(path: Optional[str]) -> Settings:
    """The PXE settings the kickstart's livepxe section carries (none without a kickstart or pykickstart)."""
    from .options import Settings
    if path is None:
        return Settings()
    try:
        from .kickstart import read_settings
    except ImportError:  # upstream needs pykickstart too, and says so
        return Settings()
    return read_settings(path)


def wants_pxe(args: Sequence[str]) -> bool:
    """``--pxe``, or a kickstart whose livepxe section says ``--enable`` (a compose passes only a kickstart)."""
    if "--pxe" in args:
        return True
    path = kickstart_arg(args)
    return path is not None and kickstart_settings(path).enables()


def wants_help(args: Sequence[str]) -> bool:
    return any(a in ("-h", "--help") for a in args)


def wants_in_process(args: Sequence[str]) -> bool:
    """PXE runs upstream in-process; so does --help, to list the PXE options."""
    return wants_help(args) or wants_pxe(args)


def main(argv: Optional[Sequence[str]] = None, prog: str = PROG) -> int:
    """``livecd-creator`` (the venv's wrapper) and ``livepxe creator`` (the RPM's) both land here."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        upstream = find_upstream()
        pxe = wants_pxe(args)
        if not pxe and not wants_help(args):
            exec_upstream(upstream, args)
        if not pxe:  # --help alone: upstream's own help if imgcreate is not here
            try:
                import_imgcreate(upstream)
            except LivepxeError:
                exec_upstream(upstream, args)
        with signals.as_interrupts():  # SIGTERM/SIGHUP unwind like Ctrl-C, through upstream's cleanup
            run_with_pxe(upstream, args)
    except LivepxeError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        # upstream's `finally: creator.cleanup()` has already unmounted and
        # removed the build; the engine never leaves a half-written tree.
        print(f"{prog}: interrupted; the build was cleaned up", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
