"""`keyuan attribution ...`: 判客 and 佣金结算 from the command line. Thin: parse, call one
service, print. Photos for the signing desk are read from files into memory and go only to the
service; nothing here writes them anywhere. Register with
`cli.add_typer(attribution_cli, name="attribution")`.

The CLI has no login: it runs as the local operator, and every audit entry, review and dispute
decision it makes is recorded as `cli:<os user>` (`operator()`); no option can name another."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer

from keyuan.bootstrap import App
from keyuan.config.settings import Settings
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.commission import AgreementKind, Statement
from keyuan.domain.errors import KeyuanError

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
DataDir = Annotated[Path | None, typer.Option(help="Data directory (default: KEYUAN_DATA_DIR "
                                              "or ./var).")]
Office = Annotated[str, typer.Option(help="Office id.")]
def operator() -> str:
    """Who acts from the command line: the local OS user, as `cli:<user>`."""
    return f"cli:{getpass.getuser()}"


@contextmanager
def _app(data_dir: Path | None) -> Iterator[App]:
    from keyuan.bootstrap import build

    app = build(Settings(data_dir=data_dir) if data_dir else Settings())
    try:
        yield app
    finally:
        app.close()


def _run(data_dir: Path | None, call: Callable[[App], T]) -> T:
    """Run one service call; a user error prints its code and message and exits 1."""
    with _app(data_dir) as app:
        try:
            return call(app)
        except KeyuanError as exc:
            typer.echo(f"error: {exc.code}: {exc.message}", err=True)
            raise typer.Exit(1) from exc


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
def channel_add(
    name: str, kind: Annotated[ChannelKind, typer.Option()] = ChannelKind.DISTRIBUTOR,
    contract_ref: Annotated[str | None, typer.Option(help="Referrer's contract.")] = None,
    office: Office = "demo-office", data_dir: DataDir = None,
) -> None:
    from keyuan.services.attribution.registration import create_channel

    channel = _run(data_dir, lambda app: create_channel(
        office, kind, name, app.deps, contract_ref=contract_ref))
    typer.echo(f"channel {channel.id} {channel.kind.value} {channel.name}")


@agent_cli.command("add")
def agent_add(channel_id: str, name: str, data_dir: DataDir = None) -> None:
    from keyuan.services.attribution.registration import add_agent

    agent = _run(data_dir, lambda app: add_agent(channel_id, name, app.deps))
    typer.echo(f"agent {agent.id} {agent.name}")


@agreement_cli.command("add")
def agreement_add(
    channel_id: str, kind: Annotated[AgreementKind, typer.Option()],
    value: Annotated[int, typer.Option(help="Basis points of the price (percent) or fen.")],
    effective_from: Annotated[str, typer.Option("--from")],
    referral_reward_fen: int = 0, data_dir: DataDir = None,
) -> None:
    """Add a commission agreement (audited). Recorded as cli:<os user>."""
    from keyuan.services.attribution import settlement as s

    cmd = s.AgreementCmd(channel_id=channel_id, kind=kind, value=value,
                         effective_from=when(effective_from),
                         referral_reward_fen=referral_reward_fen)
    agreement = _run(data_dir, lambda app: s.add_agreement(cmd, app.deps, actor=operator()))
    typer.echo(f"agreement {agreement.id} {agreement.kind.value} {agreement.value}")


@attribution_cli.command("register")
def register(
    channel_id: str, customer_name: str,
    mobile: Annotated[str, typer.Argument(help="11 digits or masked 前三后四: 138****5678")],
    expected_visit: Annotated[str | None, typer.Option(help="ISO time.")] = None,
    agent: Annotated[str | None, typer.Option(help="Agent id.")] = None,
    data_dir: DataDir = None,
) -> None:
    """报备: a channel's claim on a customer."""
    from keyuan.services.attribution import registration as reg

    cmd = reg.RegisterCmd(channel_id, customer_name, mobile,
                          when(expected_visit) if expected_visit else None, agent)
    claim = _run(data_dir, lambda app: reg.register(cmd, app.deps))
    typer.echo(f"registration {claim.id} at {_local(claim.created_at)}")


@attribution_cli.command("confirm-visit")
def confirm_visit(registration_id: str, mobile: str, data_dir: DataDir = None) -> None:
    """到访确认: reception confirms an escorted visit against a registration.
    Recorded as cli:<os user>."""
    from keyuan.services.attribution import registration as reg

    cmd = reg.ConfirmVisitCmd(registration_id, mobile, staff=operator())
    visit = _run(data_dir, lambda app: reg.confirm_visit(cmd, app.deps))
    typer.echo(f"visit {visit.id} at {_local(visit.at)}")


@attribution_cli.command("sign")
def sign(
    buyer_name: str, id_number: str, mobile: str,
    price_fen: Annotated[int, typer.Option(help="Contract price in fen.")],
    photo: Annotated[list[Path] | None, typer.Option(help="Live photo file(s); read into "
                                                     "memory only.")] = None,
    chip_photo: Annotated[Path | None, typer.Option(help="ID chip photo file.")] = None,
    face_receipt: Annotated[str | None, typer.Option(help="The buyer's own face receipt.")] = None,
    office: Office = "demo-office", data_dir: DataDir = None,
) -> None:
    """签约: ID card data, optional photos → identity resolution → the attribution decision.
    Recorded as cli:<os user>."""
    from keyuan.services.attribution import signing

    cmd = signing.SigningCmd(
        office_id=office, buyer_name=buyer_name, id_number=id_number, mobile=mobile,
        contract_price_fen=price_fen, actor=operator(),
        live_frames=[p.read_bytes() for p in photo or []],
        chip_photo=chip_photo.read_bytes() if chip_photo else None, face_receipt_id=face_receipt)
    result = _run(data_dir, lambda app: signing.sign(cmd, app.deps))
    decision = result.decision
    typer.echo(f"signing {result.signing.id} {result.signing.status.value}: "
               f"{decision.channel_kind} channel={decision.channel_id or '-'} "
               f"registration={decision.registration_id or '-'}")
    typer.echo(f"  reasons: {', '.join(decision.reason_codes)}")
    for line in decision.trace:
        typer.echo(f"  {line}")


@attribution_cli.command("review-queue")
def review_queue(office: Office = "demo-office", data_dir: DataDir = None) -> None:
    from keyuan.services.attribution import signing

    queue = _run(data_dir, lambda app: signing.review_queue(office, app.deps))
    for s in queue:
        typer.echo(f"{s.id} {_local(s.signed_at)} {s.buyer_name} proposed "
                   f"{s.registration_id or 'natural'}: {', '.join(s.decision['reason_codes'])}")
    typer.echo(f"{len(queue)} signing(s) waiting for review")


@attribution_cli.command("review")
def review(
    signing_id: str, reason: Annotated[str, typer.Option()],
    registration: Annotated[str | None, typer.Option(help="Credit this registration.")] = None,
    natural: Annotated[bool, typer.Option(help="Decide natural (自然到访).")] = False,
    data_dir: DataDir = None,
) -> None:
    """Confirm the proposed decision, or override it with --registration / --natural.
    Recorded as cli:<os user>."""
    from keyuan.services.attribution import signing

    cmd = signing.ReviewCmd(signing_id, operator(), reason,
                            confirm=not (natural or registration), registration_id=registration)
    done = _run(data_dir, lambda app: signing.review(cmd, app.deps))
    typer.echo(f"signing {done.id} final: registration={done.registration_id or 'natural'}")


def _show(st: Statement) -> None:
    typer.echo(f"statement {st.id} {st.status.value} channel={st.channel_id} "
               f"lines={len(st.lines)} total_fen={st.total_fen}")


@statement_cli.command("create")
def statement_create(
    channel_id: str, start: Annotated[str, typer.Option("--from")],
    end: Annotated[str, typer.Option("--to", help="Exclusive.")], data_dir: DataDir = None,
) -> None:
    from keyuan.services.attribution import settlement as s

    _show(_run(data_dir, lambda app: s.generate_statement(channel_id, when(start), when(end),
                                                          app.deps)))


@statement_cli.command("approve")
def statement_approve(statement_id: str, data_dir: DataDir = None) -> None:
    """Approve a draft statement (no open dispute). Recorded as cli:<os user>."""
    from keyuan.services.attribution import settlement as s

    _show(_run(data_dir, lambda app: s.approve(statement_id, app.deps, actor=operator())))


@statement_cli.command("paid")
def statement_paid(statement_id: str, data_dir: DataDir = None) -> None:
    """Mark an approved statement paid. Recorded as cli:<os user>."""
    from keyuan.services.attribution import settlement as s

    _show(_run(data_dir, lambda app: s.mark_paid(statement_id, app.deps, actor=operator())))


EXPORTS = ("csv", "xlsx", "pdf", "html")


@statement_cli.command("export")
def statement_export(
    statement_id: str, out: Annotated[Path, typer.Option(help="File to write.")],
    format: Annotated[str, typer.Option(help="csv, xlsx, pdf or html.")] = "xlsx",
    data_dir: DataDir = None,
) -> None:
    from keyuan.services.attribution import settlement as s
    from keyuan.services.attribution import statements as exports

    if format not in EXPORTS:
        raise typer.BadParameter(f"one of {', '.join(EXPORTS)}", param_hint="--format")
    render: dict[str, Callable[[App], bytes]] = {
        "csv": lambda app: s.statement_csv(statement_id, app.deps).encode(),
        "html": lambda app: s.statement_html(statement_id, app.deps).encode(),
        "xlsx": lambda app: exports.statement_xlsx(statement_id, app.deps),
        "pdf": lambda app: exports.statement_pdf(statement_id, app.deps)}
    body = _run(data_dir, render[format])
    out.write_bytes(body)
    typer.echo(f"wrote {out} ({len(body)} bytes)")


@dispute_cli.command("open")
def dispute_open(
    statement_id: str, channel: Annotated[str, typer.Option(help="The disputing channel's id.")],
    reason: Annotated[str, typer.Option()],
    signing: Annotated[str | None, typer.Option(help="The one deal disputed.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Open a dispute for a channel on its own statement (the statement cannot be approved
    until it is decided). Recorded as cli:<os user>."""
    from keyuan.services.attribution import settlement as s

    dispute = _run(data_dir, lambda app: s.open_dispute(
        statement_id, channel, reason, app.deps, signing_id=signing, actor=operator()))
    typer.echo(f"dispute {dispute.id} {dispute.status.value} statement={dispute.statement_id}")


@dispute_cli.command("decide")
def dispute_decide(
    dispute_id: str,
    upheld: Annotated[bool, typer.Option("--upheld/--rejected", help="The manager's decision.")],
    reason: Annotated[str, typer.Option()],
    adjustment_fen: Annotated[int, typer.Option(help="Added to the statement if upheld (fen, "
                                                "may be negative).")] = 0,
    data_dir: DataDir = None,
) -> None:
    """A manager decides a dispute, with a reason. Recorded as cli:<os user>."""
    from keyuan.services.attribution import settlement as s

    cmd = s.DisputeDecisionCmd(dispute_id=dispute_id, upheld=upheld, manager=operator(),
                               reason=reason, adjustment_fen=adjustment_fen)
    dispute = _run(data_dir, lambda app: s.decide_dispute(cmd, app.deps))
    typer.echo(f"dispute {dispute.id} {dispute.status.value} by {dispute.decided_by}")
