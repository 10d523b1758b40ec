"""`keyuan legal-entity add|edit|list` and `keyuan office add|edit|list`: the offices of this
installation and the legal entity behind each, the personal-information controller that every
notice and receipt names. One legal entity can have several offices.

    keyuan legal-entity add "某某置业有限公司" --credit-code 91350100M000100Y43 \\
        --contact 0591-12345678 --pi-name 李敏 --pi-contact dpo@example.cn
    keyuan office add sales-1 --name "某某府售楼处" --legal-entity "某某置业有限公司"

`office add` also adds the legal entity when it is not on file yet and its details are given
(`--credit-code` …). A refusal is one line on stderr (exit 1); every change is audited with the
operator (`cli:<os user>`) as the actor."""

from __future__ import annotations

from typing import Annotated

import typer

from keyuan.cli.common import DataDir, handles_refusals, open_app, operator
from keyuan.domain.errors import UnknownLegalEntity
from keyuan.services.checkin import offices as svc

office_cli = typer.Typer(help="Sales offices: add, edit, list (each names its legal entity).",
                         no_args_is_help=True)
entity_cli = typer.Typer(help="Legal entities (the controller named on notices and receipts): "
                         "add, edit, list.", no_args_is_help=True)

CreditCode = Annotated[str | None, typer.Option(
    help="统一社会信用代码: 18 characters (GB 32100-2015); \"\" takes it off file.")]
Contact = Annotated[str | None, typer.Option(
    help="The controller's contact for visitors: a phone number or an e-mail address.")]
PiName = Annotated[str | None, typer.Option(
    help="个人信息保护负责人: the person responsible for personal information.")]
PiContact = Annotated[str | None, typer.Option(
    help="That person's phone number or e-mail address.")]
Entity = Annotated[str, typer.Option(
    "--legal-entity", help="The legal entity: its id or exact name (see `keyuan legal-entity "
    "list`).")]


def _entity_line(view: svc.EntityView) -> str:
    e = view.entity
    state = "complete" if view.complete else f"INCOMPLETE (missing {', '.join(view.missing)})"
    return (f"{e.id}\t{e.name}\t{e.credit_code or '-'}\t{e.contact or '-'}\t"
            f"{e.pi_name or '-'} {e.pi_contact or '-'}\toffices: "
            f"{', '.join(view.offices) or '-'}\t{state}")


def _office_line(view: svc.OfficeView) -> str:
    state = ("complete" if view.complete
             else f"KIOSK CLOSED: controller incomplete (missing {', '.join(view.missing)})")
    entity = view.entity.name if view.entity else "-"
    return f"{view.office.id}\t{view.office.name}\t{entity}\t{state}"


def _fields(name: str | None, credit_code: str | None, contact: str | None,
            pi_name: str | None, pi_contact: str | None) -> svc.EntityFields:
    return svc.EntityFields(name=name, credit_code=credit_code, contact=contact,
                            pi_name=pi_name, pi_contact=pi_contact)


@entity_cli.command("add")
@handles_refusals
def entity_add(
    name: Annotated[str, typer.Argument(help="The legal entity's registered name.")],
    credit_code: CreditCode = None, contact: Contact = None, pi_name: PiName = None,
    pi_contact: PiContact = None, data_dir: DataDir = None,
) -> None:
    """Add a legal entity. Its offices' kiosks open once every detail is on file."""
    with open_app(data_dir) as app:
        view = svc.add_legal_entity(_fields(name, credit_code, contact, pi_name, pi_contact),
                                    app.deps, actor=operator())
    typer.echo(f"added legal entity {view.entity.id} '{view.entity.name}'")
    typer.echo(_entity_line(view))


@entity_cli.command("edit")
@handles_refusals
def entity_edit(
    entity: Annotated[str, typer.Argument(help="Its id or exact name.")],
    name: Annotated[str | None, typer.Option(help="A new registered name.")] = None,
    credit_code: CreditCode = None, contact: Contact = None, pi_name: PiName = None,
    pi_contact: PiContact = None, data_dir: DataDir = None,
) -> None:
    """Change a legal entity; its offices' notices are republished naming it as it is now."""
    with open_app(data_dir) as app:
        view = svc.edit_legal_entity(entity, _fields(name, credit_code, contact, pi_name,
                                                     pi_contact), app.deps, actor=operator())
    typer.echo(f"edited legal entity {view.entity.id} '{view.entity.name}'")
    typer.echo(_entity_line(view))


@entity_cli.command("list")
@handles_refusals
def entity_list(data_dir: DataDir = None) -> None:
    """Every legal entity: id, name, credit code, contact, responsible person, offices."""
    with open_app(data_dir) as app:
        rows = [_entity_line(view) for view in svc.legal_entities(app.deps)]
    typer.echo("\n".join(rows) or "no legal entity yet: add one with `keyuan legal-entity add`")


@office_cli.command("add")
@handles_refusals
def office_add(
    office_id: Annotated[str, typer.Argument(help="Lower-case letters, digits, '-': part of "
                                             "the kiosk's address (/kiosk/<id>).")],
    name: Annotated[str, typer.Option(help="The office's name, as visitors see it.")],
    legal_entity: Entity, credit_code: CreditCode = None, contact: Contact = None,
    pi_name: PiName = None, pi_contact: PiContact = None, data_dir: DataDir = None,
) -> None:
    """Add an office of a legal entity (added too when new and its details are given)."""
    details = (credit_code, contact, pi_name, pi_contact)
    with open_app(data_dir) as app:
        try:
            view = svc.add_office(office_id, name, legal_entity, app.deps, actor=operator())
        except UnknownLegalEntity:
            if all(value is None for value in details):
                raise
            svc.add_legal_entity(_fields(legal_entity, *details), app.deps, actor=operator())
            typer.echo(f"added legal entity '{' '.join(legal_entity.split())}'")
            view = svc.add_office(office_id, name, legal_entity, app.deps, actor=operator())
    typer.echo(f"added office '{view.office.id}'")
    typer.echo(_office_line(view))


@office_cli.command("edit")
@handles_refusals
def office_edit(
    office_id: str,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    legal_entity: Annotated[str | None, typer.Option(
        "--legal-entity", help="Move the office to this legal entity (id or exact name).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Rename an office or move it to another legal entity; notices follow."""
    with open_app(data_dir) as app:
        view = svc.edit_office(office_id, app.deps, actor=operator(), name=name,
                               entity=legal_entity)
    typer.echo(f"edited office '{view.office.id}'")
    typer.echo(_office_line(view))


@office_cli.command("list")
@handles_refusals
def office_list(data_dir: DataDir = None) -> None:
    """Every office: id, name, legal entity, whether its kiosk can start."""
    with open_app(data_dir) as app:
        rows = [_office_line(view) for view in svc.offices(app.deps)]
    typer.echo("\n".join(rows) or "no office yet: add one with `keyuan office add`")
