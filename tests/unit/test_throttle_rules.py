"""The sliding-window rules of `domain/throttle.py` and who a request counts as
(`services.throttle.client_address`): pure, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keyuan.domain.throttle import Rate, Window
from keyuan.services.throttle import client_address

HOUR = Rate(limit=5, window_seconds=3600)
T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # a window boundary


def test_a_fresh_window_allows_the_whole_limit() -> None:
    assert Window.at(T0, 3600).allowance(HOUR, previous_hits=0) == 5


def test_the_previous_window_counts_for_the_part_still_inside_the_sliding_hour() -> None:
    quarter_past = Window.at(T0 + timedelta(minutes=15), 3600)
    assert quarter_past.carried(4) == 3  # 4 x 3/4 of the previous hour still overlapping
    assert quarter_past.allowance(HOUR, previous_hits=4) == 2


def test_a_full_window_is_retried_only_after_it_has_slid_past() -> None:
    window = Window.at(T0 + timedelta(minutes=10), 3600)
    wait = window.retry_after(HOUR, previous_hits=0, current_hits=5)
    assert wait == 50 * 60 + 1
    later = Window.at(T0 + timedelta(minutes=10, seconds=wait), 3600)
    assert later.allowance(HOUR, previous_hits=5) >= 1


def test_retry_after_waits_for_the_previous_window_to_slide_out() -> None:
    window = Window.at(T0 + timedelta(minutes=6), 3600)  # carried: floor(5 x 0.9) = 4
    assert window.allowance(HOUR, previous_hits=5) - 1 == 0  # one already taken: full
    wait = window.retry_after(HOUR, previous_hits=5, current_hits=1)
    later = Window.at(T0 + timedelta(minutes=6, seconds=wait), 3600)
    assert later.allowance(HOUR, previous_hits=5) - 1 >= 1
    assert wait < 3600 - 6 * 60


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_address("192.0.2.1", "10.0.0.9", ()) == "192.0.2.1"
    assert client_address("192.0.2.1", "10.0.0.9", ("127.0.0.1",)) == "192.0.2.1"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() -> None:
    trusted = ("127.0.0.1", "10.0.0.0/8")
    # the client may prepend a lie; it cannot append after its own address
    assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2",
                          trusted) == "198.51.100.7"


def test_ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert client_address("2001:db8:1:2:aaaa::1", None, ()) == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:bbbb::9", None, ()) == "2001:db8:1:2::/64"
    assert client_address("::ffff:192.0.2.5", None, ()) == "192.0.2.5"
    assert client_address(None, None, ()) is None
