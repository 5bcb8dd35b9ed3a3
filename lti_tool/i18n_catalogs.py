"""The translation catalogs, kept in step with the sources (``flask translations ...``).

``sync`` extracts every marked string from ``lti_tool/`` and ``templates/``, brings each
language's ``messages.po`` up to date (new strings added untranslated, strings no longer used
dropped, optionally filling gaps from a translator's file) and compiles ``messages.mo``, which is
what the app reads. Both files are committed, so a fresh clone speaks every language with no
build step; ``tests/test_i18n.py`` fails when they drift from the sources.

Catalogs are written sorted by message, without line numbers, so two changes to different
messages touch different lines.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "N_": None,
    "Nn_": (1, 2),
}
# What is extracted, relative to ROOT. The development launcher plays the LMS and is not
# translated (it is not part of what a company installs).
SOURCES: tuple[tuple[str, list[tuple[str, str]], dict[str, dict[str, str]]], ...] = (
    ("lti_tool", [("devlauncher/**", "ignore"), ("**.py", "python")], {}),
    (
        "templates",
        [("devlauncher/**", "ignore"), ("**.html", "jinja2")],
        {"**.html": {"extensions": "jinja2.ext.do", "trimmed": "true"}},
    ),
)


def extract() -> Catalog:
    """Every marked string in the sources, as a template catalog."""
    template = Catalog(project="Wayfinder", msgid_bugs_address="", charset="utf-8")
    for message, location, comments, context in _found():
        template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def clashes() -> dict[str, set[str]]:
    """Messages that share a singular but differ as plain text and plurals, or in their plural:
    a catalog holds one entry per singular, so one of the callers would get the other's words."""
    forms: dict[tuple[str | None, str], set[str]] = {}
    for message, _location, _comments, context in _found():
        singular = message if isinstance(message, str) else message[0]
        plural = "" if isinstance(message, str) else message[1]
        forms.setdefault((context, singular), set()).add(plural)
    return {singular: plurals for (_c, singular), plurals in forms.items() if len(plurals) > 1}


def _found() -> Iterable[tuple[str | tuple[str, ...], tuple[str, int], list[str], str | None]]:
    for folder, method_map, options in SOURCES:
        found = extract_from_dir(
            ROOT / folder,
            method_map=method_map,
            options_map=options,
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            yield message, (f"{folder}/{filename}", lineno), comments, context


def _keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, str(m.id)) for m in catalog if m.id}


def languages() -> list[str]:
    return sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(
        out,
        catalog,
        width=100,
        sort_output=True,
        include_lineno=False,
        ignore_obsolete=True,
        omit_header=False,
    )
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _fill(catalog: Catalog, donors: Iterable[Catalog]) -> int:
    filled = 0
    for donor in donors:
        for message in donor:
            if not message.id or not message.string or message.fuzzy:
                continue
            mine = catalog.get(message.id, message.context)
            if mine is not None and not _translated(mine):
                mine.string = message.string
                filled += 1
    return filled


def _translated(message: object) -> bool:
    string = getattr(message, "string", None)
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


@dataclass
class Report:
    language: str
    messages: int = 0
    missing: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    filled: int = 0

    @property
    def complete(self) -> bool:
        return not (self.missing or self.fuzzy or self.errors)


def check(catalog: Catalog, language: str) -> Report:
    report = Report(language)
    for message in catalog:
        if not message.id:
            continue
        report.messages += 1
        label = message.id if isinstance(message.id, str) else message.id[0]
        if message.fuzzy:
            report.fuzzy.append(label)
        elif not _translated(message):
            report.missing.append(label)
    for message, errors in catalog.check():
        report.errors.extend(f"{message.id!r}: {error}" for error in errors)
    return report


def updated(language: str, template: Catalog, donors: Iterable[Catalog] = ()) -> Catalog:
    """The language's catalog brought up to date with the template (nothing written)."""
    catalog = load(po_path(language), language)
    created = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    # Keep the header still, so syncs that change nothing change no line.
    catalog.creation_date = created
    _fill(catalog, donors)
    catalog.fuzzy = False
    return catalog


def sync(donor_files: Iterable[Path] = ()) -> list[Report]:
    template = extract()
    reports = []
    for language in languages():
        donors = [load(path, language) for path in donor_files]
        catalog = updated(language, template, donors)
        path = po_path(language)
        path.write_bytes(po_bytes(catalog))
        # Compile what was just written, as the app will read it.
        written = load(path, language)
        path.with_suffix(".mo").write_bytes(mo_bytes(written))
        reports.append(check(written, language))
    return reports


def add_language(language: str) -> Path:
    path = po_path(language)
    if path.exists():
        raise click.ClickException(f"{language} already has a catalog: {path}")
    path.parent.mkdir(parents=True)
    catalog = Catalog(
        locale=language,
        project="Wayfinder",
        charset="utf-8",
        header_comment=(
            f"# {Locale.parse(language).english_name} translations of Wayfinder's pages.\n"
            "# Kept in step with the sources by `flask translations sync`; see docs/translating.md."
        ),
        copyright_holder="",
        last_translator="",
        language_team="",
    )
    path.write_bytes(po_bytes(catalog))
    return path


translations_cli = AppGroup("translations", help="The catalogs that translate Wayfinder's pages.")


@translations_cli.command("sync")
@click.option(
    "--from",
    "donors",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A .po file whose translations fill untranslated messages (repeatable).",
)
def sync_command(donors: tuple[Path, ...]) -> None:
    """Extract marked strings, update every language's catalog and compile it."""
    for report in sync(donors):
        state = "complete" if report.complete else f"{len(report.missing)} untranslated"
        click.echo(f"{report.language}: {report.messages} messages, {state}")
        for error in report.errors:
            click.echo(f"  error {error}")


@translations_cli.command("check")
def check_command() -> None:
    """List untranslated and broken messages; exit 1 when a catalog is incomplete or stale."""
    template = extract()
    failed = False
    for language in languages():
        report = check(updated(language, template), language)
        committed = load(po_path(language), language)
        stale = _keys(template) != _keys(committed)
        click.echo(f"{language}: {report.messages} messages")
        for label in report.missing:
            click.echo(f"  untranslated: {label!r}")
        for label in report.fuzzy:
            click.echo(f"  fuzzy: {label!r}")
        for error in report.errors:
            click.echo(f"  error {error}")
        if stale:
            click.echo("  the catalog is out of date: run `flask translations sync`")
        failed = failed or stale or not report.complete
    if failed:
        raise SystemExit(1)


@translations_cli.command("add")
@click.argument("language")
def add_command(language: str) -> None:
    """Start a catalog for a new language (a code like "pt_BR"), then run sync."""
    path = add_language(language)
    click.echo(f"Created {path}; run `flask translations sync` to fill it with messages.")
