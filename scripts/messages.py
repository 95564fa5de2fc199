#!/usr/bin/env python3
"""Keep the text catalogue in step with the code: extract, update, compile, check.

    scripts/messages.py update     extract every message, update the it/en catalogues
                                   (new messages appear untranslated), compile .mo files
    scripts/messages.py check      fail when a message lacks its Italian translation, or
                                   a compiled catalogue is older than its .po file
    scripts/messages.py absorb F   take the translations of another copy of a catalogue
                                   (after a merge conflict), then update

Messages come from the code (``_()``, ``N_()``, ``ngettext()``, ``M()``), the Jinja2
templates (``{% trans %}``, ``_()``) and the shipped catalogues' ``label``, ``rule_text``
and ``explanation`` fields (``data/*.toml``). The catalogues are sorted and carry no
line numbers, so a diff shows only what changed. Babel does the work; this script only
says where to look.
"""

from __future__ import annotations

import argparse
import io
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "accessibility"
LOCALE = PACKAGE / "locale"
DATA = ROOT / "data"
LANGUAGES = ("it", "en")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "M": None, "gettext": None}
TOML_KEYS = ("label", "rule_text", "explanation")


def toml_messages(path: Path) -> Iterator[tuple[str, str]]:
    """(message, where) for every translatable field of a catalogue, at any depth."""

    def walk(node: object, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in TOML_KEYS and isinstance(value, str):
                    yield value, f"{where}.{key}"
                else:
                    yield from walk(value, f"{where}.{key}")

    yield from walk(tomllib.loads(path.read_text(encoding="utf-8")), path.name)


def template() -> Catalog:
    """Every message of the code, templates and catalogues."""
    pot = Catalog(project="accessibility", fuzzy=False)
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for filename, _lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map, options, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
    ):
        pot.add(message, locations=[(f"accessibility/{filename}", None)], auto_comments=comments, context=context)
    for path in sorted(DATA.glob("**/*.toml")):
        for message, where in toml_messages(path):
            pot.add(message, locations=[(f"data/{where}", None)])
    return pot


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.is_file():
        return Catalog(locale=lang, project="accessibility", fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def save(catalog: Catalog, lang: str) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    write_po(out, catalog, sort_output=True, omit_header=False, include_lineno=False, width=100, ignore_obsolete=True)
    path.write_bytes(out.getvalue())
    mo = io.BytesIO()
    write_mo(mo, catalog)
    path.with_suffix(".mo").write_bytes(mo.getvalue())


def update() -> None:
    pot = template()
    for lang in LANGUAGES:
        catalog = load(lang)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.fuzzy = False
        save(catalog, lang)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated")


def absorb(other: Path) -> None:
    """Add the translations of ``other`` (a .po file) where ours has none."""
    with other.open("rb") as fh:
        theirs = read_po(fh)
    lang = str(theirs.locale) if theirs.locale else "it"
    ours = load(lang)
    for message in theirs:
        if message.id and message.string:
            mine = ours.get(message.id, context=message.context)
            if mine is None:
                ours.add(message.id, message.string, context=message.context)
            elif not mine.string:
                mine.string = message.string
    save(ours, lang)
    update()


def problems() -> list[str]:
    """What ``check`` reports: untranslated Italian messages, messages the code uses that
    the catalogue lacks, stale compiled files."""
    out: list[str] = []
    pot = template()
    italian = load("it")
    for message in pot:
        if not message.id:
            continue
        mine = italian.get(message.id, context=message.context)
        if mine is None or not mine.string:
            where = ", ".join(f for f, _ in message.locations[:2])
            out.append(f"no Italian translation for {message.id!r} ({where})")
    for lang in LANGUAGES:
        po, mo = po_path(lang), po_path(lang).with_suffix(".mo")
        if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime - 1:
            out.append(f"{mo.relative_to(ROOT)} is older than its .po: run scripts/messages.py update")
        else:
            compiled = io.BytesIO()
            write_mo(compiled, load(lang))
            if compiled.getvalue() != mo.read_bytes():
                out.append(f"{mo.relative_to(ROOT)} differs from its .po: run scripts/messages.py update")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("update", "check", "absorb"))
    parser.add_argument("file", nargs="?", type=Path)
    args = parser.parse_args()
    if args.command == "update":
        update()
    elif args.command == "absorb":
        if args.file is None:
            parser.error("absorb needs the other .po file")
        absorb(args.file)
    else:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
