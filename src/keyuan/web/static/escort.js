// 扫码带访 (QR escort). On the channel portal: a button on each claim awaiting its visit asks for
// a one-time pass and shows its QR code and short code until it is used or expires. At
// reception: the tablet's camera reads the pass (decoded here by jsQR; no frame leaves this
// page, none is kept) or the code is typed; with the mobile the customer states, the escorted
// visit is confirmed once.
"use strict";
(() => {
  const t = keyuan.t;
  const $ = (id) => document.getElementById(id);
  const clock = new Intl.DateTimeFormat(keyuan.lang, {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
  const at = (iso) => clock.format(new Date(iso));

  // An escort error in words: a lapsed registration says why, the rest by code.
  function explain(err) {
    const reason = err.details && err.details.reason;
    if (err.error === "escort_registration_invalid" && reason) {
      const key = `escort.invalid_${reason}`;
      if (t(key) !== key) return t(key);
    }
    const key = `escort.err_${err.error || ""}`;
    return t(key) !== key ? t(key) : keyuan.explain(err);
  }

  // --- the agent's phone (channel portal) ---
  const panel = $("escort-pass");
  let ticking = null;
  function closePass() {
    clearInterval(ticking);
    ticking = null;
    panel.hidden = true;
    $("escort-pass-qr").removeAttribute("src");
  }
  // The time left counts from the server's own issue and expiry times, so a phone whose clock
  // is off still shows the right minutes.
  function countdown(deadline, expires) {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left === 0) {
      clearInterval(ticking);
      $("escort-pass-qr").removeAttribute("src");
      $("escort-pass-code").textContent = "";
      $("escort-pass-left").textContent = "";
      keyuan.say("escort-pass-msg", t("escort.pass_expired"), "bad");
      return;
    }
    const mmss = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    $("escort-pass-left").textContent = t("escort.pass_left", { at: at(expires), left: mmss });
  }
  async function showPass(button, claim, channel) {
    button.disabled = true;
    try {
      const pass = await keyuan.api("POST", `/api/channels/${encodeURIComponent(channel)}`
        + `/registrations/${encodeURIComponent(claim.registration_id)}/escort-pass`);
      panel.dataset.pass = pass.pass_id;
      $("escort-pass-who").textContent = t("escort.pass_for", {
        name: pass.customer_name, mobile: pass.masked_mobile });
      $("escort-pass-qr").src = pass.qr_url;
      $("escort-pass-code").textContent = pass.code;
      keyuan.say("escort-pass-msg", "", "good");
      panel.hidden = false;
      clearInterval(ticking);
      const deadline = Date.now() + (Date.parse(pass.expires_at) - Date.parse(pass.issued_at));
      countdown(deadline, pass.expires_at);
      ticking = setInterval(() => countdown(deadline, pass.expires_at), 1000);
      panel.scrollIntoView({ block: "start" });
      panel.focus();
    } catch (err) {
      keyuan.say("claims-msg", explain(err), "bad");
    } finally {
      button.disabled = false;
    }
  }
  if (panel) {
    $("escort-pass-close").addEventListener("click", closePass);
    // The channel portal calls this for each claim still awaiting its visit.
    keyuan.escortOffer = (cell, claim, channel) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary escort-offer";
      button.textContent = t("escort.offer");
      button.setAttribute("aria-label", t("escort.offer_for", { name: claim.customer_name }));
      button.addEventListener("click", () => showPass(button, claim, channel));
      cell.append(" ", button);
    };
  }

  // --- reception's tablet ---
  const form = $("escort-form");
  const root = $("reception");
  if (!form || !root) return;
  const office = encodeURIComponent(root.dataset.office);
  const video = $("escort-camera");
  let stream = null;
  let scanned = null;  // the QR code's text, until it is sent
  let looking = null;
  function stopCamera() {
    clearInterval(looking);
    looking = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    keyuan.show("escort-camera-box", false);
  }
  function look() {
    if (!video.videoWidth) return;
    const canvas = document.createElement("canvas");  // never attached, never saved
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    if (!found || !found.data) return;
    scanned = found.data;
    stopCamera();
    $("escort-code").value = "";
    keyuan.show("escort-scanned");
    keyuan.say("escort-alert", "");
    $("escort-mobile").focus();
  }
  $("escort-camera-on").addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        { video: { width: 640, height: 480, facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      keyuan.show("escort-camera-box");
      await video.play();
      keyuan.say("escort-alert", "");
      looking = setInterval(look, 250);
    } catch (err) {
      stopCamera();
      keyuan.say("escort-alert", t("escort.camera_failed"), "bad");
      $("escort-code").focus();
    }
  });
  $("escort-camera-off").addEventListener("click", stopCamera);
  $("escort-code").addEventListener("input", () => {  // typing replaces a scan
    scanned = null;
    keyuan.show("escort-scanned", false);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const alert = $("escort-alert");
    const code = $("escort-code").value.trim();
    const mobile = $("escort-mobile").value.trim();
    if (!scanned && !code) return keyuan.say(alert, t("escort.need_pass"), "bad");
    if (!mobile) {
      $("escort-mobile").focus();
      return keyuan.say(alert, t("escort.need_mobile"), "bad");
    }
    const body = scanned ? { token: scanned, mobile } : { code, mobile };
    const button = $("escort-go");
    button.disabled = true;
    try {
      const done = await keyuan.api("POST", `/api/offices/${office}/reception/escorts`, body);
      keyuan.say(alert, t("escort.confirmed", {
        at: at(done.at), name: done.customer_name, mobile: done.masked_mobile,
        channel: done.channel, agent: done.agent_name || done.agent,
        via: t(`escort.via_${done.via}`) }), "good");
      scanned = null;
      form.reset();
      keyuan.show("escort-scanned", false);
    } catch (err) {
      keyuan.say(alert, explain(err), "bad");
      if (err.error !== "invalid_registration") {  // a wrong number may be typed again
        scanned = null;
        keyuan.show("escort-scanned", false);
      }
    } finally {
      button.disabled = false;
    }
  });
})();
