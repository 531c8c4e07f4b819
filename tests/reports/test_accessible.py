"""Accessible, minimal PDFs, read back from every document type: structurally sound
(qpdf's checks through pikepdf), the document language, the title shown by the reader,
XMP metadata matching the document information, every font embedded, no personal names
in the metadata, an outline of the headings."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from reports.i18n import Language

from . import samples as s
from .docs import builders

CATALOGUE = Path(__file__).resolve().parents[2] / "screening" / "translations"
TITLES = {
    "guardian_letter": "Invitation",
    "professional_letter": "Invitation",
    "invitations": "Mødeinvitationer",
    "action_plan": "Handleplan",
    "action_plans": "Handleplaner",
    "round_overview": "Rundeoversigt – Efterår 2026",
    "municipal_overview": "Kommunal oversigt – Efterår 2026",
    "parents_copy": "Oplysninger om barnet",
    "group_overview": "Trafiklys – Efterår 2026",
}
NAMES = ("Alma", "Østergaard", "Mette", "Lars", "Jensen", "Hanne", "Søren", "Otto")


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    return {kind: build() for kind, build in builders().items()}


@pytest.mark.parametrize("kind", sorted(TITLES))
def test_document_properties(documents, kind, tmp_path):
    pdf_bytes = documents[kind]
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        assert pdf.check_pdf_syntax() == [], "qpdf finds the structure unsound"
        root = pdf.Root
        assert str(root.Lang) == "da"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        info = pdf.docinfo
        assert str(info.Title) == TITLES[kind]
        assert str(info.Author) == "Solbjerg Kommune"
        assert str(info.Creator) == "Trivselsspor"
        metadata = " ".join(str(v) for v in info.values())
        for name in NAMES:
            assert name not in metadata, name
        with pdf.open_metadata() as xmp:
            assert xmp["dc:title"] == TITLES[kind]
            assert xmp["dc:creator"] == ["Solbjerg Kommune"]
            assert xmp["dc:language"] == {"da"} or xmp["dc:language"] == ["da"]
            assert xmp["xmp:CreatorTool"] == "Trivselsspor"
        with pdf.open_outline() as outline:
            assert outline.root, "the headings are in the outline"
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(pdf_bytes)
    assert shutil.which("pdffonts"), "poppler-utils is missing: `make test` installs it"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows
    for row in rows:
        name, kind_, *_rest = row.split()
        emb = row.split()[-5]
        assert kind_ == "TrueType", row
        assert emb == "yes", row  # embedded
        assert "DejaVuSans" in name or "Symbola" in name, row
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert f"Title:           {TITLES[kind]}" in info.stdout
    assert "Page size:       595.276 x 841.89 pts (A4)" in info.stdout


def test_an_english_document_says_so():
    lh = s.letterhead(language=Language.load("en", CATALOGUE))
    pdf_bytes = builders(lh)["action_plan"]()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert str(pdf.docinfo.Title) == "Action plan"
        with pdf.open_metadata() as xmp:
            assert xmp["dc:title"] == "Action plan"


def test_fallback_font_is_embedded_when_needed(tmp_path):
    pdf_bytes = builders()["action_plan"](s.plan(goals="Alma er glad 🎉🦊"))
    path = tmp_path / "emoji.pdf"
    path.write_bytes(pdf_bytes)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert "Symbola" in fonts.stdout
    assert all(row.split()[-5] == "yes" for row in fonts.stdout.splitlines()[2:])
