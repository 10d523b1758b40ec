"""One word per concept (docs/GLOSSARY.md, "Words on the pages"): the string catalog, the page
templates, the default notices and the generated notice sections use the glossary's word and
none of the drifted variants it lists; each word listed is
still in use; every role and every way of recording a visit has one label per language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.desk_consent import DESK_USES, desk_section
from keyuan.domain.checkin.face_uses import FaceUse, liveness_line, processing_section
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.web.i18n import LANGS, Translator, catalog

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "GLOSSARY.md"
TEMPLATES = ROOT / "src" / "keyuan" / "web" / "templates"
NOTICES = ROOT / "src" / "keyuan" / "services" / "checkin" / "default_notices"
SECTION = "## Words on the pages"
BACKTICKED = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    drifted: tuple[str, ...]


def glossary_terms() -> list[Term]:
    """The rows of the glossary's "Words on the pages" table."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.find("\n## ", len(SECTION))]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]  # not the header
    terms = []
    for row in rows:
        zh, en, _what, drifted = (cell.strip() for cell in row.strip("|").split(" | "))
        terms.append(Term(zh, en, tuple(BACKTICKED.findall(drifted))))
    return terms


def contains(text: str, word: str) -> bool:
    """Chinese: as a substring. Latin: as whole words, ignoring case."""
    if word.isascii():
        return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None
    return word in text


def page_texts() -> dict[str, str]:
    """Where a reader meets words: every catalog string (both languages), every template, the
    default notices and the notice sections generated from the face uses (kiosk and desk)."""
    texts = {f"catalog {lang} {key}": value
             for lang in LANGS for key, value in catalog()[lang].items()}
    texts |= {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
              for path in [*sorted(TEMPLATES.rglob("*.html")), *sorted(NOTICES.glob("*.json"))]}
    texts |= {f"notice processing {lang}": processing_section(list(FaceUse), lang)
              for lang in LANGS}
    texts |= {f"desk notice {lang}": desk_section(DESK_USES, lang, challenge=True)
              for lang in LANGS}
    texts |= {f"liveness line {lang} challenge={challenge}":
              liveness_line(list(FaceUse), lang, enrollment=True, challenge=challenge)
              for lang in LANGS for challenge in (True, False)}
    return texts


def test_the_glossary_table_is_read() -> None:
    terms = glossary_terms()
    wanted = {"刷脸登记", "手机号登记", "回执编号", "报备", "到访确认", "判客"}
    assert wanted <= {t.zh for t in terms}
    assert sum(len(t.drifted) for t in terms) >= 20


@pytest.mark.parametrize("term", glossary_terms(), ids=lambda t: t.en)
def test_no_page_uses_a_drifted_variant(term: Term) -> None:
    found = [f"{where}: {variant!r} (say {term.zh!r} / {term.en!r})"
             for where, text in page_texts().items()
             for variant in term.drifted if contains(text, variant)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("term", glossary_terms(), ids=lambda t: t.en)
def test_every_glossary_word_is_used_in_its_language(term: Term) -> None:
    zh, en = catalog()["zh-CN"].values(), catalog()["en"].values()
    assert any(contains(text, term.zh) for text in zh), term.zh
    assert any(contains(text, term.en) for text in en), term.en


@pytest.mark.parametrize("text", ["请使用手机验证", "Phone check-in is off", "Receipt ID: 1"])
def test_drift_is_caught_in_either_case_and_inside_a_sentence(text: str) -> None:
    drifted = {v for t in glossary_terms() for v in t.drifted}
    assert any(contains(text, v) for v in drifted)


def test_a_latin_variant_must_be_a_whole_word() -> None:
    assert not contains("microphone check-in", "phone check-in")
    assert contains("use phone check-in.", "phone check-in")


@pytest.mark.parametrize("lang", LANGS)
def test_each_visit_method_has_one_word_on_every_page(lang: str) -> None:
    """Kiosk, portal, desk, dashboard and the printouts label a visit's method alike."""
    strings = catalog()[lang]
    for method in VisitMethod:
        labels = {key: text for key, text in strings.items()
                  if key.endswith(f".method_{method.value}")}
        assert labels, method
        assert len({text.lower() for text in labels.values()}) == 1, labels


@pytest.mark.parametrize("lang", LANGS)
def test_every_role_has_a_word_in_the_page_language(lang: str) -> None:
    t = Translator(lang)
    words = [t(f"common.role_{role.value}") for role in Role]
    assert len(set(words)) == len(Role)
    assert all(word != role.value for word, role in zip(words, Role, strict=True))
    if lang == "zh-CN":
        assert all(not word.isascii() for word in words), words
