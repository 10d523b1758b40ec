"""The repository explains itself: every requirement id the code cites is defined in
docs/COMPLIANCE.md, which defines exactly C1–C25, and every module, name and test that
docs/COMPLIANCE.md and docs/GLOSSARY.md point at still exists.

Conventions the docs follow (and this test reads): references are in backticks; a module path is
relative to `src/keyuan/` unless it starts with `src/`, `tests/` or `docs/`; a path ending in `/`
is a folder; a name in backticks on the same line as a path is defined there (a class, function,
method, field or constant), so a `test_…` name is a test function of the test file on its line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "keyuan"
COMPLIANCE = ROOT / "docs" / "COMPLIANCE.md"
GLOSSARY = ROOT / "docs" / "GLOSSARY.md"
DOCS = (COMPLIANCE, GLOSSARY)
REQUIREMENTS = [f"C{n}" for n in range(1, 26)]

# Where requirement ids are cited: the package, the tests and the prose around them.
CITING = (PACKAGE, ROOT / "tests", ROOT / "docs", ROOT / "README.md", ROOT / "CHANGELOG.md")
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis",
                "node_modules"}  # axe-core from npm (tests/browser/axe/)

# A requirement id stands alone: "C7", "(C1, C6)", "C15/C16", "C1–C25". Not the tail of a word or
# hex run ("CC0", "0xC1", "3C10"), not a CSS colour ("#C10"), not a prefix ("C1a").
CITATION = re.compile(r"(?<![#\w])C(\d+)(?!\w)")
HEADING = re.compile(r"^### (C\d+) — \S", re.MULTILINE)
OVERVIEW_ROW = re.compile(r"^\| (C\d+) \|", re.MULTILINE)
BACKTICKED = re.compile(r"`([^`\n]+)`")
BARE_SOURCE_PATH = re.compile(r"\bsrc/keyuan/[\w./-]*\w/?")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", re.ASCII)
ROOTED = ("src/", "tests/", "docs/")
PATH_SUFFIXES = (".py", ".html", ".js", ".json", ".css", ".md", ".toml")


def _text_files(start: Path) -> Iterator[Path]:
    if start.is_file():
        yield start
        return
    for path in sorted(start.rglob("*")):
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(start).parts):
            yield path


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # images, compiled files: nothing is cited there
        return None


def citations() -> dict[str, list[str]]:
    """Requirement id → where it is cited ("path:line")."""
    found: dict[str, list[str]] = defaultdict(list)
    for start in CITING:
        for path in _text_files(start):
            text = _read(path)
            for number, line in enumerate((text or "").splitlines(), start=1):
                for match in CITATION.finditer(line):
                    found[match.group(0)].append(f"{path.relative_to(ROOT)}:{number}")
    return found


def _looks_like_path(token: str) -> bool:
    if " " in token or "://" in token or token.startswith("/") or "{" in token:
        return False
    return "/" in token or token.endswith(PATH_SUFFIXES)


def resolve(token: str, doc: Path) -> Path:
    """A reference as the docs write it → the file or folder it names."""
    if token.startswith(ROOTED):
        return ROOT / token
    if token.endswith(".md") and "/" not in token:
        return doc.parent / token
    return PACKAGE / token


def _paths_on(line: str, doc: Path) -> list[tuple[str, Path]]:
    tokens = [t for t in BACKTICKED.findall(line) if _looks_like_path(t)]
    tokens += BARE_SOURCE_PATH.findall(line)
    tokens += [link for link in MARKDOWN_LINK.findall(line) if "://" not in link]
    return [(token, resolve(token, doc)) for token in dict.fromkeys(tokens)]


def _lines(doc: Path) -> Iterator[tuple[int, str]]:
    yield from enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1)


def _defines(files: list[Path], name: str) -> bool:
    """Each part of `name` ("Consent", "Consent.withdraw") is defined in one of `files`: a class,
    a function or method, or an assignment or annotated field at the start of a line. A name that
    is only imported or mentioned does not count, so renaming a definition breaks the doc."""
    texts = [_read(f) or "" for f in files]
    return all(any(_definition(part).search(text) for text in texts) for part in name.split("."))


def _definition(part: str) -> re.Pattern[str]:
    word = re.escape(part)
    return re.compile(rf"^\s*(?:(?:async\s+)?def\s+{word}\(|class\s+{word}\b|{word}\s*[:=])",
                      re.MULTILINE)


def _files_under(paths: list[Path]) -> list[Path]:
    return [f for p in paths if p.exists() for f in _text_files(p)]


def _names_on(line: str) -> list[str]:
    return [t for t in BACKTICKED.findall(line) if IDENTIFIER.fullmatch(t)
            and not _looks_like_path(t) and not CITATION.fullmatch(t)]


# --- requirement ids ------------------------------------------------------------------------


def test_compliance_md_defines_exactly_c1_to_c25_once_each_in_order() -> None:
    text = COMPLIANCE.read_text(encoding="utf-8")
    assert HEADING.findall(text) == REQUIREMENTS
    assert OVERVIEW_ROW.findall(text) == REQUIREMENTS


def test_every_requirement_cited_anywhere_is_defined_in_compliance_md() -> None:
    found = citations()
    assert "C1" in found, "the scan must reach the code that cites requirements"

    undefined = {cid: where[:5] for cid, where in found.items() if cid not in REQUIREMENTS}

    assert not undefined, f"cited but not defined in docs/COMPLIANCE.md: {undefined}"


@pytest.mark.parametrize("line", ["(C1, C6)", "C15/C16: no file", "C1–C25", "see C7."])
def test_citations_are_found_wherever_they_stand(line: str) -> None:
    assert CITATION.search(line)


@pytest.mark.parametrize("line", ["CC0 weights", "0xC1", "#C10", "3C10", "C1a", "ABC12"])
def test_words_hex_and_colours_are_not_citations(line: str) -> None:
    assert not CITATION.search(line)


# --- paths, names and tests the docs point at -------------------------------------------------


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_path_named_in_the_docs_exists(doc: Path) -> None:
    missing = [f"{doc.name}:{n}: {token}" for n, line in _lines(doc)
               for token, path in _paths_on(line, doc)
               if not (path.is_dir() if token.endswith("/") else path.is_file())]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_name_next_to_a_path_is_there(doc: Path) -> None:
    missing: list[str] = []
    for n, line in _lines(doc):
        files = _files_under([path for _, path in _paths_on(line, doc)])
        missing += [f"{doc.name}:{n}: {name}" for name in _names_on(line)
                    if files and not _defines(files, name)]
    assert not missing, "\n".join(missing)


def test_the_docs_name_sources_and_tests_at_all() -> None:
    """Guards the two tests above against reading nothing."""
    text = COMPLIANCE.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert sum("`tests/" in line for line in lines) >= len(REQUIREMENTS)
    assert sum(bool(_names_on(line)) and bool(_paths_on(line, COMPLIANCE)) for line in lines) > 50
