"""Accounts for the admin workspace (admin role only): list, add, disable or enable, reset a
password. The same services as `keyuan user …`; every change is audited with the signed-in
admin as the actor. An added account and a reset one get a temporary password, shown once."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Response

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.admin import (
    AccountIn,
    AccountPublic,
    DisabledIn,
    TemporaryPasswordPublic,
    account_public,
)
from keyuan.services.accounts import service

router = APIRouter(prefix="/api/admin/accounts", tags=["admin"])


def _once(response: Response) -> None:
    """An answer carrying a password is kept by no cache."""
    response.headers["Cache-Control"] = "no-store"


@router.get("")
def list_accounts(deps: ServiceDeps) -> list[AccountPublic]:
    return [account_public(u) for u in service.users(deps)]


@router.post("", status_code=201)
def add_account(body: AccountIn, who: CurrentPrincipal, deps: ServiceDeps,
                response: Response) -> TemporaryPasswordPublic:
    password = service.temporary_password()
    user = service.add_user(service.AddUserCmd(username=body.username, role=body.role,
                                               password=password, channel_id=body.channel_id),
                            deps, actor=who.actor)
    _once(response)
    return TemporaryPasswordPublic(account=account_public(user), temporary_password=password)


@router.put("/{username}/disabled")
def set_disabled(username: str, body: DisabledIn, who: CurrentPrincipal,
                 deps: ServiceDeps) -> AccountPublic:
    """Disabling ends the account's sessions at once; the last enabled admin stays enabled."""
    user = service.set_disabled(username, body.disabled, deps, actor=who.actor)
    return account_public(replace(user, disabled=body.disabled))


@router.post("/{username}/password-reset")
def reset_password(username: str, who: CurrentPrincipal, deps: ServiceDeps,
                   response: Response) -> TemporaryPasswordPublic:
    """A new temporary password (shown once); every session of the account ends."""
    user, password = service.reset_password(username, deps, actor=who.actor)
    _once(response)
    return TemporaryPasswordPublic(account=account_public(user), temporary_password=password)
