"""The committed man pages must be what `make man` generates from the click commands."""

from pathlib import Path

from jwcal.cli import manpages

MAN = Path(__file__).resolve().parents[1] / "man"


def test_every_page_is_committed_and_current():
    expected = manpages.pages()
    stale = [name for name, text in expected.items()
             if not (MAN / name).exists() or (MAN / name).read_text() != text]
    assert stale == [], f"stale man pages (run `make man`): {stale}"


def test_no_page_without_a_command():
    expected = set(manpages.pages())
    extra = {p.name for p in MAN.glob("jwcal*.1")} - expected
    assert extra == set()


def test_page_has_the_standard_sections():
    page = manpages.pages()["jwcal-cat.1"]
    for section in (".TH JWCAL-CAT 1", ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"):
        assert section in page
    assert "\\fB\\-o, \\-\\-output PATH\\fR" in page or "-o, --output PATH" in page
