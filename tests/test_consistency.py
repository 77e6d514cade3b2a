"""The codebase checks itself: documented settings, complete French catalogue, labelled pages."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from pilotis.options import OPTIONS
from pilotis.shell.capabilities import CAPABILITIES

ROOT = Path(__file__).resolve().parent.parent


def test_every_option_is_documented():
    """Each environment variable Pilotis reads appears in docs/configuration.md."""
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in OPTIONS if f"`{name}`" not in doc]
    assert not missing


def test_settings_read_only_declared_options():
    """settings.py reads the environment through pilotis.options only, for declared names."""
    source = (ROOT / "pilotis" / "settings.py").read_text()
    assert "os.environ" not in source
    used = set(re.findall(r'env_(?:str|bool|list)\("([A-Z_]+)"', source))
    assert used <= set(OPTIONS), used - set(OPTIONS)
    assert used == set(OPTIONS), set(OPTIONS) - used


def test_nothing_below_settings_reads_the_environment():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "pilotis").rglob("*.py")
        if path.name not in ("options.py", "__main__.py", "wsgi.py")
        and re.search(r"os\.environ|os\.getenv", path.read_text())
    ]
    assert not offenders


def _po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of a .po file, multi-line strings joined."""
    entries, text = [], path.read_text()
    for block in text.split("\n\n"):
        msgid = (
            "".join(re.findall(r'"(.*)"', block.split("msgstr")[0].split("msgid", 1)[-1]))
            if "msgid" in block
            else None
        )
        if msgid is None or "msgstr" not in block:
            continue
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1]))
        entries.append((msgid, msgstr, "#, fuzzy" in block))
    return entries


def test_french_catalogue_is_complete():
    """Every message Pilotis shows has a French translation, none left fuzzy."""
    po = ROOT / "pilotis" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    entries = [e for e in _po_entries(po) if e[0]]
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert not untranslated, untranslated[:20]


def test_french_catalogue_is_compiled_and_current():
    """The .mo file is built from the current .po (make messages does both)."""
    po = ROOT / "pilotis" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_size > 1000


def test_capabilities_have_french_and_english_labels():
    for capability in CAPABILITIES:
        with translation.override("en"):
            english = str(capability.label)
        with translation.override("fr"):
            french = str(capability.label)
        assert english and french and english != french, capability.slug


def test_language_default_is_french():
    assert settings.LANGUAGE_CODE == "fr"
