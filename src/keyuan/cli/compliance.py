"""Compliance commands: `keyuan audit|receipt|pia|filing|notice ...`, `keyuan purge`,
`keyuan inspect`. Register them all with `register(cli)`. Whatever they record in the audit log
is recorded as the operator (`cli:<os user>`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from keyuan.cli.common import DataDir, handles_refusals, open_app, operator, read_json
from keyuan.domain.compliance.audit import Anchor
from keyuan.services.checkin.offices import the_office
from keyuan.services.checkin.receipts import check_receipt
from keyuan.services.checkin.signatures import signature_problems
from keyuan.services.compliance.audit import export_audit, take_anchor, verify_audit
from keyuan.services.compliance.filing import filing_overview, filing_pack, is_due
from keyuan.services.compliance.inspection import inspect_vault
from keyuan.services.compliance.notices import (
    DraftCmd,
    create_draft,
    face_use_status,
    list_notices,
    liveness_lagging,
    publish_draft,
    republish,
)
from keyuan.services.compliance.pia import assessment_status, record_assessment
from keyuan.services.compliance.retention import policy_from, purge
from keyuan.web.i18n import LANGS, Translator
from keyuan.web.printing import page

audit_cli = typer.Typer(help="Audit log (C17): verify the hash chain, print an anchor.")
receipt_cli = typer.Typer(help="Consent receipts (C8): verify a signed receipt.")
PIA_WORDS = {
    "current": "current", "not_needed": "not needed (face module off)",
    "missing": "MISSING (face features stay off until one is recorded: keyuan pia record)",
    "stale": "STALE (the face settings changed since it was recorded)",
    "demo": "DEMO ONLY (a demonstration, not the office's own assessment: a violation)",
}
pia_cli = typer.Typer(help="Impact assessment (C23): record one, show whether faces may run.")
filing_cli = typer.Typer(help="Filing counter (C24): people with templates per legal entity.")
notice_cli = typer.Typer(help="Notices (C3, C9, C25): draft, list, publish.")


def _lang(value: str) -> str:
    """A language the catalog has; anything else is a usage error, not a silent zh-CN."""
    if value not in LANGS:
        raise typer.BadParameter(f"use one of {', '.join(LANGS)}", param_hint="--lang")
    return value


PrintLang = Annotated[str, typer.Option("--lang", callback=_lang, help="Language of the "
                                        "printable page: zh-CN (default) or en.")]
Office = Annotated[str | None, typer.Option(help="Office id (may be left out when there is only "
                                             "one office).")]


@receipt_cli.callback()
def _receipt_group() -> None:
    """Keeps `receipt` a group even with one command (`keyuan receipt verify FILE`)."""


def register(cli: typer.Typer) -> None:
    """The one line `cli/main.py` needs: `register_compliance(cli)`."""
    cli.add_typer(audit_cli, name="audit")
    cli.add_typer(receipt_cli, name="receipt")
    cli.add_typer(pia_cli, name="pia")
    cli.add_typer(filing_cli, name="filing")
    cli.add_typer(notice_cli, name="notice")
    cli.command("purge")(purge_command)
    cli.command("inspect")(inspect_command)


@audit_cli.command("verify")
@handles_refusals
def audit_verify(
    data_dir: DataDir = None,
    anchor: Annotated[str | None, typer.Option(help="'<seq>:<hash>' from `keyuan audit anchor`; "
                                               "detects truncation.")] = None,
) -> None:
    """Check every entry of the audit chain; exit 1 on any edit, removal, reordering or
    (given an anchor) truncation."""
    try:
        parsed = Anchor.parse(anchor) if anchor else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--anchor") from exc
    with open_app(data_dir) as app:
        report = verify_audit(app.deps, parsed)
    typer.echo(f"audit log: {report.entries} entries, head {report.head}")
    for problem in report.problems:
        typer.echo(f"  PROBLEM: {problem}")
    typer.echo("chain intact" if report.intact else f"{len(report.problems)} problem(s)")
    raise typer.Exit(0 if report.intact else 1)


@audit_cli.command("anchor")
@handles_refusals
def audit_anchor(data_dir: DataDir = None) -> None:
    """Print the head of the chain ('<seq>:<hash>') to keep offline (print it, mail it to the
    DPO); `keyuan audit verify --anchor` later proves nothing before it was cut off."""
    with open_app(data_dir) as app:
        anchor = take_anchor(app.deps, actor=operator())
    typer.echo(str(anchor))


@audit_cli.command("export")
@handles_refusals
def audit_export(data_dir: DataDir = None) -> None:
    """Print the whole log as JSON lines (with hashes) for the DPO or an auditor (C25)."""
    with open_app(data_dir) as app:
        rows = export_audit(app.deps, actor=operator())
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))


@receipt_cli.command("verify")
@handles_refusals
def receipt_verify(
    file: Annotated[Path, typer.Argument(help="A signed receipt JSON (from the receipt page).")],
    data_dir: DataDir = None,
    public_key: Annotated[str | None, typer.Option(
        help="Check offline against this published key (base64) instead of the store.")] = None,
) -> None:
    """Check the signature, that the key is the office's, and (with the store) that the consent
    is still active. Exit 0 only for a genuine receipt."""
    document = read_json(file)
    if public_key:
        problems, status = signature_problems(document, {public_key.strip()}), "not_checked"
    else:
        with open_app(data_dir) as app:
            check = check_receipt(document, app.deps)
        problems, status = check.problems, check.consent_status
    for problem in problems:
        typer.echo(f"INVALID: {problem}")
    if not problems:
        typer.echo(f"signature valid; consent status: {status}")
    raise typer.Exit(1 if problems else 0)


@pia_cli.command("record")
@handles_refusals
def pia_record(
    file: Annotated[Path, typer.Argument(help="JSON with legality_necessity, impact_risks, "
                                         "security_measures, effectiveness.")],
    assessor: Annotated[str, typer.Option(help="Who made the assessment (kept in the record; "
                                          "the audit log names the operator).")],
    data_dir: DataDir = None,
) -> None:
    """Record an impact assessment of the face settings in use now."""
    content = _text_fields(file)
    with open_app(data_dir) as app:
        pia = record_assessment(content, app.deps, assessor=assessor, actor=operator())
    typer.echo(f"recorded PIA {pia.id} for face settings {pia.settings_hash[:12]}")
    _echo_lanes(pia.settings)


def _echo_lanes(settings: dict[str, Any]) -> None:
    """The camera lanes an assessment covers (C11): each lane and its unwatched alternative."""
    for cam in settings.get("cameras") or []:
        if isinstance(cam, dict):
            typer.echo(f"  camera {cam.get('camera')} ({cam.get('name')}): lane "
                       f"{cam.get('lane')}; unwatched way in: {cam.get('alternative')}")


@pia_cli.command("status")
@handles_refusals
def pia_status(data_dir: DataDir = None) -> None:
    """Whether face features may run: a PIA exists and covers the current face settings."""
    with open_app(data_dir) as app:
        status = assessment_status(app.deps)
    latest = status.latest
    typer.echo(f"face settings {status.settings_hash[:12]}; latest PIA: "
               + (f"{latest.id} ({'DEMO ' if latest.demo else ''}{latest.recorded_at:%Y-%m-%d}, "
                  f"settings {latest.settings_hash[:12]})" if latest else "none"))
    if latest is not None:
        _echo_lanes(latest.settings)
    typer.echo("current" if status.current else "MISSING OR STALE: face features refuse to run")
    raise typer.Exit(0 if status.current else 1)


@handles_refusals
def purge_command(
    data_dir: DataDir = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report only; delete nothing.")] = False,
    no_deal_days: Annotated[int | None, typer.Option(
        min=1, help="Template kept this long after the last visit when there is no deal "
        "(default: KEYUAN_RETENTION__TEMPLATE_NO_DEAL_DAYS, 180).")] = None,
    dispute_days: Annotated[int | None, typer.Option(
        min=1, help="Template kept this long after a deal is settled "
        "(default: KEYUAN_RETENTION__DISPUTE_PERIOD_DAYS, 90).")] = None,
    visit_days: Annotated[int | None, typer.Option(
        min=1, help="Visit records of non-buyers (default: KEYUAN_RETENTION__NON_BUYER_DAYS, "
        "365).")] = None,
    mobile_days: Annotated[int | None, typer.Option(
        min=1, help="Names/mobiles of non-buyers (default: KEYUAN_RETENTION__NON_BUYER_DAYS, "
        "365).")] = None,
) -> None:
    """Apply the retention policy (C18): purge what has outlived its purpose, audited. Periods
    come from the settings (`KEYUAN_RETENTION__*`); an option overrides one for this run."""
    with open_app(data_dir) as app:
        policy = policy_from(app.settings.retention, no_deal_template_days=no_deal_days,
                             deal_dispute_days=dispute_days, non_buyer_visit_days=visit_days,
                             non_buyer_mobile_days=mobile_days)
        typer.echo(f"retention: no deal {policy.no_deal_template_days} d, dispute "
                   f"{policy.deal_dispute_days} d, non-buyer visits {policy.non_buyer_visit_days}"
                   f" d, names/mobiles {policy.non_buyer_mobile_days} d")
        report = purge(app.deps, policy=policy, dry_run=dry_run)
    typer.echo("\n".join(report.lines()))


@filing_cli.command("status")
@handles_refusals
def filing_status(data_dir: DataDir = None) -> None:
    """Live count per legal entity; warning at 80,000; filing due at 100,000 (exit 1 if due)."""
    with open_app(data_dir) as app:
        statuses = filing_overview(app.deps)
    for s in statuses:
        deadline = f", file by {s.deadline} (Mon-Fri working days)" if s.deadline else ""
        typer.echo(f"{s.legal_entity}: {s.people} people with templates — {s.state}{deadline}")
    raise typer.Exit(1 if any(is_due(s) for s in statuses) else 0)


@filing_cli.command("pack")
@handles_refusals
def filing_pack_command(
    legal_entity: Annotated[str, typer.Argument(help="The legal entity (as on its offices).")],
    data_dir: DataDir = None,
    html: Annotated[bool, typer.Option("--html", help="Print the printable page, not JSON.")]
    = False,
    lang: PrintLang = "zh-CN",
) -> None:
    """Print the filing pack (JSON, or HTML with --html, in --lang)."""
    with open_app(data_dir) as app:
        pack = filing_pack(legal_entity, app.deps, policy=policy_from(app.settings.retention),
                           actor=operator())
    typer.echo(page("filing.html", lang=lang, p=pack) if html
               else json.dumps(pack, ensure_ascii=False, indent=2))


@handles_refusals
def inspect_command(
    data_dir: DataDir = None,
    html: Annotated[bool, typer.Option("--html", help="Print the printable report.")] = False,
    lang: PrintLang = "zh-CN",
) -> None:
    """Prove for the whole vault that every template has a valid, active, signed consent under a
    published notice; list every violation. Exit 1 unless clean."""
    with open_app(data_dir) as app:
        r = inspect_vault(app.deps, actor=operator(), policy=policy_from(app.settings.retention))
    if html:
        at = Translator(lang)("print.utc_time", at=f"{r.at:%Y-%m-%d %H:%M}")
        typer.echo(page("inspection.html", lang=lang, r=r, at=at))
    else:
        anchor = (f"anchor {r.anchor[0].seq} of {r.anchor[1]:%Y-%m-%d %H:%M}" if r.anchor
                  else "NO ANCHOR kept outside the store")
        typer.echo(f"templates: {r.templates}; violations: {len(r.violations)}; audit: "
                   f"{r.audit_entries} entries, {len(r.audit_problems)} problems, {anchor}; "
                   f"PIA {PIA_WORDS[r.assessment]}")
        for pseudonym, problem in r.violations:
            typer.echo(f"  VIOLATION {pseudonym}: {problem}")
        for problem in r.audit_problems:
            typer.echo(f"  AUDIT {problem}")
        typer.echo("PASS" if r.clean else "FAIL")
    raise typer.Exit(0 if r.clean else 1)


@notice_cli.command("draft")
@handles_refusals
def notice_draft(
    file: Annotated[Path, typer.Argument(help="JSON of the notice's text fields (controller, "
                                         "responsible_person, purpose, …).")],
    office: Office = None,
    language: Annotated[str, typer.Option(help="zh-CN or en.")] = "zh-CN",
    data_dir: DataDir = None,
) -> None:
    """Store a draft; print its id and what publishing still needs."""
    text = _text_fields(file)
    with open_app(data_dir) as app:
        cmd = DraftCmd(the_office(office, app.deps), language, text)
        view = create_draft(cmd, app.deps, actor=operator())
    typer.echo(f"draft {view.notice.id} ({view.notice.office_id}, {view.notice.language})")
    for problem in view.problems:
        typer.echo(f"  TO FIX: {problem}")
    typer.echo("ready to publish" if not view.problems else f"{len(view.problems)} problem(s)")


@notice_cli.command("publish")
@handles_refusals
def notice_publish(
    notice_id: Annotated[int, typer.Argument(help="The draft's id (`keyuan notice list`).")],
    data_dir: DataDir = None,
) -> None:
    """Publish a draft with the next version and its hash; refused (exit 1) with the list of
    problems when incomplete or granting perpetual/irrevocable/sublicensable rights (C9)."""
    with open_app(data_dir) as app:
        view = publish_draft(notice_id, app.deps, actor=operator())
    n = view.notice
    typer.echo(f"published notice {n.id}: {n.office_id} {n.language} v{n.version} "
               f"sha256 {n.content_hash}")
    typer.echo(f"  names face uses: {', '.join(n.face_uses) or '(none)'}")


@notice_cli.command("republish")
@handles_refusals
def notice_republish(office: Office = None, data_dir: DataDir = None) -> None:
    """Publish the notices in force again, text unchanged, naming the face uses switched on now
    (C3): needed after switching a face use on or enabling a camera, before it runs."""
    with open_app(data_dir) as app:
        views = republish(the_office(office, app.deps), app.deps, actor=operator())
    for view in views:
        n = view.notice
        typer.echo(f"published notice {n.id}: {n.office_id} {n.language} v{n.version} "
                   f"sha256 {n.content_hash}")
        typer.echo(f"  names face uses: {', '.join(n.face_uses) or '(none)'}")


@notice_cli.command("uses")
@handles_refusals
def notice_uses(office: Office = None, data_dir: DataDir = None) -> None:
    """The face uses switched on, and any a notice in force does not name yet (exit 1: those
    are refused until `keyuan notice republish`)."""
    with open_app(data_dir) as app:
        office_id = the_office(office, app.deps)
        live, stale = face_use_status(office_id, app.deps)
        lagging = liveness_lagging(office_id, app.deps)
    typer.echo(f"switched on: {', '.join(live) or '(none)'}")
    for language, missing in stale.items():
        if language in lagging:
            typer.echo(f"{language}: STALE, does not tell of the liveness check as it runs now "
                       "(every face use is refused)")
            continue
        typer.echo(f"{language}: " + (f"STALE, does not name {', '.join(missing)}" if missing
                                      else "names every use switched on"))
    raise typer.Exit(1 if any(stale.values()) else 0)


@notice_cli.command("list")
@handles_refusals
def notice_list(office: Office = None, data_dir: DataDir = None) -> None:
    """Every version and draft of an office: id, language, version, state, hash."""
    with open_app(data_dir) as app:
        views = list_notices(the_office(office, app.deps), app.deps)
    for v in views:
        n = v.notice
        extra = f"sha256 {n.content_hash[:16]}" if n.content_hash else \
            f"{len(v.problems)} problem(s)"
        typer.echo(f"{n.id}\t{n.language}\tv{n.version}\t{v.state.value}\t{extra}")


def _text_fields(file: Path) -> dict[str, str]:
    """A JSON object of text fields from FILE; anything else is a usage error (exit 2)."""
    content = read_json(file)
    if not isinstance(content, dict):
        raise typer.BadParameter(f"{file} must hold a JSON object of text fields",
                                 param_hint="FILE")
    return content
