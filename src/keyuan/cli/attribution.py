"""`keyuan attribution ...`: 判客 and 佣金结算 from the command line. Thin: parse, call one
service, print. Photos for the signing desk are read from files into memory and go only to the
service; nothing here writes them anywhere. Register with
`cli.add_typer(attribution_cli, name="attribution")`.

The CLI has no login: it runs as the local operator, and every audit entry, review and dispute
decision it makes is recorded as `cli:<os user>` (`operator()`); no option can name another."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer

from keyuan.cli.common import DataDir, handles_refusals, open_app, operator
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.commission import AgreementKind, Statement
from keyuan.domain.attribution.household import Relation
from keyuan.domain.attribution.registration import ConflictPolicy
from keyuan.domain.attribution.risk import THRESHOLD_NAMES
from keyuan.services.attribution import (
    desk_consent,
    registration,
    risk,
    settlement,
    signing,
    statements,
)
from keyuan.services.checkin.offices import the_office
from keyuan.services.ports import Deps
from keyuan.web.printing import page

attribution_cli = typer.Typer(help="判客 and commission settlement: channels, 报备, visits, "
                              "signings, review, statements, disputes. Runs as the local "
                              "operator: actions are recorded as cli:<os user>.",
                              no_args_is_help=True)
channel_cli = typer.Typer(help="Channels (distributors, referrers).", no_args_is_help=True)
agent_cli = typer.Typer(help="Agents of a distributor.", no_args_is_help=True)
agreement_cli = typer.Typer(help="Commission agreements of a channel.", no_args_is_help=True)
statement_cli = typer.Typer(help="Settlement statements (佣金结算单).", no_args_is_help=True)
dispute_cli = typer.Typer(help="Disputes of a statement by its channel, and the manager's "
                          "decision. Recorded as cli:<os user>.", no_args_is_help=True)
attribution_cli.add_typer(channel_cli, name="channel")
attribution_cli.add_typer(agent_cli, name="agent")
attribution_cli.add_typer(agreement_cli, name="agreement")
attribution_cli.add_typer(statement_cli, name="statement")
attribution_cli.add_typer(dispute_cli, name="dispute")

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")
Office = Annotated[str | None, typer.Option(help="Office id (may be left out when there is only "
                                             "one office).")]


def when(text: str) -> datetime:
    """ISO date or time; without a zone it is Beijing time (北京时间)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO date/time: {text!r}") from exc
    return at if at.tzinfo else at.replace(tzinfo=SHANGHAI)


def _local(at: datetime | None) -> str:
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if at else "-"


@channel_cli.command("add")
@handles_refusals
def channel_add(
    name: str, kind: Annotated[ChannelKind, typer.Option()] = ChannelKind.DISTRIBUTOR,
    contract_ref: Annotated[str | None, typer.Option(help="Referrer's contract.")] = None,
    office: Office = None, data_dir: DataDir = None,
) -> None:
    with open_app(data_dir) as app:
        channel = registration.create_channel(the_office(office, app.deps), kind, name, app.deps,
                                              contract_ref=contract_ref, actor=operator())
    typer.echo(f"channel {channel.id} {channel.kind.value} {channel.name}")


@agent_cli.command("add")
@handles_refusals
def agent_add(channel_id: str, name: str, data_dir: DataDir = None) -> None:
    with open_app(data_dir) as app:
        agent = registration.add_agent(channel_id, name, app.deps, actor=operator())
    typer.echo(f"agent {agent.id} {agent.name}")


@agreement_cli.command("add")
@handles_refusals
def agreement_add(
    channel_id: str, kind: Annotated[AgreementKind, typer.Option()],
    value: Annotated[int, typer.Option(help="Basis points of the price (percent) or fen.")],
    effective_from: Annotated[str, typer.Option("--from")],
    referral_reward_fen: int = 0, data_dir: DataDir = None,
) -> None:
    """Add a commission agreement (audited). Recorded as cli:<os user>."""
    cmd = settlement.AgreementCmd(channel_id=channel_id, kind=kind, value=value,
                                  effective_from=when(effective_from),
                                  referral_reward_fen=referral_reward_fen)
    with open_app(data_dir) as app:
        agreement = settlement.add_agreement(cmd, app.deps, actor=operator())
    typer.echo(f"agreement {agreement.id} {agreement.kind.value} {agreement.value}")


def _given(value: T | None, current: T) -> T:
    return current if value is None else value


@attribution_cli.command("rules")
@handles_refusals
def rules_command(
    office: Office = None,
    registration_valid_hours: Annotated[int | None, typer.Option(
        help="How long a 报备 stays valid waiting for the visit (hours).")] = None,
    protection_days: Annotated[int | None, typer.Option(
        help="How long an escorted visit protects the channel's customer (days).")] = None,
    known_lookback_days: Annotated[int | None, typer.Option(
        help="How far back a visit makes the customer already known (days).")] = None,
    conflict_policy: Annotated[ConflictPolicy | None, typer.Option(
        help="A 报备 that cannot win: refuse it, or store it marked.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Show the office's 判客 rules; with any option, change those (audited: rules move money)."""
    with open_app(data_dir) as app:
        office_id = the_office(office, app.deps)
        rules = registration.get_rules(office_id, app.deps)
        changes = any(value is not None for value in (
            registration_valid_hours, protection_days, known_lookback_days, conflict_policy))
        if changes:
            rules = replace(
                rules,
                registration_valid_hours=_given(registration_valid_hours,
                                                rules.registration_valid_hours),
                protection_days=_given(protection_days, rules.protection_days),
                known_lookback_days=_given(known_lookback_days, rules.known_lookback_days),
                conflict_policy=_given(conflict_policy, rules.conflict_policy))
            registration.set_rules(office_id, rules, app.deps, actor=operator())
    typer.echo(f"office {office_id}: registration valid {rules.registration_valid_hours} h, "
               f"protection {rules.protection_days} days, known look-back "
               f"{rules.known_lookback_days} days, conflicting 报备 "
               f"{rules.conflict_policy.value}" + (" (changed)" if changes else ""))


def _limit(help_text: str) -> object:
    return typer.Option(min=1, max=10_000, help=help_text)


def _share(help_text: str) -> object:
    return typer.Option(min=1, max=100, help=help_text)


@attribution_cli.command("risk-thresholds")
@handles_refusals
def risk_thresholds_command(
    office: Office = None,
    never_visited_min: Annotated[int | None, _limit(
        "Registrations that never visited before a channel is flagged.")] = None,
    never_visited_share: Annotated[int | None, _share(
        "…and at least this percent of the channel's registrations.")] = None,
    after_visit_minutes: Annotated[int | None, _limit(
        "报备 this many minutes after the customer's own visit is suspicious.")] = None,
    after_visit_min: Annotated[int | None, _limit("…this many such 报备.")] = None,
    across_projects_min: Annotated[int | None, _limit(
        "Customers one agent also registered at another project.")] = None,
    expiry_last_hours: Annotated[int | None, _limit(
        "Escorts in the last hours before the registration lapses…")] = None,
    expiry_min: Annotated[int | None, _limit("…at least this many…")] = None,
    expiry_share: Annotated[int | None, _share(
        "…and this percent of the channel's escorts.")] = None,
    masked_numbers_min: Annotated[int | None, _limit(
        "Full numbers one masked 报备 could be (same 前三后四 and name).")] = None,
    masked_min: Annotated[int | None, _limit("Such masked 报备 per agent.")] = None,
    reregister_within_hours: Annotated[int | None, _limit(
        "Registered again within this many hours after protection ended…")] = None,
    reregister_min: Annotated[int | None, _limit("…this many customers.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Show the office's 风控报告 thresholds; with any option, change those (audited; the rest
    stay). Recorded as cli:<os user>."""
    given = {name: value for name, value in locals().items()
             if name in THRESHOLD_NAMES and value is not None}
    with open_app(data_dir) as app:
        office_id = the_office(office, app.deps)
        if given:
            risk.set_thresholds(office_id, given, app.deps, actor=operator())
        _, thresholds, own = risk.thresholds_of(app.deps, office_id)
    source = f"set by {own.set_by} at {_local(own.set_at)}" if own else "the defaults"
    typer.echo(f"office {office_id}: risk thresholds ({source})"
               + (" (changed)" if given else ""))
    for name, value in vars(thresholds).items():
        typer.echo(f"  {name} {value}")


@attribution_cli.command("register")
@handles_refusals
def register(
    channel_id: str, customer_name: str,
    mobile: Annotated[str, typer.Argument(help="11 digits or masked 前三后四: 138****5678")],
    expected_visit: Annotated[str | None, typer.Option(help="ISO time.")] = None,
    agent: Annotated[str | None, typer.Option(help="Agent id.")] = None,
    data_dir: DataDir = None,
) -> None:
    """报备: a channel's claim on a customer."""
    cmd = registration.RegisterCmd(channel_id, customer_name, mobile,
                                   when(expected_visit) if expected_visit else None, agent)
    with open_app(data_dir) as app:
        claim = registration.register(cmd, app.deps)
    typer.echo(f"registration {claim.id} at {_local(claim.created_at)}")


@attribution_cli.command("confirm-visit")
@handles_refusals
def confirm_visit(registration_id: str, mobile: str, data_dir: DataDir = None) -> None:
    """到访确认: reception confirms an escorted visit against a registration.
    Recorded as cli:<os user>."""
    cmd = registration.ConfirmVisitCmd(registration_id, mobile, staff=operator())
    with open_app(data_dir) as app:
        visit = registration.confirm_visit(cmd, app.deps)
    typer.echo(f"visit {visit.id} at {_local(visit.at)}")


@attribution_cli.command("desk-consent")
@handles_refusals
def desk_consent_command(
    id_number: str,
    given: Annotated[bool, typer.Option(
        "--given/--refused", help="The buyer's own answer to the desk's face check.")],
    lang: Annotated[str, typer.Option(help="The language the desk notice was shown in.")] =
    "zh-CN",
    office: Office = None, data_dir: DataDir = None,
) -> None:
    """签约台人脸核验同意: record the buyer's yes or no under the desk notice in force (printed),
    before any photo (C1). Pass the id to `sign --desk-consent`. Recorded as cli:<os user>."""
    with open_app(data_dir) as app:
        office = the_office(office, app.deps)
        notice = desk_consent.desk_notice(office, lang, app.deps)
        typer.echo(notice.processing)
        record = desk_consent.record(desk_consent.DeskConsentCmd(
            office_id=office, id_number=id_number, notice_hash=notice.content_hash,
            given=given, actor=operator()), app.deps)
    typer.echo(f"desk consent {record.id} {'given' if record.given else 'refused'}")


@attribution_cli.command("sign")
@handles_refusals
def sign(
    buyer_name: str, id_number: str, mobile: str,
    price_fen: Annotated[int, typer.Option(help="Contract price in fen.")],
    photo: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False, help="Live photo file(s); read into memory only.")] = None,
    chip_photo: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="ID chip photo file.")] = None,
    face_receipt: Annotated[str | None, typer.Option(help="The buyer's own face receipt.")] = None,
    desk_consent_id: Annotated[str | None, typer.Option(
        "--desk-consent", help="The buyer's answer (`desk-consent`): needed before any photo "
        "or face receipt.")] = None,
    co_buyer: Annotated[list[str] | None, typer.Option(
        help="A co-buyer (共同购房人) beside the main buyer, by ID number and mobile: "
        "NAME,ID_NUMBER,MOBILE[,RELATION] with RELATION spouse, parent, child or other; "
        "repeat for each.")] = None,
    office: Office = None, data_dir: DataDir = None,
) -> None:
    """签约: ID card data, optional photos → identity resolution → the attribution decision,
    judged over every buyer on the contract. Recorded as cli:<os user>."""
    frames = [p.read_bytes() for p in photo or []]
    chip = chip_photo.read_bytes() if chip_photo else None
    co_buyers = [_co_buyer(text) for text in co_buyer or []]
    with open_app(data_dir) as app:
        cmd = signing.SigningCmd(
            office_id=the_office(office, app.deps), buyer_name=buyer_name,
            id_number=id_number, mobile=mobile, contract_price_fen=price_fen, actor=operator(),
            live_frames=frames, chip_photo=chip, face_receipt_id=face_receipt,
            desk_consent_id=desk_consent_id, co_buyers=co_buyers)
        result = signing.sign(cmd, app.deps)
    decision = result.decision
    typer.echo(f"signing {result.signing.id} {result.signing.status.value}: "
               f"{decision.channel_kind} channel={decision.channel_id or '-'} "
               f"registration={decision.registration_id or '-'}")
    typer.echo(f"  reasons: {', '.join(decision.reason_codes)}")
    for line in decision.trace:
        typer.echo(f"  {line}")


def _co_buyer(text: str) -> signing.BuyerCmd:
    """NAME,ID_NUMBER,MOBILE[,RELATION] → a co-buyer on the ID number and mobile path."""
    parts = [p.strip() for p in text.split(",")]
    relations = [r.value for r in Relation]
    if len(parts) not in (3, 4) or not all(parts) or (len(parts) == 4
                                                       and parts[3] not in relations):
        raise typer.BadParameter(f"give NAME,ID_NUMBER,MOBILE[,RELATION] with RELATION one of "
                                 f"{', '.join(relations)}", param_hint="--co-buyer")
    return signing.BuyerCmd(name=parts[0], id_number=parts[1], mobile=parts[2],
                            relation=parts[3] if len(parts) == 4 else None)


@attribution_cli.command("review-queue")
@handles_refusals
def review_queue(office: Office = None, data_dir: DataDir = None) -> None:
    with open_app(data_dir) as app:
        queue = signing.review_queue(the_office(office, app.deps), app.deps)
    for s in queue:
        typer.echo(f"{s.id} {_local(s.signed_at)} {s.buyer_name} proposed "
                   f"{s.registration_id or 'natural'}: {', '.join(s.decision.reason_codes)}")
    typer.echo(f"{len(queue)} signing(s) waiting for review")


@attribution_cli.command("review")
@handles_refusals
def review(
    signing_id: str, reason: Annotated[str, typer.Option()],
    registration_id: Annotated[str | None, typer.Option(
        "--registration", help="Credit this registration.")] = None,
    natural: Annotated[bool, typer.Option(help="Decide natural (自然到访).")] = False,
    data_dir: DataDir = None,
) -> None:
    """Confirm the proposed decision, or override it with --registration / --natural.
    Recorded as cli:<os user>."""
    cmd = signing.ReviewCmd(signing_id, operator(), reason,
                            confirm=not (natural or registration_id),
                            registration_id=registration_id)
    with open_app(data_dir) as app:
        done = signing.review(cmd, app.deps)
    typer.echo(f"signing {done.id} final: registration={done.registration_id or 'natural'}")


def _show(st: Statement) -> None:
    typer.echo(f"statement {st.id} {st.status.value} channel={st.channel_id} "
               f"lines={len(st.lines)} total_fen={st.total_fen}")


@statement_cli.command("create")
@handles_refusals
def statement_create(
    channel_id: str, start: Annotated[str, typer.Option("--from")],
    end: Annotated[str, typer.Option("--to", help="Exclusive.")], data_dir: DataDir = None,
) -> None:
    with open_app(data_dir) as app:
        _show(settlement.generate_statement(channel_id, when(start), when(end), app.deps))


@statement_cli.command("approve")
@handles_refusals
def statement_approve(statement_id: str, data_dir: DataDir = None) -> None:
    """Approve a draft statement (no open dispute). Recorded as cli:<os user>."""
    with open_app(data_dir) as app:
        _show(settlement.approve(statement_id, app.deps, actor=operator()))


@statement_cli.command("paid")
@handles_refusals
def statement_paid(statement_id: str, data_dir: DataDir = None) -> None:
    """Mark an approved statement paid. Recorded as cli:<os user>."""
    with open_app(data_dir) as app:
        _show(settlement.mark_paid(statement_id, app.deps, actor=operator()))


EXPORTS: dict[str, Callable[[str, Deps], bytes]] = {
    "csv": lambda statement_id, deps: statements.statement_csv(statement_id, deps).encode(),
    "xlsx": statements.statement_xlsx,
    "pdf": statements.statement_pdf,
    "html": lambda statement_id, deps: page("statement.html",
                                            view=statements.load(statement_id, deps)).encode(),
}


@statement_cli.command("export")
@handles_refusals
def statement_export(
    statement_id: str, out: Annotated[Path, typer.Option(help="File to write.")],
    format: Annotated[str, typer.Option(help="csv, xlsx, pdf or html.")] = "xlsx",
    data_dir: DataDir = None,
) -> None:
    if format not in EXPORTS:
        raise typer.BadParameter(f"one of {', '.join(EXPORTS)}", param_hint="--format")
    with open_app(data_dir) as app:
        body = EXPORTS[format](statement_id, app.deps)
    out.write_bytes(body)
    typer.echo(f"wrote {out} ({len(body)} bytes)")


@dispute_cli.command("open")
@handles_refusals
def dispute_open(
    statement_id: str, channel: Annotated[str, typer.Option(help="The disputing channel's id.")],
    reason: Annotated[str, typer.Option()],
    signing_id: Annotated[str | None, typer.Option(
        "--signing", help="The one deal disputed.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Open a dispute for a channel on its own statement (the statement cannot be approved
    until it is decided). Recorded as cli:<os user>."""
    with open_app(data_dir) as app:
        dispute = settlement.open_dispute(statement_id, channel, reason, app.deps,
                                          signing_id=signing_id, actor=operator())
    typer.echo(f"dispute {dispute.id} {dispute.status.value} statement={dispute.statement_id}")


@dispute_cli.command("decide")
@handles_refusals
def dispute_decide(
    dispute_id: str,
    upheld: Annotated[bool, typer.Option("--upheld/--rejected", help="The manager's decision.")],
    reason: Annotated[str, typer.Option()],
    adjustment_fen: Annotated[int, typer.Option(help="Added to the statement if upheld (fen, "
                                                "may be negative).")] = 0,
    data_dir: DataDir = None,
) -> None:
    """A manager decides a dispute, with a reason. Recorded as cli:<os user>."""
    cmd = settlement.DisputeDecisionCmd(dispute_id=dispute_id, upheld=upheld, manager=operator(),
                                        reason=reason, adjustment_fen=adjustment_fen)
    with open_app(data_dir) as app:
        dispute = settlement.decide_dispute(cmd, app.deps)
    typer.echo(f"dispute {dispute.id} {dispute.status.value} by {dispute.decided_by}")
