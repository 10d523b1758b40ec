"""The string catalog: every user-facing string of the pages, zh-CN (default) and en.

One JSON file per area under `web/catalog/` — `{"zh-CN": {...}, "en": {...}}` — so each area's
strings sit side by side in both languages. Keys are used as `area.key` (`t("kiosk.title")`).
Error wording by error code lives in `errors*.json` files (one per area), all under `errors.`.
A missing key is a bug and raises: tests render every page in both languages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Final

from markupsafe import Markup

LANGS: Final = ("zh-CN", "en")
DEFAULT_LANG: Final = "zh-CN"
LANG_COOKIE: Final = "keyuan_lang"


def pick_lang(*candidates: str | None) -> str:
    """The first supported language among the candidates (query, cookie), else zh-CN."""
    for value in candidates:
        if value in LANGS:
            return value
    return DEFAULT_LANG


def area_of(file_name: str) -> str:
    """`kiosk.json` → "kiosk"; every `errors*.json` (one per area) → "errors"."""
    area = file_name.removesuffix(".json")
    return "errors" if area.startswith("errors") else area


def error_owner(file_name: str) -> str:
    """`errors_kiosk.json` → "kiosk": whose pages need those error strings ("" = everyone's)."""
    return file_name.removesuffix(".json").removeprefix("errors").lstrip("_")


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    owners: dict[str, str] = {}
    folder = resources.files("keyuan.web") / "catalog"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        area = area_of(entry.name)
        data = json.loads(entry.read_text(encoding="utf-8"))
        for lang in LANGS:
            for key, text in data.get(lang, {}).items():
                name = f"{area}.{key}"
                if name in merged[lang]:
                    raise ValueError(f"catalog key {name} defined twice ({entry.name})")
                merged[lang][name] = text
                if area == "errors":
                    owners[name] = error_owner(entry.name)
    return merged, owners


def catalog() -> Mapping[str, Mapping[str, str]]:
    """lang → {"area.key": text}, from every catalog file."""
    return _load()[0]


def error_owners() -> Mapping[str, str]:
    """"errors.code" → the area whose file defines it ("" for the shared errors.json)."""
    return _load()[1]


class Translator:
    """`t("area.key", name=...)` in templates; `t.js("area", ...)` hands areas to page JS."""

    def __init__(self, lang: str) -> None:
        self.lang = pick_lang(lang)
        self._strings = catalog()[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._strings[key]  # KeyError: a string missing from the catalog is a bug
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._strings

    def area(self, *areas: str) -> dict[str, str]:
        prefixes = tuple(f"{a}." for a in areas)
        return {k: v for k, v in self._strings.items() if k.startswith(prefixes)}

    def js(self, *areas: str) -> Markup:
        """A JSON script element the page's JS reads with `keyuan.t(key)`: common strings, the
        shared error wording, and the strings and error wording of these areas only — so a
        distributor's page never carries the kiosk's face wording."""
        owners, wanted = error_owners(), {"", *areas}
        strings = {k: v for k, v in self.area("common", "errors", *areas).items()
                   if not k.startswith("errors.") or owners.get(k, "") in wanted}
        payload = json.dumps(strings, ensure_ascii=False)
        safe = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Markup(f'<script type="application/json" id="i18n">{safe}</script>')
