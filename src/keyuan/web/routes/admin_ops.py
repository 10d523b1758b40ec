"""The admin workspace's daily-operation pages for what used to need the command line:
`/admin/notices` (an office's notices: drafts with what still stops them in words, publish,
republish) for the compliance roles; `/admin/cameras` (an office's cameras: profile, lane and
its confirmation, on/off, why one does not run, live-stream pulls) for managers and
compliance. The pages list; their JS changes things through the existing JSON API (same
policy, same services as `keyuan notice …` and `keyuan capture …`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from keyuan.adapters.capture.pulls import PullJob
from keyuan.api.deps import ServiceDeps
from keyuan.api.routes.capture import Runtime
from keyuan.domain.accounts.model import Role
from keyuan.domain.accounts.policy import decide, rule_for
from keyuan.domain.capture.cameras import CameraProfile
from keyuan.domain.capture.errors import PullNotFound
from keyuan.domain.checkin.face_uses import FaceUse, use_text
from keyuan.domain.checkin.notice import NoticeProblem
from keyuan.domain.compliance.pia import SettingChange
from keyuan.domain.errors import UnknownOffice
from keyuan.services.capture import service as capture
from keyuan.services.checkin import offices as office_svc
from keyuan.services.compliance import notices
from keyuan.services.compliance import pia as pia_svc
from keyuan.web.i18n import Translator
from keyuan.web.pages import lang_of, principal_of, render

router = APIRouter(include_in_schema=False)
OFFICE_ID_MAX = 64


def _office(deps: ServiceDeps, wanted: str) -> tuple[str, list[tuple[str, str]]]:
    """The office the page shows (`?office=`, else the first) and every office to pick from."""
    choices = [(v.office.id, v.office.name) for v in office_svc.offices(deps)]
    if not choices:
        raise UnknownOffice("No office yet: add one on /admin/offices first.")
    ids = [office_id for office_id, _ in choices]
    return (wanted if wanted in ids else ids[0]), choices


def can(request: Request, method: str, path: str) -> bool:
    """Whether the caller may use this route (the page offers only what the policy allows)."""
    return decide(rule_for(method, path), principal_of(request)).allowed


def problem_words(t: Translator, problem: NoticeProblem) -> str:
    """One lint result in the page's language: the field by its label, never its code."""
    key = f"ops.field_{problem.field}"
    field = t(key) if t.has(key) else problem.field
    if problem.is_grant:
        return t("ops.notice_grant", field=field, found=problem.found)
    return t("ops.notice_missing", field=field)


def actor_words(t: Translator, actor: str) -> str:
    """An audit actor ("compliance:li-na", "cli:root") as people read it: the account and its
    role in words, or that it was done on the server's command line."""
    kind, _, name = actor.partition(":")
    if kind in {role.value for role in Role} and name:
        return t("ops.actor", name=name, role=t(f"common.role_{kind}"))
    if kind == "cli" and name:
        return t("ops.actor_cli", name=name)
    return actor


def use_words(lang: str, use: str) -> str:
    """A face use by its title in the page's language (an unknown name as it is)."""
    known = {u.value: u for u in FaceUse}
    return use_text(known[use], lang).title if use in known else use


@router.get("/admin/notices", response_class=HTMLResponse)
def notices_page(request: Request, deps: ServiceDeps,
                 office: Annotated[str, Query(max_length=OFFICE_ID_MAX)] = "") -> HTMLResponse:
    chosen, choices = _office(deps, office)
    board = notices.notice_board(chosen, deps)
    lang = lang_of(request)
    comma = "、" if lang == "zh-CN" else ", "
    stale = {language: comma.join(use_words(lang, use) for use in uses)
             for language, uses in board.stale_uses.items() if uses}
    return render(request, "admin_notices.html", areas=("ops",), board=board, choices=choices,
                  fields=notices.TEXT_FIELDS, problem_words=problem_words, stale=stale,
                  actor_words=actor_words,
                  use_words=lambda use: use_words(lang, use),
                  home=can(request, "GET", "/admin"))


def _pull(rt: Runtime, camera_id: str) -> PullJob | None:
    try:
        return rt.pulls.get(camera_id)
    except PullNotFound:
        return None


@router.get("/admin/cameras", response_class=HTMLResponse)
def cameras_page(request: Request, deps: ServiceDeps, rt: Runtime,
                 office: Annotated[str, Query(max_length=OFFICE_ID_MAX)] = "") -> HTMLResponse:
    """Never a camera's token, its hash or its login (only whether one is stored); no picture."""
    chosen, choices = _office(deps, office)
    cameras, signage = capture.list_cameras(rt, chosen)
    rows = [(c, capture.gate_refusal(rt, c.id), _pull(rt, c.id)) for c in cameras]
    may = {name: can(request, method, path) for name, method, path in (
        ("add", "POST", "/api/offices/{office_id}/cameras"),
        ("lane", "PUT", "/api/cameras/{camera_id}/lane"),
        ("confirm", "POST", "/api/cameras/{camera_id}/lane/confirm"),
        ("profile", "PUT", "/api/cameras/{camera_id}/profile"),
        ("switch", "PUT", "/api/cameras/{camera_id}/enabled"),
        ("pull", "POST", "/api/cameras/{camera_id}/pull"),
        ("signage", "POST", "/api/offices/{office_id}/signage"),
        ("notices", "GET", "/admin/notices"))}
    return render(request, "admin_cameras.html", areas=("ops",), office_id=chosen,
                  office_name=dict(choices)[chosen], choices=choices, rows=rows,
                  signage=signage, profiles=[p.value for p in CameraProfile], may=may,
                  actor_words=actor_words, home=can(request, "GET", "/admin"))


def change_words(t: Translator, change: SettingChange) -> str:
    """One difference since the assessment, in the page's language."""
    def shown(value: object) -> str:
        return t("ops.none") if value is None or value == "" else str(value)

    if change.name == "camera":
        before, after = change.before or {}, change.after or {}
        if not before:
            return t("ops.change_camera_on", name=after["name"], lane=after["lane"],
                     alternative=after["alternative"])
        if not after:
            return t("ops.change_camera_off", name=before["name"])
        return t("ops.change_camera_lane", name=after["name"], lane=after["lane"],
                 alternative=after["alternative"], was=before["lane"],
                 was_alternative=before["alternative"])
    if change.name == "model":
        return t("ops.change_model", before=shown(change.before), after=shown(change.after))
    return t("ops.change_setting", name=change.name, before=shown(change.before),
             after=shown(change.after))


@router.get("/admin/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, deps: ServiceDeps) -> HTMLResponse:
    """Whether the impact assessment on record covers the settings, model and cameras in use,
    and what changed since, in words (C23). Recording one stays on the server's command line."""
    return render(request, "admin_assessment.html", areas=("ops",),
                  report=pia_svc.assessment_report(deps), change_words=change_words,
                  home=can(request, "GET", "/admin"))
