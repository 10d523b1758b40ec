// The reception kiosk: notice → two equal choices → (separate face consent → live camera) or
// (mobile + SMS code) → receipt. One page, one kiosk session per visitor. Camera frames live in
// memory only: they go to the server's quality gate and, three good ones, to enrollment.
"use strict";
(() => {
  const root = document.getElementById("kiosk");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const t = keyuan.t;
  const OFFICE = root.dataset.office;
  const NOTICE_HASH = root.dataset.noticeHash;
  const FACE_ON = root.dataset.faceOn === "true";
  const SMS_OFFLINE = root.dataset.smsOffline === "true";
  const CHALLENGE = root.dataset.challenge === "on";  // 活体检测 before a face return  // the outbox: reception reads codes
  const NEEDED = 3;              // good frames per enrollment (the server's enroll_min_frames)
  const CHECK_GAP_MS = 350;      // pause between two guidance checks
  const MAX_RETAKES = 3;         // enrollment attempts before suggesting the mobile path
  const RESET_AFTER_S = 60;      // the receipt screen resets itself for the next visitor
  const IDLE_RESET_S = 120;      // a visitor who walks away mid-way: clear the screen, camera off
  const QUALITY = ["no_face", "multiple_faces", "face_too_small", "face_too_blurry",
                   "face_too_dark", "face_too_bright", "not_enough_frames"];
  const alertBox = $("kiosk-alert");
  let visit = null;  // this visitor's state; replaced as a whole for the next visitor
  let currentStep = "start";
  let lastInput = Date.now();

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const url = (action) => `/api/kiosk/sessions/${visit.session}/${action}`;

  function showStep(name) {
    currentStep = name;
    for (const section of root.querySelectorAll("section[data-step]")) {
      section.hidden = section.dataset.step !== name;
    }
    keyuan.say(alertBox, "");
    root.querySelector(`section[data-step="${name}"] h2`).focus();
  }

  // An unpaired (or since unpaired) tablet: the server's page says so and how to fix it.
  function failed(err) {
    if (err && err.error === "device_not_paired") { location.reload(); return; }
    keyuan.say(alertBox, explain(err), "bad");
  }

  // Every code the kiosk API can answer has words for a visitor: the kiosk's own
  // (kiosk.err_<code>, where the shared wording is meant for staff pages), else the errors
  // catalog's. A refused field says which field and what it should look like.
  const FIELD_WORDS = { mobile: "kiosk.err_invalid_mobile", code: "kiosk.err_invalid_code",
                        receipt_id: "kiosk.err_invalid_receipt_id" };
  function explain(err) {
    const code = (err && err.error) || "generic";
    if (code === "not_live") return notLiveWords(err);
    if (code === "invalid_request") {
      const field = Object.keys(FIELD_WORDS).find(
        (name) => (err.message || "").includes(`body.${name}`));
      if (field) return t(FIELD_WORDS[field]);
    }
    for (const key of ["kiosk.err_" + code, "errors." + code]) {
      const text = t(key);
      if (text !== key) return text;
    }
    return t("kiosk.err_generic");
  }

  // Not a live face (a photo, a replayed screen): which check said so, in words, and the
  // mobile path — never a weaker face check.
  function notLiveWords(err) {
    return `${keyuan.explain(err)} ${t("kiosk.not_live_mobile")}`;
  }

  // One request at a time per visitor: a double tap must not send two codes or two consents.
  async function once(work) {
    if (visit.busy) return;
    visit.busy = true;
    try { await work(); } catch (err) { failed(err); } finally { visit.busy = false; }
  }

  // --- start: a fresh session and a clean page for each visitor --------------------------------
  async function startVisit() {
    stopCamera();
    if (visit) clearInterval(visit.resetTimer);
    // A visitor who consented to face and walked away before enrolling leaves no live consent.
    const unused = visit && visit.consentId;
    if (unused) {
      keyuan.api("POST", `/api/receipts/${encodeURIComponent(unused)}/withdraw`).catch(() => {});
    }
    visit = { session: null, faceOffered: false, consentId: null, claim: null, good: [],
              run: null, busy: false, resetTimer: null, retakes: 0 };
    for (const form of root.querySelectorAll("form")) form.reset();
    lastInput = Date.now();
    $("phone-form").hidden = true;
    $("notice-full").open = false;
    enableChoices(false);
    try {
      const session = await keyuan.api("POST", "/api/kiosk/sessions", { office_id: OFFICE });
      visit.session = session.session_id;
      visit.faceOffered = FACE_ON && session.face_available;
    } catch (err) {
      failed(err);
      return;
    }
    renderChoices();
    showStep("start");
  }

  // The choices wait for this visitor's kiosk session: a tap before it exists would be lost.
  const CHOICES = ["choose-face", "choose-mobile", "choose-return"];
  function enableChoices(on) {
    for (const id of CHOICES) $(id).disabled = !on;
  }

  function renderChoices() {
    enableChoices(true);
    $("choose-face").hidden = !visit.faceOffered;
    $("choose-return").hidden = !visit.faceOffered;
    $("face-off").hidden = FACE_ON;
    $("face-declined").hidden = FACE_ON ? visit.faceOffered : true;
  }

  // --- face: separate consent, then the camera ---------------------------------------------
  $("choose-face").addEventListener("click", () => {
    if (!visit.faceOffered) return;
    askConsent(false);
  });

  // The separate, unticked consent step (C1). A returning visitor is asked it every time, under
  // the notice in force, before the 1:1: the server then answers the same for every claim until
  // the face matches, so the kiosk never learns (or shows) whether a receipt or mobile is known.
  function askConsent(returning) {
    visit.returning = returning;
    $("consent-return").hidden = !returning;
    $("consent-what").hidden = returning;
    $("consent-form").reset();  // never pre-ticked, not even after "back"
    showStep("consent");
  }

  $("consent-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!$("face-agree").checked) {
      keyuan.say(alertBox, t("kiosk.consent_needed"));
      return;
    }
    if (visit.returning) {
      visit.returning = false;
      visit.claim = { ...visit.claim, renewal: {
        notice_hash: NOTICE_HASH, age_14_or_over: $("age-ok").checked, agree: true } };
      once(() => startCamera("return"));
      return;
    }
    once(async () => {
      let receipt;
      try {
        receipt = await keyuan.api("POST", url("face-consent"), {
          notice_hash: NOTICE_HASH, age_14_or_over: $("age-ok").checked, agree: true });
      } catch (err) {
        // C5: the server keeps an "under 14" answer for this visit; the page offers face no more
        if (err.error === "minor_face_refused") visit.faceOffered = false;
        throw err;
      }
      visit.consentId = receipt.receipt_id;
      await startCamera("enroll");
    });
  });

  // "No thanks": one tap, no reason asked, and face is not offered again in this visit (C2).
  // A consent ticked moments ago in this visit and not used is withdrawn with it: the "no" wins.
  async function declineFace() {
    stopCamera();
    visit.faceOffered = false;
    renderChoices();
    const unused = visit.consentId;
    visit.consentId = null;
    showMobile();
    try {
      await keyuan.api("POST", url("decline-face"));
      if (unused) await keyuan.api("POST", `/api/receipts/${encodeURIComponent(unused)}/withdraw`);
    } catch (err) {
      failed(err);
    }
  }
  for (const button of root.querySelectorAll("[data-decline]")) {
    button.addEventListener("click", declineFace);
  }

  async function startCamera(mode) {
    showStep("camera");
    visit.good = [];
    visit.retakes = 0;
    if (mode === "return") $("progress").textContent = ""; else showProgress();
    advise(t("kiosk.camera_starting"));
    const video = $("camera");
    try {
      visit.stream = await navigator.mediaDevices.getUserMedia(
        { video: { width: 640, height: 480, facingMode: "user" }, audio: false });
      video.srcObject = visit.stream;
      await video.play();
    } catch (err) {
      advise("");
      keyuan.say(alertBox, t("kiosk.camera_failed"));
      return;
    }
    if (mode === "return") verifyReturn(); else guide();
  }

  function stopCamera() {
    if (!visit) return;
    visit.run = null;
    visit.good = [];
    $("liveness").hidden = true;
    if (visit.stream) for (const track of visit.stream.getTracks()) track.stop();
    visit.stream = null;
    $("camera").srcObject = null;
  }

  // A frame of the camera, and one with the moment it was taken (camera.js): the server's
  // liveness check reads how a sequence is spread in time.
  const grabFrame = () => keyuan.camera.grab($("camera"), 0.9);
  const grabTimedFrame = () => keyuan.camera.timed(grabFrame);

  // The request fields for a sequence of timed frames: the frames and, in the same order,
  // their capture times.
  function framesBody(timed) {
    return { frames: timed.map((f) => f.image), frame_times_ms: timed.map((f) => f.t) };
  }

  // Frame → the server's quality gate → advice ("move closer") until NEEDED frames pass.
  async function guide() {
    const run = visit.run = {};
    const video = $("camera");
    while (visit.run === run) {
      if (!video.videoWidth) { await sleep(100); continue; }
      const shot = grabTimedFrame();
      let verdict;
      try {
        verdict = await keyuan.api("POST", url("frame-check"),
                                   { consent_id: visit.consentId, frame: shot.image });
      } catch (err) {
        if (visit.run !== run) return;
        failed(err);
        if (err.status && err.status < 500) { stopCamera(); return; }  // refused: stop asking
        await sleep(1000);
        continue;
      }
      if (visit.run !== run) return;
      if (verdict.ok) visit.good.push(shot);
      advise(verdict.ok ? t("kiosk.advice_ok") : adviceFor(verdict.advice));
      showProgress();
      if (visit.good.length >= NEEDED) { await enroll(run); return; }
      await sleep(CHECK_GAP_MS);
    }
  }

  async function enroll(run) {
    advise(t("kiosk.camera_saving"));
    try {
      const checkIn = await keyuan.api("POST", url("face-enrollment"),
                                       { consent_id: visit.consentId, ...framesBody(visit.good) });
      if (visit.run !== run) return;
      visit.consentId = null;  // used: the template now stands on it
      stopCamera();
      showReceipt(checkIn);
    } catch (err) {
      if (visit.run !== run) return;
      visit.good = [];
      visit.retakes += 1;
      if (QUALITY.includes(err.error) && visit.retakes < MAX_RETAKES) {
        advise(t("kiosk.camera_retry"));
        guide();
        return;
      }
      stopCamera();
      advise("");
      if (err.error === "not_live") {
        // Not a live face: the mobile way. The consent given for this enrollment is unused.
        const unused = visit.consentId;
        visit.consentId = null;
        if (unused) {
          keyuan.api("POST", `/api/receipts/${encodeURIComponent(unused)}/withdraw`)
            .catch(() => {});
        }
        showMobile();
      }
      if (err.error === "possibly_checked_in_before") {
        // One person, one record: this face is likely an earlier check-in. The unused consent
        // is withdrawn, and the visitor confirms who they are the "been here before" way.
        const unused = visit.consentId;
        visit.consentId = null;
        if (unused) {
          keyuan.api("POST", `/api/receipts/${encodeURIComponent(unused)}/withdraw`)
            .catch(() => {});
        }
        $("return-form").reset();
        showStep("return");
      }
      failed(err);
    }
  }

  // --- return: "I have been here before" → who (mobile or receipt) → face, 1:1 ------------------
  $("choose-return").addEventListener("click", () => {
    if (!visit.faceOffered) return;
    $("return-form").reset();
    showStep("return");
  });

  // A receipt says at once whether a face check-in stands behind it: without one the visitor
  // goes the mobile way, no consent asked, no camera. A mobile number gets no such answer (it
  // is nobody's secret: the camera decides, with one answer for every claim).
  $("return-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const who = parseWho($("return-who").value);
    if (who.problem) {
      keyuan.say(alertBox, who.problem);
      $("return-who").focus();
      return;
    }
    visit.claim = who.claim;
    if (!who.claim.receipt_id) { askConsent(true); return; }
    once(async () => {
      const found = await keyuan.api("POST", url("return-check"),
                                     { receipt_id: who.claim.receipt_id });
      if (found.face_on_file) { askConsent(true); return; }
      showMobile();
      keyuan.say(alertBox, t("kiosk.no_face_on_file"), "warn");
    });
  });

  // What the visitor typed: an 11-digit mobile from 1 (spaces, dashes, +86 ignored), a receipt
  // number (the 32-character one, or a short code: KY and ten letters and digits) — else the
  // words for what is wrong with it.
  const RECEIPT_CODE = /^(KY)?[0-9A-HJKMNP-TV-Z]{10}$/;
  function parseWho(raw) {
    const typed = raw.normalize("NFKC").replace(/[\s\-_.·()]/g, "");
    if (!typed) return { problem: t("kiosk.who_empty") };
    const digits = typed.replace(/^(\+86|0086)/, "");
    if (/^[0-9]+$/.test(digits)) {  // a mobile (a receipt code of digits only: ~1 in 100,000)
      if (digits.length !== 11) {
        return { problem: t("kiosk.who_mobile_length", { count: digits.length }) };
      }
      if (!/^1[3-9]/.test(digits)) return { problem: t("kiosk.who_mobile_start") };
      return { claim: { mobile: digits } };
    }
    if (/^[0-9a-f]{32}$/i.test(typed)) return { claim: { receipt_id: typed.toLowerCase() } };
    const upper = typed.toUpperCase();
    if (RECEIPT_CODE.test(upper.replace(/[IL]/g, "1").replace(/O/g, "0"))) {
      return { claim: { receipt_id: raw.trim() } };  // the server reads the code as typed
    }
    const strange = [...new Set(upper.replace(/[0-9A-Z]/g, ""))];
    if (strange.length) {
      return { problem: t("kiosk.who_receipt_chars", { chars: strange.join(" ") }) };
    }
    return { problem: t("kiosk.who_receipt_length", { count: typed.length }) };
  }

  // A liveness challenge (活体检测: random head movements, liveness.js) → its frames → the
  // server checks the movements and compares the face with the claimed person's own template
  // only. A retake (with a new challenge) on a quality reason, with its advice; anything else
  // (not live, not verified — no match, an uncertain one, or nobody to compare with: one
  // answer) ends the attempt on the mobile path, with the reason in words.
  // The frames of one return: where the office asks for it, a liveness challenge's (its id,
  // each frame's time and step); otherwise a few frames a moment apart.
  async function returnShots(who) {
    if (!CHALLENGE) return keyuan.camera.shots(grabFrame, NEEDED, 150);
    const challenge = await keyuan.api("POST", url("liveness-challenge"), who);
    advise("");
    const shots = await keyuan.liveness.run($("liveness"), $("camera"), challenge.steps,
                                            grabFrame);
    return { ...shots, challenge_id: challenge.challenge_id };
  }

  async function verifyReturn() {
    const run = visit.run = {};
    const video = $("camera");
    const who = { receipt_id: visit.claim.receipt_id, mobile: visit.claim.mobile };
    while (visit.run === run) {
      if (!video.videoWidth) { await sleep(100); continue; }
      try {
        const shots = await returnShots(who);
        if (visit.run !== run) return;
        advise(t("kiosk.return_checking"));
        const checkIn = await keyuan.api("POST", url("return"), { ...visit.claim, ...shots });
        if (visit.run !== run) return;
        stopCamera();
        showReceipt(checkIn);
        return;
      } catch (err) {
        if (visit.run !== run) return;
        visit.retakes += 1;
        $("liveness").hidden = true;
        if (!QUALITY.includes(err.error) || visit.retakes >= MAX_RETAKES) {
          stopCamera();
          advise("");
          // C5: an "under 14" answer is kept for this visit by the server; face is offered no more
          if (err.error === "minor_face_refused") visit.faceOffered = false;
          showMobile();  // never a weaker face check, never a hint who is known
          if (visit.claim.mobile) $("mobile").value = visit.claim.mobile;  // as they typed it
          const notLive = keyuan.liveness.words(err);
          if (notLive) keyuan.say(alertBox, `${notLive} ${t("kiosk.not_live_mobile")}`);
          else failed(err);
          return;
        }
        advise(adviceFor(err.error));
        await sleep(CHECK_GAP_MS);
      }
    }
  }

  function adviceFor(code) {
    const key = "kiosk.advice_" + code;
    const text = t(key);
    return text === key ? explain({ error: code }) : text;
  }

  function advise(text) {
    const el = $("advice");
    if (el.textContent !== text) el.textContent = text;
  }

  function showProgress() {
    $("progress").textContent = t("kiosk.camera_progress",
                                  { good: Math.min(visit.good.length, NEEDED), needed: NEEDED });
  }

  // --- mobile: number → code → agree → check-in --------------------------------------------
  function showMobile() {
    $("phone-form").hidden = true;
    showStep("mobile");
  }
  $("choose-mobile").addEventListener("click", showMobile);
  $("mobile-back").addEventListener("click", () => { renderChoices(); showStep("start"); });

  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    once(async () => {
      const sent = await keyuan.api("POST", url("phone-code"), { mobile: $("mobile").value.trim() });
      $("phone-form").hidden = false;
      const sentKey = SMS_OFFLINE ? "kiosk.code_sent_offline" : "kiosk.code_sent";
      keyuan.say($("code-sent"), t(sentKey, { mobile: sent.masked_mobile }), "good");
      keyuan.say(alertBox, "");
      $("code").focus();
    });
  });

  $("phone-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!$("phone-agree").checked) {
      keyuan.say(alertBox, t("kiosk.mobile_agree_needed"));
      return;
    }
    once(async () => {
      const checkIn = await keyuan.api("POST", url("phone-check-in"), {
        mobile: $("mobile").value.trim(), code: $("code").value.trim(),
        notice_hash: NOTICE_HASH, agree: true });
      showReceipt(checkIn);
    });
  });

  // --- receipt --------------------------------------------------------------------------------
  // Beijing time to the minute, as every printout shows it (no seconds, no UTC)
  const BEIJING_MINUTE = { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
                           day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  function showReceipt(checkIn) {
    const code = checkIn.receipt.receipt_code;  // the long id is never shown
    const at = new Date(checkIn.at).toLocaleString(keyuan.lang, BEIJING_MINUTE);
    const methodKey = "kiosk.method_" + checkIn.method;
    $("receipt-visit").textContent = t("kiosk.receipt_visit", { method: t(methodKey), at });
    // A return (face matched, or SMS code of a number seen before): welcome back, with the count
    const number = checkIn.visit_number || 1;
    $("welcome-back").hidden = number < 2;
    $("welcome-back").textContent = number < 2 ? "" : t("kiosk.welcome_back", { count: number });
    $("receipt-code").textContent = code;
    // the QR code holds /me?receipt=CODE on this server's address, for the visitor's own phone
    $("receipt-qr").src = `/api/receipts/${encodeURIComponent(code)}/qr.svg`;
    $("receipt-print").href = `/api/receipts/${encodeURIComponent(code)}/print?lang=${keyuan.lang}`;
    keyuan.show("receipt-keep", checkIn.mobile_on_file);  // a code can reach their phone
    keyuan.show("receipt-reception", !checkIn.mobile_on_file);  // face only: reception
    showStep("receipt");
    const until = Date.now() + RESET_AFTER_S * 1000;  // by the clock: a throttled timer is late
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      $("reset-note").textContent = t("kiosk.auto_reset", { seconds: left });
      if (left === 0) startVisit();
    };
    tick();
    visit.resetTimer = setInterval(tick, 1000);
  }
  $("done").addEventListener("click", startVisit);

  // Nothing of a visitor who left half-way stays on screen for the next one to see.
  for (const kind of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(kind, () => { lastInput = Date.now(); }, true);
  }
  setInterval(() => {
    const idle = Date.now() - lastInput > IDLE_RESET_S * 1000;
    if (idle && visit && !["start", "receipt"].includes(currentStep)) startVisit();
  }, 5000);

  startVisit();
})();
