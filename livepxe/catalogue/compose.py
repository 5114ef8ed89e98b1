"""``livepxe compose``: every live ISO of a compose into one catalogue root, as the compose's next step.

The sources are ISO files, folders searched for ``*.iso`` (a pungi or koji
compose's ``*/x86_64/iso/``), or ``@LIST`` files naming one ISO per line.
Each ISO is checksummed first; one the root already holds (same SHA-256 in
an image's note) is skipped, one whose name the root holds with other bytes
replaces that image.  Each conversion is whole or absent; a failure is
named and the others go on, and the exit status says one failed.  The
summary (JSON) lists what was placed or skipped, for the compose's next
step.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Optional

from ..convert import convert
from ..errors import LivepxeError
from ..options import ConvertOptions
from ..progress import Progress
from .scan import images

#: Folders searched for ISOs at most this deep (a pungi compose: Spins/x86_64/iso/NAME.iso is 3 down).
SEARCH_DEPTH = 6
HASH_CHUNK = 4 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placed:
    """One line of the summary."""

    source: str
    sha256: str
    image: str                    # image folder under the root
    action: str                   # placed | replaced | skipped | failed
    ram_mib: Optional[int] = None
    error: Optional[str] = None


def find_isos(sources: Iterable[str]) -> list[Path]:
    """The ISOs the sources name, each once, in a stable order; LivepxeError for a source that is none."""
    found: list[Path] = []
    for source in sources:
        if source.startswith("@"):
            listed = Path(source[1:])
            try:
                names = [line.strip() for line in listed.read_text().splitlines()]
            except OSError as exc:
                raise LivepxeError(f"{listed}: {exc.strerror}; give a file naming one ISO per line") from None
            found += [Path(n) for n in names if n and not n.startswith("#")]
        elif Path(source).is_dir():
            found += sorted(_walk(Path(source)))
        elif Path(source).is_file():
            found.append(Path(source))
        else:
            raise LivepxeError(f"{source} is no ISO, folder or @LIST; name the compose's ISOs or their folder")
    unique = list(dict.fromkeys(p.absolute() for p in found))
    if not unique:
        raise LivepxeError(f"no *.iso found in {', '.join(sources)}; name the compose's ISOs or their folder")
    return unique


def _walk(folder: Path) -> Iterable[Path]:
    """``*.iso`` regular files below ``folder``, never through a link, at most SEARCH_DEPTH down."""
    base = len(folder.parts)
    for top, dirs, files in os.walk(folder, followlinks=False):
        if len(Path(top).parts) - base >= SEARCH_DEPTH:
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(top) / name
            if name.endswith(".iso") and path.is_file() and not path.is_symlink():
                yield path


def sha256(path: Path, show: bool) -> str:
    """The file's SHA-256, streamed (progress on a terminal only)."""
    digest = hashlib.sha256()
    progress = Progress(path.stat().st_size, f"checksumming {path.name}", show)
    with open(path, "rb") as stream:
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
            progress.advance(len(chunk))
    progress.finish()
    return digest.hexdigest()


def image_dir(iso: Path, prefix: str) -> tuple[str, str]:
    """(image folder, pxelinux config name) for an ISO: ``live/Fedora-KDE-Live-41`` and ``live.Fedora-KDE-Live-41``."""
    stem = _UNSAFE.sub("-", iso.stem).strip("-.") or "image"
    stem = stem if stem[0].isalnum() else "iso-" + stem
    return f"{prefix}/{stem}", f"{prefix.replace('/', '.')}.{stem}"


def place_all(isos: list[Path], root: Path, prefix: str = "live", show: bool = False,
              **convert_options: object) -> list[Placed]:
    """Convert each ISO into ``root`` unless it holds it already; one Placed per ISO."""
    results = []
    for iso in isos:
        try:
            results.append(_place(iso, root, prefix, show, convert_options))
        except LivepxeError as exc:
            log.info("%s: %s", iso, exc)   # the caller reports failures (the CLI: one error line each)
            results.append(Placed(str(iso), "", image_dir(iso, prefix)[0], "failed", error=str(exc)))
    return results


def _place(iso: Path, root: Path, prefix: str, show: bool, convert_options: dict) -> Placed:
    digest = sha256(iso, show)
    held = {image.note.iso_sha256: image for image in images(root) if image.note.iso_sha256}
    if digest in held:
        return Placed(str(iso), digest, held[digest].image_dir, "skipped", held[digest].ram_mib)
    folder, bootfile = image_dir(iso, prefix)
    replacing = any(image.image_dir == folder for image in images(root))
    result = convert(ConvertOptions(iso=iso, tftproot=root, imagedir=folder, bootfile=bootfile, force=replacing,
                                    progress=show, iso_sha256=digest, **convert_options))
    return Placed(str(iso), digest, folder, "replaced" if replacing else "placed", result.ram_mib)


def summary_json(results: list[Placed], root: Path) -> str:
    return json.dumps({"root": str(root), "images": [asdict(r) for r in results]}, indent=2) + "\n"
