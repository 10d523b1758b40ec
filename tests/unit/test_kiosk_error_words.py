"""Every error code a kiosk route can answer has words for a visitor, in both languages.

The kiosk page shows `kiosk.err_<code>` where it has one, else the errors catalog's
`errors.<code>` of the kiosk's own area (kiosk.js `explain`); the shared wording (errors.json)
is for staff pages and never reaches a visitor for a kiosk code. `KIOSK_CODES` lists what the
kiosk can get; a scan of the modules on the kiosk routes' path proves no raised error is missing
from it (a new `raise` there fails this test until the list and the catalog have it)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import pytest

import keyuan.domain.errors as domain_errors
from keyuan.domain.errors import KeyuanError
from keyuan.web.i18n import LANGS, catalog, error_owners

KIOSK_ROUTES = ("keyuan.api.routes.checkin", "keyuan.api.guard")
ON_THE_PATH = ("keyuan.api.routes.checkin", "keyuan.api.guard", "keyuan.api.schemas.common",
               "keyuan.services.checkin", "keyuan.services.faces", "keyuan.services.throttle",
               "keyuan.services.sms", "keyuan.domain.checkin", "keyuan.domain.mobile")

KIOSK_CODES = frozenset({
    # the kiosk session, its device and the office
    "unknown_office", "no_office_yet", "controller_incomplete", "unknown_session",
    "device_not_paired", "device_other_office", "pairing_code_invalid", "pairing_rate_limited",
    "kiosk_sessions_rate_limited", "session_person_mismatch",
    # notice and consent
    "no_active_notice", "notice_mismatch", "consent_missing", "consent_withdrawn",
    "consent_renewal_needed", "purpose_mismatch", "unknown_consent", "receipt_not_signed",
    "receipt_code_invalid", "receipt_lookup_rate_limited",
    # face: availability, uses, consent rules, quality, images
    "face_module_disabled", "impact_assessment_missing", "impact_assessment_stale",
    "impact_assessment_demo", "face_use_off", "use_not_in_notice", "lane_not_in_notice",
    "liveness_not_in_notice",
    "minor_face_refused", "face_declined_this_visit", "already_enrolled",
    "possibly_checked_in_before", "not_verified", "unknown_person", "template_model_mismatch",
    "engine_model_invalid", "face_attempts_rate_limited", "face_busy", "too_many_frames",
    "frame_times_mismatch",
    "no_face", "multiple_faces", "face_too_small", "face_too_blurry", "face_too_dark",
    "face_too_bright", "not_enough_frames", "not_an_image", "image_truncated",
    "image_too_large", "image_shape_refused", "not_live",
    # the liveness challenge (活体挑战) of a return visit
    "challenge_missing", "challenge_unknown", "challenge_elsewhere", "challenge_used",
    "challenge_expired",
    # mobile and SMS
    "invalid_mobile", "code_invalid", "code_expired", "too_many_attempts", "code_rate_limited",
    "code_locked_out", "sms_rate_limited", "sms_gateway_refused", "sms_gateway_throttled",
    "sms_gateway_unavailable", "sms_number_refused",
    # HTTP and the page itself
    "invalid_request", "not_found", "request_too_large", "internal_error", "store_unavailable",
    "csrf_failed", "not_authenticated", "forbidden", "rate_limited", "network", "generic",
})

NOT_ON_A_KIOSK_ROUTE = frozenset({
    # raised by admin functions of modules the kiosk routes also use (offices, devices, notices)
    "device_already_unpaired", "invalid_device_name", "unknown_device", "invalid_contact",
    "invalid_credit_code", "invalid_office", "legal_entity_exists", "notice_incomplete",
    "office_exists", "office_required", "unknown_legal_entity",
    # 轮排 rules live beside the notice's consultant-alert sentence, which notices import
    "no_consultant_available", "consultant_unchanged", "queue_place_invalid",
    "consultant_changed",
})


def kiosk_words(code: str, lang: str) -> str | None:
    """What kiosk.js `explain` shows for `code`, or None when it would fall back."""
    strings, owners = catalog()[lang], error_owners()
    if f"kiosk.err_{code}" in strings:
        return strings[f"kiosk.err_{code}"]
    if owners.get(f"errors.{code}") == "kiosk":
        return strings[f"errors.{code}"]
    return None


@pytest.mark.parametrize("lang", LANGS)
def test_every_code_a_kiosk_route_can_answer_has_visitor_words(lang: str) -> None:
    missing = sorted(code for code in KIOSK_CODES if kiosk_words(code, lang) is None)
    assert missing == [], f"{lang}: no kiosk wording for {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_kiosk_error_words_are_for_people(lang: str) -> None:
    """No CLI, no API path, no hex, no code names: the words a visitor reads."""
    machine = re.compile(r"keyuan |/api/|/admin|[0-9a-f]{16}|[a-z]+_[a-z]+")
    generic = catalog()[lang]["errors.generic"]
    for code in KIOSK_CODES:
        words = kiosk_words(code, lang) or ""
        assert not machine.search(words), (code, words)
        assert words != generic or code == "generic", code


def _modules_on_the_path() -> set[str]:
    seen: set[str] = set()
    todo = list(KIOSK_ROUTES)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    for target in (f"{node.module}.{alias.name}", node.module):
                        if target.startswith(ON_THE_PATH) and _is_module(target):
                            todo.append(target)
                            break
    return seen


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _raised_codes(module: str) -> set[str]:
    """The codes of every KeyuanError a module raises or hands on to be raised (throttles)."""
    codes: set[str] = set()
    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    for node in ast.walk(tree):
        refs: list[ast.expr] = []
        if isinstance(node, ast.Raise) and node.exc is not None:
            refs.append(node.exc.func if isinstance(node.exc, ast.Call) else node.exc)
        elif isinstance(node, ast.Call):
            refs.extend(node.args)
        for ref in refs:
            found = getattr(domain_errors, ref.id, None) if isinstance(ref, ast.Name) else None
            if isinstance(found, type) and issubclass(found, KeyuanError) \
                    and found is not KeyuanError:
                codes |= {cls.code for cls in (found, *found.__subclasses__())}
    return codes


def test_the_kiosk_codes_cover_every_error_raised_on_the_kiosk_routes_path() -> None:
    modules = _modules_on_the_path()
    assert "keyuan.services.checkin.face" in modules  # the scan follows the imports
    raised = set().union(*(_raised_codes(m) for m in modules))
    assert {"not_verified", "code_invalid", "device_not_paired"} <= raised
    assert sorted(raised - KIOSK_CODES - NOT_ON_A_KIOSK_ROUTE) == []
