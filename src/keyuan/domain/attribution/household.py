"""共同购房人: a signing names one or more buyers — exactly one 主购人 (the main buyer) and any
共同购房人 (co-buyers, typically a spouse) — and 判客 judges the household as one customer.

The known fraud: the wife visits on her own, then a distributor registers the husband and claims
the deal. "Customer known" and the first visit are therefore taken over every buyer on the
contract (`adjudication.adjudicate` over all buyers' facts, each tagged by its buyer's role), and
the decision says whose evidence decided by role (`main`, `co1`, `co2` …), never by name.

Pure rules: the order of the buyers (main first, then co-buyers as given), and the refusals of
a contract with no main buyer, two main buyers, too many buyers or one person named twice."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from keyuan.domain.errors import (
    DuplicateBuyer,
    NoMainBuyer,
    SeveralMainBuyers,
    TooManyBuyers,
)

MAIN_BUYER = "main"
"""The 主购人's role label on evidence; co-buyers are `co1`, `co2` … in the contract's order."""
MAX_BUYERS = 6
"""One main buyer and up to five co-buyers: more is a data-entry slip, not a contract."""

T = TypeVar("T")


class Relation(StrEnum):
    """A co-buyer's relation to the main buyer, when the desk gives it."""

    SPOUSE = "spouse"  # 配偶
    PARENT = "parent"  # 父母
    CHILD = "child"  # 子女
    OTHER = "other"  # 其他


def buyer_label(position: int) -> str:
    """Position 0 is the main buyer; co-buyer n is `co{n}` (共同购房人 n)."""
    return MAIN_BUYER if position == 0 else f"co{position}"


def main_first(buyers: Sequence[T], is_main: Callable[[T], bool]) -> list[T]:
    """The buyers in contract order: the one main buyer first, then the co-buyers as given.
    Raises `NoMainBuyer`, `SeveralMainBuyers` or `TooManyBuyers`."""
    if len(buyers) > MAX_BUYERS:
        raise TooManyBuyers(f"A signing names at most {MAX_BUYERS} buyers.")
    mains = [b for b in buyers if is_main(b)]
    if not mains:
        raise NoMainBuyer()
    if len(mains) > 1:
        raise SeveralMainBuyers()
    return [*mains, *(b for b in buyers if not is_main(b))]


def refuse_repeats(keys: Sequence[str], what: str) -> None:
    """One person is named once: the same ID number (or mobile) twice is refused, naming the
    second buyer by role and never echoing the number."""
    seen: dict[str, int] = {}
    for position, key in enumerate(keys):
        if key in seen:
            raise DuplicateBuyer(
                f"Buyers {role_words(seen[key])} and {role_words(position)} have the same "
                f"{what}: name each buyer once.", buyer=buyer_label(position), field=what)
        seen[key] = position


def role_words(position: int) -> str:
    """English words for a role in messages and traces."""
    return "main buyer" if position == 0 else f"co-buyer {position}"


@dataclass(frozen=True)
class BuyerRecord:
    """What a signing keeps of one buyer: who they are on file, name, ID number as a keyed hash
    and masked, relation, and only the pass/score of their own ID-photo check (C22)."""

    person_id: str
    name: str
    id_hash: str
    id_masked: str
    relation: str | None = None
    id_photo: tuple[bool, float] | None = None


@dataclass(eq=False)
class SigningBuyer:
    """One buyer named on a signing: position 0 is the 主购人, others 共同购房人."""

    id: str
    signing_id: str
    position: int
    person_id: str
    name: str
    id_hash: str
    id_masked: str
    relation: str | None = None
    id_photo_passed: bool | None = None
    id_photo_score: float | None = None

    @classmethod
    def of(cls, record: BuyerRecord, *, signing_id: str, position: int) -> SigningBuyer:
        return cls(id=secrets.token_hex(12), signing_id=signing_id, position=position,
                   person_id=record.person_id, name=record.name.strip(),
                   id_hash=record.id_hash, id_masked=record.id_masked,
                   relation=record.relation,
                   id_photo_passed=record.id_photo[0] if record.id_photo else None,
                   id_photo_score=record.id_photo[1] if record.id_photo else None)

    @property
    def label(self) -> str:
        return buyer_label(self.position)

    @property
    def is_main(self) -> bool:
        return self.position == 0
