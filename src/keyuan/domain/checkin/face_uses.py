"""人脸用途: every way keyuan compares a face, each with a stable name, its purpose and who can
trigger it (C3, C7, C1).

The notice is generated from the uses switched on: publishing records the uses it names, a use
the notice in force does not name is refused, and a consent given under a notice that did not
name a use does not cover it (the visitor is asked again).

The reader sees each use by its title and words only; the stable names are the machine's record
(`Notice.face_uses`, covered by the notice's hash) and never appear in the text. `uses_told`
reads back which uses a text tells of, by title, so a check can hold the words to the record."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from keyuan.domain.errors import ConsentNotCovering, LivenessNotInNotice, UseNotInNotice


class FaceUse(StrEnum):
    """The stable names; the order is the order a notice lists them in."""

    RETURN_VISIT = "return_visit_1to1"
    ENROLLMENT_DEDUP = "enrollment_dedup_1toN"
    SIGNING_ID_CHECK = "signing_id_check_1to1"
    SIGNING_LINK = "signing_link_1to1"
    SIGNING_SEARCH = "signing_search_1toN"
    CAMERA_LANE = "camera_lane_1toN"
    RIGHTS_IN_PERSON = "rights_in_person_1to1"


def ordered(uses: Iterable[str]) -> list[FaceUse]:
    """Known use names in notice order; an unknown name is dropped (never silently granted)."""
    wanted = set(uses)
    return [use for use in FaceUse if use.value in wanted]


@dataclass(frozen=True)
class UseText:
    title: str
    purpose: str
    trigger: str
    method: str


_ZH: dict[FaceUse, UseText] = {
    FaceUse.RETURN_VISIT: UseText(
        "再次到访 1:1 核验",
        "确认再次到访的是您本人，记录到访次数。",
        "您本人在前台平板上出示回执或输入手机号后发起。",
        "现场人脸只与您本人的特征值一对一比对，不与其他任何人比对。"),
    FaceUse.ENROLLMENT_DEDUP: UseText(
        "登记时 1:N 查重",
        "避免同一人被登记两次（否则会产生新的“首次到访”）。",
        "您本人同意并完成刷脸登记时自动进行一次。",
        "您的新特征值与本售楼处其他已同意者的特征值比对一次；疑似曾登记时请您凭回执或手机号确认，"
        "不向任何人显示可能是谁。"),
    FaceUse.SIGNING_ID_CHECK: UseText(
        "签约人证核验 1:1",
        "确认签约人是身份证持有人本人。",
        "签约台工作人员在签约时发起（读卡器提供证件照片时）。",
        "现场人脸与身份证芯片照片一对一比对，只保留“通过/未通过”和分数，照片不保存。"),
    FaceUse.SIGNING_LINK: UseText(
        "签约时 1:1 关联到访",
        "把您签约与您此前的刷脸登记到访关联，用于判定渠道归属。",
        "签约台工作人员在您出示刷脸登记回执时发起。",
        "现场人脸只与该回执对应的特征值一对一比对；结果不确定时由人工复核。"),
    FaceUse.SIGNING_SEARCH: UseText(
        "签约时 1:N 检索",
        "查找您此前的刷脸登记到访，用于判定渠道归属。",
        "签约台工作人员发起，仅当按手机号或身份证号查到的您本人持有有效人脸同意时。",
        "现场人脸与本售楼处已同意者的特征值比对；结果不确定时由人工复核，不单独决定佣金。"),
    FaceUse.CAMERA_LANE: UseText(
        "刷脸通道摄像头 1:N",
        "记录选择走刷脸通道的已同意者的到访。",
        "摄像头对经过标示通道的每一张人脸自动进行；不想被识别请走旁边不设摄像头的入口。",
        "通道内每张人脸在内存中提取特征并与已同意者比对，未匹配者在处理该画面后立即丢弃，"
        "不保存任何图像、特征或记录，只计数。"),
    FaceUse.RIGHTS_IN_PERSON: UseText(
        "当面行使权利 1:1 核验",
        "在前台当面核实您的身份，以便您查阅、复制、更正、删除个人信息或撤回同意。",
        "您本人请求、由前台工作人员在您出示回执时发起。",
        "现场人脸只与该回执对应的特征值一对一比对。"),
}

_EN: dict[FaceUse, UseText] = {
    FaceUse.RETURN_VISIT: UseText(
        "Return visit, 1:1",
        "To confirm that a returning visitor is you and count your visits.",
        "You, at the kiosk, after showing your receipt or entering your mobile.",
        "Your live face is compared 1:1 with your own template only, never with anyone else's."),
    FaceUse.ENROLLMENT_DEDUP: UseText(
        "Duplicate check at enrollment, 1:N",
        "So that nobody is recorded twice (a second record would give a new first visit).",
        "Once, automatically, when you consent and enroll at the kiosk.",
        "Your new template is compared once with this office's other consented templates; if it "
        "looks like an earlier check-in you confirm with your receipt or mobile; nobody is shown "
        "who it may be."),
    FaceUse.SIGNING_ID_CHECK: UseText(
        "ID check at signing, 1:1",
        "To confirm that the buyer is the holder of the ID card.",
        "Signing desk staff, at contract signing, when the card reader provides the chip photo.",
        "Your live face is compared 1:1 with the ID chip photo; only pass/fail and the score are "
        "kept, no photo."),
    FaceUse.SIGNING_LINK: UseText(
        "Visit link at signing, 1:1",
        "To link your signing to your earlier face check-ins, to decide which channel brought you.",
        "Signing desk staff, when you show your face check-in receipt.",
        "Your live face is compared 1:1 with that receipt's template only; an uncertain result is "
        "reviewed by a person."),
    FaceUse.SIGNING_SEARCH: UseText(
        "Search at signing, 1:N",
        "To find your earlier face check-ins, to decide which channel brought you.",
        "Signing desk staff, only when the buyer found by mobile or ID number holds an active "
        "face consent.",
        "Your live face is compared with this office's consented templates; an uncertain result "
        "is reviewed by a person and never decides a commission alone."),
    FaceUse.CAMERA_LANE: UseText(
        "Face lane cameras, 1:N",
        "To record the visits of consenting people who choose to walk through the face lane.",
        "The camera, automatically, for every face passing through the marked lane; if you do "
        "not want to be recognised, use the entrance beside it, which has no camera.",
        "Every face in the lane is turned into a template in memory and compared with the "
        "consented templates; a face that matches nobody is dropped once its frame is processed: "
        "no image, template or record is kept, only a count."),
    FaceUse.RIGHTS_IN_PERSON: UseText(
        "Rights check in person, 1:1",
        "To verify who you are at reception so that you can see, copy, correct or delete your "
        "data or withdraw consent.",
        "Reception staff, at your request, when you show your receipt.",
        "Your live face is compared 1:1 with that receipt's template only."),
}

_TEXTS = {"zh-CN": _ZH, "en": _EN}

_HEADINGS = {
    "zh-CN": ("刷脸登记仅在您单独同意后进行。开启的人脸用途如下（未列出的用途不会进行）：",
              "目的：", "由谁发起：", "方式：",
              "未开启任何人脸用途：只有手机号登记，不处理人脸。"),
    "en": ("Face check-in happens only after your separate consent. The face uses switched on "
           "are listed below (a use not listed does not run):",
           "Purpose: ", "Who triggers it: ", "How: ", "No face use is switched on: "
           "check-in is by mobile only and no face is processed."),
}

_LANE_LINE = {
    "zh-CN": "摄像头“{name}”只覆盖标示的刷脸通道：{lane}。另一条入口路线：{alternative}——"
             "该路线不设摄像头，不识别任何人。",
    "en": "Camera \u201c{name}\u201d covers only the marked face lane: {lane}. The other way in: "
          "{alternative} \u2014 no camera watches it and nobody is recognised there.",
}


@dataclass(frozen=True)
class Lane:
    """A camera's marked lane as the notice names it, and the way in no camera watches."""

    name: str
    lane: str
    alternative: str


def lane_line(lane: Lane, language: str) -> str:
    """The notice's sentence for one camera lane (C11): where it is, and that the other way in
    is not watched. A notice in force must carry it word for word for the camera to run."""
    template = _LANE_LINE.get(language, _LANE_LINE["zh-CN"])
    return template.format(name=lane.name, lane=lane.lane, alternative=lane.alternative)


# 活体检测 as the notice tells it (issue 18): which decisions read the frames for a live person
# first, whether the visitor is asked to move, and that nothing of it is kept. Generated from the
# uses switched on and the challenge setting, so the words change when what runs changes.
_DECISIONS = {
    "zh-CN": {"enrollment": "刷脸登记", FaceUse.RETURN_VISIT: "再次到访核验",
              FaceUse.SIGNING_ID_CHECK: "签约台人脸核验", FaceUse.SIGNING_LINK: "签约台人脸核验",
              FaceUse.SIGNING_SEARCH: "签约台人脸核验", FaceUse.RIGHTS_IN_PERSON: "当面核验"},
    "en": {"enrollment": "face enrollment", FaceUse.RETURN_VISIT: "a return visit's check",
           FaceUse.SIGNING_ID_CHECK: "the signing desk's face check",
           FaceUse.SIGNING_LINK: "the signing desk's face check",
           FaceUse.SIGNING_SEARCH: "the signing desk's face check",
           FaceUse.RIGHTS_IN_PERSON: "the in-person rights check"},
}
CHALLENGED = (FaceUse.RETURN_VISIT, FaceUse.SIGNING_ID_CHECK, FaceUse.SIGNING_LINK,
              FaceUse.SIGNING_SEARCH, FaceUse.RIGHTS_IN_PERSON)
"""The uses whose decision asks for head movements when the challenge is required."""

_LIVENESS = {
    "zh-CN": {
        "passive": "活体检测（防照片、防录像回放）：{where}时，在比对人脸之前先检查画面来自镜头前的"
                   "真人——多帧画面之间须有自然变化（不是同一张照片重复、移动或缩放），拍摄时间须像"
                   "摄像头连续拍摄。",
        "challenge": "{where}时，屏幕还会按随机顺序提示您做三个头部动作（向左转、向右转、抬头、"
                     "低头），每个动作有时间限制；人脸比对只用正对镜头的画面。",
        "lane": "刷脸通道：只有同一人的连续画面显示为真人时才记录到访（举着照片经过不记录）。",
        "kept": "检测只在内存中读取画面和面部特征点，不保存任何画面、特征点或动作；未通过时不建立"
                "特征值、不记录到访，只记下未通过的原因（不含任何画面）。",
        "mobile": "未通过或不愿做检测时，您随时可以改用手机号登记。",
        "id": "{where}未通过时，可改为出示身份证件。",
        "join": "、", "or": "或",
    },
    "en": {
        "passive": "Liveness check (against photos and replayed recordings): at {where}, before "
                   "any face is compared, the frames must show a live person in front of the "
                   "camera — natural change between frames (not one picture repeated, moved or "
                   "scaled) and capture times spread as a camera takes them.",
        "challenge": "At {where}, the screen also asks for three head movements in random order "
                     "(turn left, turn right, look up, look down), each within a time limit; only "
                     "the frames facing the camera are compared.",
        "lane": "Face lane: a visit is recorded only when successive frames of the same person "
                "show a live person (a photo held up records nothing).",
        "kept": "The check reads the frames and face landmarks in memory only and keeps no frame, "
                "landmark or movement; when it fails, no template is made and no visit recorded, "
                "only the reason is noted (no image).",
        "mobile": "If it fails, or you would rather not, you can always check in by mobile "
                  "instead.",
        "id": "If it fails at {where}, show an ID document instead.",
        "join": ", ", "or": " or ",
    },
}


def _listed(names: Sequence[str], words: dict[str, str]) -> str:
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return unique[0]
    return words["join"].join(unique[:-1]) + words["or"] + unique[-1]


def liveness_line(uses: Sequence[FaceUse], language: str, *, enrollment: bool,
                  challenge: bool) -> str:
    """The notice's sentence on 活体检测 as it runs for `uses` (and kiosk enrollment when
    `enrollment`): the passive checks before each decision, the head movements where the
    challenge is required, the face lane's live sightings, and that nothing of it is kept.
    Empty when no face decision runs. A notice in force must carry it word for word."""
    words = _LIVENESS.get(language, _LIVENESS["zh-CN"])
    names = _DECISIONS.get(language, _DECISIONS["zh-CN"])
    decided = ([names["enrollment"]] if enrollment else []) + [
        names[use] for use in uses if use in names]
    lane = FaceUse.CAMERA_LANE in uses
    if not decided and not lane:
        return ""
    parts = [words["passive"].format(where=_listed(decided, words))] if decided else []
    asked = [names[use] for use in uses if use in CHALLENGED]
    if challenge and asked:
        parts.append(words["challenge"].format(where=_listed(asked, words)))
    if lane:
        parts.append(words["lane"])
    parts.append(words["kept"])
    if enrollment or FaceUse.RETURN_VISIT in uses:
        parts.append(words["mobile"])
    by_id = [names[use] for use in uses if use in CHALLENGED and use is not FaceUse.RETURN_VISIT]
    if by_id:
        parts.append(words["id"].format(where=_listed(by_id, words)))
    return "".join(parts) if language == "zh-CN" else " ".join(parts)


def require_liveness_told(line: str, processing: str, *, office_id: str, language: str,
                          version: int) -> None:
    """Told equals done: the notice in force tells of the liveness check as it runs now (the
    challenge switched on or off since publishing makes it wrong: publish again)."""
    if line and line not in processing:
        raise LivenessNotInNotice(
            f"The notice in force ({office_id}, {language}, version {version}) does not tell of "
            "the liveness check as it runs now: publish it again (`keyuan notice republish`).",
            language=language, version=version)


def use_text(use: FaceUse, language: str) -> UseText:
    return _TEXTS.get(language, _ZH)[use]


def processing_section(uses: Sequence[FaceUse], language: str,
                       lanes: Sequence[Lane] = ()) -> str:
    """The notice's processing section (one paragraph per use), in `language` (else zh-CN):
    generated, never drafted by hand, so it says what the configuration does — for camera
    lanes, each lane by name and the unwatched way in beside it."""
    lead, purpose, trigger, how, none = _HEADINGS.get(language, _HEADINGS["zh-CN"])
    if not uses:
        return none
    parts = [lead]
    for use in uses:
        parts.append(use_line(use, language, purpose, trigger, how))
        if use is FaceUse.CAMERA_LANE:
            parts.extend(f"  {lane_line(lane, language)}" for lane in lanes)
    return "\n".join(parts)


def use_line(use: FaceUse, language: str, purpose: str, trigger: str, how: str) -> str:
    """One use as a reader reads it: its title, purpose, who triggers it and how — in words."""
    text = use_text(use, language)
    return f"• {text.title} — {purpose}{text.purpose} {trigger}{text.trigger} {how}{text.method}"


_USE_LINE = re.compile(r"^• (.+?) (?:\[[a-z0-9_A-Z]+\] )?— ", re.MULTILINE)
_OLD_CODE = re.compile(r" \[(?:" + "|".join(use.value for use in FaceUse) + r")\]")


def uses_told(text: str, language: str) -> list[FaceUse]:
    """The uses a processing section tells the reader of (by the title that starts each use's
    line), in notice order: what must equal the notice's `face_uses`."""
    titles = {use_text(use, language).title: use for use in FaceUse}
    return ordered(titles[m.group(1)].value for m in _USE_LINE.finditer(text)
                   if m.group(1) in titles)


def plain(text: str) -> str:
    """A processing section as a reader should see it: a notice published before the codes left
    the text (`• 标题 [return_visit_1to1] — …`) is shown without them; the stored, hashed text
    is not changed."""
    return _OLD_CODE.sub("", text)


def require_named(use: FaceUse, named: Iterable[str], *, office_id: str, language: str,
                  version: int) -> None:
    """C3: a use the notice in force does not name does not run."""
    if use.value not in set(named):
        raise UseNotInNotice(
            f"The notice in force ({office_id}, {language}, version {version}) does not name the "
            f"face use '{use.value}': publish a notice that names it before it runs "
            "(`keyuan notice republish`).", use=use.value, language=language, version=version)


def require_covered(use: FaceUse, named: Iterable[str]) -> None:
    """C1/C7: a consent covers only the uses its notice named; otherwise ask again."""
    if use.value not in set(named):
        raise ConsentNotCovering(
            f"The consent was given under a notice that did not name the face use "
            f"'{use.value}': the visitor must be asked for consent again.", use=use.value)
