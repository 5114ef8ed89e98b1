"""Every front end and the docs' option tables agree with the one option table."""

from __future__ import annotations

import argparse
import optparse
import re
from pathlib import Path

from livepxe import cli
from livepxe.creator.options import add_option_group
from livepxe.optiontable import TABLE

REPO = Path(__file__).resolve().parents[1]


def test_convert_and_the_creator_offer_every_option_of_the_table():
    parser = argparse.ArgumentParser()
    cli.add_convert_arguments(parser)
    convert_flags = {flag for action in parser._actions for flag in action.option_strings}
    creator = optparse.OptionParser()
    add_option_group(creator)
    creator_flags = {opt.get_opt_string() for group in creator.option_groups for opt in group.option_list}
    for spec in TABLE:
        assert spec.flag in convert_flags and spec.creator_flag in creator_flags, spec


def _documented(path: Path) -> list[tuple[str, str]]:
    """(flag, its documented values) from a doc's option table rows: | `--flag a\\|b` | ..."""
    rows = re.findall(r"^\| `(--[a-z-]+)((?: [^`]*)?)` \|", path.read_text(), re.M)
    return [(flag, values.strip().replace("\\|", "|")) for flag, values in rows]


def test_the_docs_option_tables_name_only_real_options_and_their_real_values():
    by_flag = {spec.flag: spec for spec in TABLE} | {spec.creator_flag: spec for spec in TABLE}
    checked = 0
    for doc in (REPO / "README.md", REPO / "docs/livecd-creator.md"):
        for flag, values in _documented(doc):
            if flag == "--pxe":
                continue
            assert flag in by_flag, f"{doc.name}: {flag} is not an option"
            spec = by_flag[flag]
            if spec.choices:
                assert values == "|".join(m.value for m in spec.choices), f"{doc.name}: {flag} {values}"
            checked += 1
    assert checked >= 12
