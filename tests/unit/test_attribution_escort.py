"""扫码带访: a pass is signed for one registration, office and moment; an altered or made-up
token is forged, another office's, a used and an expired pass are refused in that order; the
short code reads back however it is typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.attribution.channels import Channel, ChannelKind
from keyuan.domain.attribution.escort import (
    CODE_LENGTH,
    PASS_MINUTES,
    EscortPass,
    check_token,
    format_code,
    new_code,
    parse_code,
    read_token,
    require_escortable,
)
from keyuan.domain.attribution.registration import (
    AttributionRules,
    Registration,
    parse_claimed_mobile,
)
from keyuan.domain.checkin.receipt_code import ALPHABET
from keyuan.domain.errors import (
    EscortCodeUnknown,
    EscortPassExpired,
    EscortPassForged,
    EscortPassOtherOffice,
    EscortPassUsed,
    EscortRegistrationInvalid,
)
from keyuan.domain.keyed_hash import Hasher

NOW = datetime(2026, 12, 6, 2, 0, 0, 123456, tzinfo=UTC)
HASHER = Hasher("unit-test-secret")
SEAL = "escort_pass"


def registration(at: datetime = NOW, conflict: str | None = None) -> Registration:
    channel = Channel.new(office_id="office-1", kind=ChannelKind.DISTRIBUTOR, name="A", now=at)
    claimed = parse_claimed_mobile("13800138000")
    r = Registration.claim(channel=channel, customer_name="王五", mobile=claimed,
                           mobile_hash=HASHER.mobile("13800138000"), now=at)
    r.conflict = conflict
    return r


def issued(now: datetime = NOW) -> tuple[EscortPass, str]:
    escort = EscortPass.issue(registration=registration(), issued_by="agent:li", now=now,
                              code_hash=HASHER.escort_code(new_code()))
    return escort, escort.token(HASHER.seal(SEAL, escort.binding()))


def verify(token: str, stored: EscortPass | None, hasher: Hasher = HASHER) -> EscortPass:
    signature = hasher.seal(SEAL, stored.binding()) if stored is not None else ""
    return check_token(read_token(token), stored, signature)


def test_a_pass_lives_five_minutes_and_its_token_verifies_against_it() -> None:
    escort, token = issued()
    assert escort.expires_at == (NOW + timedelta(minutes=PASS_MINUTES)).replace(microsecond=0)
    assert token.startswith(f"KYE1.{escort.id}.{escort.expires_epoch}.")
    assert verify(token, escort) is escort


@pytest.mark.parametrize("part", ["registration_id", "office_id", "expires_at"])
def test_a_pass_whose_registration_office_or_expiry_differs_from_the_signed_one_is_forged(
    part: str,
) -> None:
    escort, token = issued()
    changed = {"registration_id": "f" * 24, "office_id": "office-2",
               "expires_at": escort.expires_at + timedelta(minutes=10)}[part]
    with pytest.raises(EscortPassForged):
        verify(token, replace(escort, **{part: changed}))


def test_an_altered_signature_a_made_up_pass_or_another_installations_key_is_forged() -> None:
    escort, token = issued()
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    for bad, stored, hasher in ((flipped, escort, HASHER), (token, None, HASHER),
                                (token, escort, Hasher("another-installation"))):
        with pytest.raises(EscortPassForged):
            verify(bad, stored, hasher)
    longer = token.replace(f".{escort.expires_epoch}.", f".{escort.expires_epoch + 600}.")
    with pytest.raises(EscortPassForged):
        verify(longer, escort)  # stretching the expiry in the QR code does not work either


@pytest.mark.parametrize("text", ["", "KYE1", "KYE2." + "a" * 24 + ".1765000000." + "b" * 32,
                                  "KYE1." + "a" * 23 + ".1765000000." + "b" * 32,
                                  "https://example.test/?t=1", "x" * 200])
def test_text_that_is_not_a_token_is_forged(text: str) -> None:
    with pytest.raises(EscortPassForged):
        read_token(text)


def test_another_office_then_a_replay_then_expiry_are_refused_in_that_order() -> None:
    escort, _ = issued()
    escort.require_usable(office_id="office-1", now=escort.expires_at - timedelta(seconds=1))
    with pytest.raises(EscortPassExpired):
        escort.require_usable(office_id="office-1", now=escort.expires_at)
    with pytest.raises(EscortPassOtherOffice):
        escort.require_usable(office_id="office-2", now=NOW)
    escort.use(now=NOW, by="reception:zhao", visit_id="v" * 24)
    with pytest.raises(EscortPassUsed):
        escort.require_usable(office_id="office-1", now=NOW)
    with pytest.raises(EscortPassUsed):  # a replay is named as such after expiry too
        escort.require_usable(office_id="office-1", now=escort.expires_at + timedelta(hours=1))
    with pytest.raises(EscortPassOtherOffice):
        escort.require_usable(office_id="office-2", now=NOW)


codes = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


@given(codes, st.booleans(), st.sampled_from(["", "-", " ", "－"]))
def test_a_short_code_reads_back_however_it_is_typed(code: str, lower: bool, sep: str) -> None:
    shown = format_code(code)
    assert len(shown) == CODE_LENGTH + 1 and shown[4] == "-"
    typed = sep.join([code[:4], code[4:]])
    assert parse_code(typed.lower() if lower else typed) == code
    assert parse_code(shown.replace("1", "I").replace("0", "O")) == code


@pytest.mark.parametrize("bad", ["", "ABC", "ABCD-EFGH-J", "ABCD-EFG!", "ABCD-EFGU"])
def test_text_that_cannot_be_a_short_code_is_unknown(bad: str) -> None:
    with pytest.raises(EscortCodeUnknown):
        parse_code(bad)


def test_only_a_registration_an_escort_can_still_validate_gets_a_pass() -> None:
    rules = AttributionRules()
    fresh = registration()
    require_escortable(fresh, rules, now=NOW, channel_active=True, confirmed=False)
    late = NOW + rules.registration_valid + timedelta(seconds=1)
    cases = [(fresh, late, True, False, "expired"),
             (registration(conflict="customer_known"), NOW, True, False, "marked"),
             (fresh, NOW, False, False, "channel_inactive"),
             (fresh, NOW, True, True, "confirmed")]
    for claim, now, active, confirmed, reason in cases:
        with pytest.raises(EscortRegistrationInvalid) as refused:
            require_escortable(claim, rules, now=now, channel_active=active, confirmed=confirmed)
        assert refused.value.details == {"reason": reason}
