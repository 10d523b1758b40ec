// Reception workspace (前台工作台): today's visits, polled every few seconds; 到访确认 of escorted
// visits; 前台代登记 on a visitor's behalf; whether SMS codes get through; the in-person rights
// desk (当面核验). Camera frames live only in this page's memory and go to the server once.
"use strict";
(() => {
  const root = document.getElementById("reception");
  if (!root) return;
  const t = keyuan.t;
  const $ = (id) => document.getElementById(id);
  const office = encodeURIComponent(root.dataset.office);
  const CHALLENGE = root.dataset.challenge === "on";  // 活体检测 before the in-person check
  const base = `/api/offices/${office}/reception`;
  const POLL_MS = 5000;
  const TOKEN = "keyuan_rights_token";  // what the visitor portal (/me) reads in this tab
  const clock = new Intl.DateTimeFormat(keyuan.lang, {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
  const day = new Intl.DateTimeFormat(keyuan.lang, {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false });
  const at = (iso) => clock.format(new Date(iso));
  const when = (iso) => day.format(new Date(iso));
  const word = (prefix, code) => {
    const key = `reception.${prefix}${code}`;
    const text = t(key);
    return text === key ? code : text;
  };
  // Reception's own wording for an error code first (reception.err_<code>), then the shared one.
  const explain = (err) => {
    if (err.error === "not_live") return `${keyuan.explain(err)} ${t("reception.not_live_manual")}`;
    const key = "reception.err_" + (err.error || "");
    const text = t(key);
    return text === key ? keyuan.explain(err) : text;
  };
  const fail = (box, err) => keyuan.say(box, explain(err), "bad");
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };

  // --- today's visits (live) and the SMS gateway's state ---
  function visitItem(v) {
    const li = el("li", undefined, "card visit");
    li.dataset.visit = v.visit_id;
    li.dataset.method = v.method;
    const head = el("p", undefined, "visit-head");
    head.append(el("strong", at(v.at)), " ", el("span", word("method_", v.method), "tag method"),
                " ", el("span", t(v.first_visit ? "reception.first_visit" : "reception.return_visit"),
                        v.first_visit ? "tag good" : "tag"));
    li.append(head);
    const facts = [v.masked_mobile || t("reception.no_mobile")];
    if (v.channel) facts.push(t("reception.via_channel", { channel: v.channel }));
    if (v.reason) facts.push(word("reason_", v.reason));
    if (v.consultant) facts.push(t("consultant.consultant_of_visit", { name: v.consultant }));
    li.append(el("p", facts.join(" · ")));
    return li;
  }

  function showSms(sms) {
    const box = $("sms-state");
    if (sms.failing) {
      const last = sms.recent[0];
      keyuan.say(box, t("reception.sms_failing", { at: at(last.at), outcome: word("sms_", last.outcome) }), "bad");
    } else if (sms.offline) {
      keyuan.say(box, t("reception.sms_offline"), "warn");
    } else {
      keyuan.say(box, "");
    }
    box.dataset.failing = sms.failing ? "true" : "false";
  }

  async function refresh() {
    try {
      const today = await keyuan.api("GET", `${base}/today`);
      const list = $("today-list");
      list.replaceChildren(...today.visits.map(visitItem));
      $("today-count").textContent = t("reception.today_count", { n: today.visits.length });
      keyuan.show("today-empty", today.visits.length === 0);
      $("today-updated").textContent = t("reception.updated", { at: at(new Date().toISOString()) });
      showSms(today.sms);
      root.dispatchEvent(new CustomEvent("today", { detail: today }));  // consultants.js
    } catch (err) {
      $("today-updated").textContent = explain(err);
    }
  }
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  root.addEventListener("refresh", refresh);  // consultants.js, after an assignment

  // --- 到访确认: find the claim, then the mobile the customer states ---
  function foundItem(r) {
    const li = el("li", undefined, "card");
    li.dataset.registration = r.registration_id;
    li.append(el("h3", `${r.customer_name} · ${r.masked_mobile}`));
    li.append(el("p", t("reception.found_facts", { channel: r.channel, at: when(r.created_at) })));
    if (r.expected_visit_at) li.append(el("p", t("reception.found_expected", { at: when(r.expected_visit_at) }), "hint"));
    if (r.confirmed_today) li.append(el("p", t("reception.found_confirmed"), "tag good"));
    const form = el("form");
    form.noValidate = true;
    const id = `confirm-mobile-${r.registration_id}`;
    const label = el("label", t("reception.confirm_mobile"));
    label.htmlFor = id;
    const input = el("input");
    Object.assign(input, { id, name: "mobile", inputMode: "numeric", autocomplete: "off", maxLength: 20 });
    const button = el("button", t("reception.confirm_go"));
    button.type = "submit";
    const alert = el("div", undefined, "alert");
    form.append(label, input, button, alert);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const visit = await keyuan.api("POST",
          `/api/registrations/${encodeURIComponent(r.registration_id)}/visit-confirmation`,
          { mobile: input.value.trim() });
        keyuan.say(alert, t("reception.confirmed", { at: at(visit.at) }), "good");
        refresh();
      } catch (err) {
        fail(alert, err);
      } finally {
        button.disabled = false;
      }
    });
    li.append(form);
    return li;
  }

  $("find-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const alert = $("find-alert");
    const q = $("find-q").value.trim();
    keyuan.say(alert, "");
    try {
      const found = await keyuan.api("GET", `${base}/registrations?q=${encodeURIComponent(q)}`);
      $("found-list").replaceChildren(...found.map(foundItem));
      if (!found.length) keyuan.say(alert, t("reception.found_none"), "warn");
    } catch (err) {
      $("found-list").replaceChildren();
      fail(alert, err);
    }
  });

  // --- 前台代登记 ---
  const behalf = $("behalf-form");
  if (behalf) {
    behalf.addEventListener("submit", async (event) => {
      event.preventDefault();
      const alert = $("behalf-alert");
      if (!$("behalf-agree").checked) return keyuan.say(alert, t("reception.behalf_must_agree"), "bad");
      const body = keyuan.fields(behalf);
      body.notice_hash = behalf.dataset.noticeHash;
      const button = $("behalf-go");
      button.disabled = true;
      try {
        const done = await keyuan.api("POST", `${base}/check-ins`, body);
        keyuan.say(alert, t("reception.behalf_done", { at: at(done.at), mobile: done.masked_mobile }), "good");
        if (done.receipt_code) {  // the long id is never shown, as at the kiosk
          const print = el("a", t("reception.behalf_print"));
          print.href = `/api/receipts/${encodeURIComponent(done.receipt_code)}/print?lang=${keyuan.lang}`;
          print.target = "_blank";
          print.rel = "noopener";
          alert.append(" ", print);
        } else {
          alert.append(" ", t("reception.behalf_receipt_theirs"));
        }
        behalf.reset();
        refresh();
      } catch (err) {
        fail(alert, err);
      } finally {
        button.disabled = false;
      }
    });
  }

  // --- 当面核验 (rights desk) ---
  let stream = null;
  const video = $("rights-camera");
  const stopCamera = () => {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    keyuan.show("rights-camera-box", false);
    $("rights-go").disabled = true;
  };
  $("rights-camera-on").addEventListener("click", async () => {
    const alert = $("rights-alert");
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        { video: { width: 640, height: 480, facingMode: "user" }, audio: false });
      video.srcObject = stream;
      keyuan.show("rights-camera-box");
      await video.play();
      $("rights-go").disabled = false;
      keyuan.say(alert, "");
    } catch (err) {
      keyuan.say(alert, t("reception.camera_failed"), "bad");
    }
  });
  const grab = () => keyuan.camera.grab(video, 0.9);
  $("rights-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const alert = $("rights-alert");
    const receipt = $("rights-receipt").value.trim();
    if (!receipt) return keyuan.say(alert, t("reception.rights_need_receipt"), "bad");
    const button = $("rights-go");
    button.disabled = true;
    keyuan.say(alert, t("common.loading"), "warn");
    try {
      // 活体检测 (liveness.js): this member of staff's challenge, its movements prompted one by
      // one while the frames are taken; it serves this one check
      let shots, challenge = { challenge_id: undefined };
      if (CHALLENGE) {
        challenge = await keyuan.api(
          "POST", `/api/offices/${office}/rights-desk/liveness-challenges`);
        keyuan.say(alert, "");
        shots = await keyuan.liveness.run($("rights-liveness"), video, challenge.steps, grab);
        $("rights-liveness").hidden = true;
      } else {
        shots = await keyuan.camera.shots(grab, 3, 150);  // three frames a moment apart
      }
      const out = await keyuan.api("POST", "/api/rights/in-person", {
        receipt_id: receipt, ...shots, challenge_id: challenge.challenge_id,
        id_document_checked: $("rights-id-checked").checked });
      stopCamera();
      if (out.outcome === "verified") {
        sessionStorage.setItem(TOKEN, out.token);
        keyuan.say(alert, t("reception.rights_verified", { at: at(out.expires_at) }), "good");
        keyuan.show("rights-open");
      } else {
        keyuan.say(alert, t("reception.rights_queued"), "warn");
      }
    } catch (err) {
      $("rights-liveness").hidden = true;
      const notLive = keyuan.liveness.words(err);
      if (notLive) keyuan.say(alert, t("reception.rights_not_live", { reason: notLive }), "bad");
      else fail(alert, err);
      button.disabled = !stream;
    }
  });
})();
