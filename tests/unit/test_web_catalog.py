"""Every user-facing string of the pages is in the catalog, in both languages."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from keyuan.web.i18n import LANGS, Translator, area_of, catalog, error_owners, pick_lang

WEB = resources.files("keyuan.web")
PRINT_TEMPLATES = resources.files("keyuan.web") / "templates" / "print"
TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")
MACRO_KEY = re.compile(r"""\bboth\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")  # the receipt's both()
JS_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")


def _print_templates() -> list[tuple[str, str]]:
    return [(e.name, e.read_text(encoding="utf-8")) for e in PRINT_TEMPLATES.iterdir()
            if e.name.endswith(".html")]


def _files(folder: str, suffix: str) -> list[tuple[str, str]]:
    return [(e.name, e.read_text(encoding="utf-8")) for e in (WEB / folder).iterdir()
            if e.name.endswith(suffix)]


@pytest.mark.parametrize("name,text", _files("catalog", ".json"))
def test_each_catalog_file_has_the_same_keys_in_both_languages(name: str, text: str) -> None:
    data = json.loads(text)
    assert set(data) == set(LANGS), name
    assert set(data["zh-CN"]) == set(data["en"]), name
    for lang in LANGS:
        assert all(isinstance(v, str) and v.strip() for v in data[lang].values()), (name, lang)


def test_every_key_used_by_a_template_or_script_exists() -> None:
    used: set[str] = set()
    for _, text in _files("templates", ".html"):
        used |= set(TEMPLATE_KEY.findall(text))
    for name, text in _print_templates():
        found = set(TEMPLATE_KEY.findall(text)) | set(MACRO_KEY.findall(text))
        assert found, name  # every printable page speaks from the catalog
        used |= found
    for _, text in _files("static", ".js"):
        used |= set(JS_KEY.findall(text))
    for lang in LANGS:
        missing = sorted(used - set(catalog()[lang]))
        assert missing == [], f"{lang}: {missing}"


def test_english_is_not_chinese_copied_over() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    for key, text in catalog()["en"].items():
        if key != "common.switch_lang":  # the switch names the other language in itself
            assert not han.search(text), key


def test_language_choice_and_errors_area() -> None:
    assert pick_lang(None, "en") == "en"
    assert pick_lang("fr", None) == "zh-CN"
    assert area_of("errors_kiosk.json") == "errors"
    t = Translator("en")
    assert t("common.logged_in_as", name="li", role="manager") == "Signed in as li (manager)"
    with pytest.raises(KeyError):
        t("common.no_such_key")
    assert "errors.network" in t.area("errors")


def test_a_page_gets_only_the_error_wording_of_its_own_areas() -> None:
    t = Translator("zh-CN")
    owners = error_owners()
    kiosk_only = [k for k, owner in owners.items() if owner == "kiosk"]
    shared = [k for k, owner in owners.items() if owner == ""]
    assert kiosk_only and shared
    channel_page = json.loads(str(t.js("channel")).split(">", 1)[1].rsplit("<", 1)[0])
    kiosk_page = json.loads(str(t.js("kiosk")).split(">", 1)[1].rsplit("<", 1)[0])
    assert not set(kiosk_only) & set(channel_page)
    assert set(kiosk_only) <= set(kiosk_page) and set(shared) <= set(channel_page)


def test_every_decision_reason_code_has_words_in_both_languages() -> None:
    from keyuan.domain.attribution import adjudication as a

    codes = set(a.DECISION_CODES)
    for lang in LANGS:
        assert {f"reasons.{c}" for c in codes} <= set(catalog()[lang]), lang


def test_every_audit_chain_break_has_words_in_both_languages() -> None:
    from keyuan.domain.compliance.audit import BREAK_KINDS

    for lang in LANGS:
        assert {f"dashboard.audit_break_{k}" for k in BREAK_KINDS} <= set(catalog()[lang]), lang


def test_printable_pages_carry_no_hard_coded_chinese() -> None:
    """Labels on the printouts come from the catalog: outside Jinja tags and comments a
    printable template holds no Han character."""
    han = re.compile(r"[\u4e00-\u9fff]")
    jinja = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
    for name, text in _print_templates():
        assert not han.search(jinja.sub("", text)), name
        for tag in re.findall(r"{{.*?}}|{%.*?%}", text, re.S):
            assert not han.search(tag), (name, tag)
