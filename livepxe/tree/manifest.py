"""The tree's manifest (SHA256SUMS), in the format ``sha256sum -c`` reads."""

from __future__ import annotations


def sha256sums(digests: dict[str, str]) -> str:
    """``sha256sum -c`` format, paths relative to the TFTP root, sorted."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(digests.items()))


def parse_sha256sums(text: str) -> dict[str, str]:
    result = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, path = line.partition("  ")
            result[path.lstrip("*")] = digest
    return result
