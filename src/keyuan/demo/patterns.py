"""The words `keyuan demo month` prints: each scripted customer by the name a manager uses for
the pattern they play (先到访后报备, 撞单, 截客 …, and the gaming the risk report shows: 刷报备,
卡点带访 …, with the English beside it), each step, outcome and channel in words — never the
script's labels (f1…f7, s1, D1, co1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Words = tuple[str, str]
"""(中文, English)."""

PATTERNS: dict[str, Words] = {
    "f1": ("先到访后报备", "registered after the customer's own visit"),
    "f2": ("撞单", "two channels claim one customer"),
    "f3": ("报备过期", "registration expired before the visit"),
    "f4": ("超过保护期", "signed after the protection period"),
    "f5": ("老带新冒报", "referral of an existing customer"),
    "f6": ("截客（改到访时间）", "interception: visit time moved after the claim"),
    "f7": ("一人两号", "one person, two mobiles"),
    "h1": ("共同购房人：妻子先到访", "co-buyers: the wife visited first"),
    "h2": ("共同购房人：如实报备", "co-buyers: an honest couple"),
}
"""The fraud patterns the rules judge, and the two households, by script label."""
GAMING: dict[str, Words] = {
    "s": ("刷报备", "registered, never brought"),
    "x": ("保护期后重报", "registered again as protection ended"),
    "e": ("卡点带访", "escorted just before the registration lapses"),
    "p": ("跨项目报备", "the same customers at another project"),
    "m": ("隐号撞号", "a masked mobile two people fit"),
}
"""The gaming the 风控报告 shows (the rules let each claim pass), by the label's letter."""
ORDINARY: Words = ("正常成交", "ordinary deal")
NO_DEAL: Words = ("未成交", "no deal")

STEPS: dict[str, Words] = {
    "register": ("报备", "registration"), "escort": ("到访确认", "visit confirmation"),
    "qr_escort": ("扫码带访", "QR escort"),
    "phone": ("手机号登记", "mobile check-in"), "face": ("刷脸登记", "face check-in"),
    "face_return": ("再次到访", "return visit"), "correct": ("改到访时间", "visit time edited"),
    "register_elsewhere": ("在二期项目报备", "registration at the second project"),
    "sign": ("签约", "signing"), "review": ("复核", "review"),
}
OUTCOMES: dict[str, Words] = {
    "natural": ("自然到访", "natural visit"), "refused": ("报备被拒", "registration refused"),
    "pending": ("待复核", "waiting for review"),
}
EVIDENCE: dict[str, Words] = {"visit": ("到访", "visit"), "registration": ("报备", "registration")}


def both(words: Words) -> str:
    return f"{words[0]} ({words[1]})"


def pattern(label: str) -> Words:
    """A script label's pattern: a named fraud or household (a wife, `h1w`, is her household's),
    else an ordinary deal or none."""
    if label.removesuffix("w") in PATTERNS:
        return PATTERNS[label.removesuffix("w")]
    if label[0] in GAMING and label[1:].isdigit():
        return GAMING[label[0]]
    return ORDINARY if label.startswith("c") else NO_DEAL


def outcome(expect: str | None, channel_names: Mapping[str, str]) -> str:
    """`D1` → the channel's name; `natural`, `refused`, `pending` → words."""
    if expect is None:
        return "—"
    if expect in channel_names:
        return channel_names[expect]
    return both(OUTCOMES[expect]) if expect in OUTCOMES else "—"


def buyer(who: str) -> Words:
    """A household's buyer as the decision names them: `main`, `co1` …"""
    if who == "main":
        return ("主购人", "main buyer")
    number = who.removeprefix("co")
    return (f"共同购房人 {number}", f"co-buyer {number}")


def decided_by(pairs: Iterable[tuple[str, str]]) -> str:
    """A household decision's evidence in words: [("visit", "co1")] → 由共同购房人 1的到访决定
    (decided by co-buyer 1's visit)."""
    zh = "、".join(f"{buyer(who)[0]}的{EVIDENCE.get(kind, (kind, kind))[0]}"
                  for kind, who in pairs)
    en = ", ".join(f"{buyer(who)[1]}'s {EVIDENCE.get(kind, (kind, kind))[1]}"
                   for kind, who in pairs)
    return f"由{zh}决定 (decided by {en})" if zh else "—"
