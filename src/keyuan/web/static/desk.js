// The signing desk (签约核验): ID number with a live GB 11643 check, the buyer's own yes or no to
// the desk's face check under the desk notice (recorded before any face option shows; none for a
// buyer under 14 by the ID number), an explicit live capture (camera → canvas → JPEG data URLs
// held in this page's memory only, never stored), signing through the JSON API, then the result
// card; and "send to review" on the card. Co-buyers (共同购房人) are rows added and removed
// below the main buyer (主购人), each signing by ID number and mobile; the face check is for the
// one buyer chosen in "face check for", under that buyer's own answer.
"use strict";
(() => {
  const { t, api, say, show } = keyuan;

  // --- GB 11643-1999: 17 digits, a birth date, and a MOD 11-2 check digit (as domain/idcard.py)
  const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const CHECK = "10X98765432";
  const SHAPE = /^[1-9][0-9]{16}[0-9X]$/;

  function checkDigit(first17) {
    let total = 0;
    for (let i = 0; i < 17; i++) total += Number(first17[i]) * WEIGHTS[i];
    return CHECK[total % 11];
  }

  // "" when valid, else the catalog key of what is wrong.
  function idProblem(raw) {
    const value = raw.replace(/\s/g, "").toUpperCase();
    if (!SHAPE.test(value)) return "desk.id_bad_shape";
    const [y, m, d] = [value.slice(6, 10), value.slice(10, 12), value.slice(12, 14)].map(Number);
    const born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) {
      return "desk.id_bad_date";
    }
    if (y < 1900) return "desk.id_bad_date";
    if (checkDigit(value.slice(0, 17)) !== value[17]) return "desk.id_bad_check";
    return "";
  }

  // C5: the birth date in a valid ID number says under 14 today (the server decides too).
  function under14(raw) {
    const value = raw.replace(/\s/g, "").toUpperCase();
    const [y, m, d] = [value.slice(6, 10), value.slice(10, 12), value.slice(12, 14)].map(Number);
    const now = new Date();
    const age = now.getFullYear() - y - ((now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d)) ? 1 : 0);
    return age < 14;
  }

  // The desk's own wording for an error code first (desk.err_<code>), then the shared one.
  function explain(err) {
    const notLive = keyuan.liveness.words(err);  // 活体检测: the movements or the challenge
    if (notLive) return t("desk.not_live_by_hand", { reason: notLive });
    const key = "desk.err_" + (err.error || "");
    return t(key) !== key ? t(key) : keyuan.explain(err);
  }

  // "2,800,000.50" or "2800000.5" → integer fen (no floating point on money).
  function fen(text) {
    const value = text.replace(/[,\s，]/g, "");
    const match = /^(\d{1,11})(?:\.(\d{1,2}))?$/.exec(value);
    if (!match) return null;
    const total = Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
    return total > 0 ? total : null;
  }

  const form = document.getElementById("desk-form");
  if (form) setUpForm(form);
  const sendForm = document.getElementById("send-review");
  if (sendForm) setUpSend(sendForm);

  // The live check of one ID box: its status line says ok or what is wrong (true unless wrong).
  function checkId(input, status, final) {
    const value = input.value.replace(/\s/g, "");
    if (!value || (!final && value.length < 18)) {
      status.textContent = "";
      status.className = status.className.replace(/ (good|bad)$/, "");
      input.removeAttribute("aria-invalid");
      return true;
    }
    const problem = idProblem(value);
    status.textContent = t(problem || "desk.id_ok");
    status.className = status.className.replace(/ (good|bad)$/, "") + (problem ? " bad" : " good");
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    return !problem;
  }

  // A buyer's role in words: "main" → 主购人, "co2" → 共同购房人 2 (the server's labels).
  function roleWords(label) {
    return label === "main" ? t("desk.role_main") : t("desk.role_co", { n: label.slice(2) });
  }

  function setUpForm(form) {
    const idInput = document.getElementById("id_number");
    const idStatus = document.getElementById("id_number_status");
    const alert = document.getElementById("desk-alert");
    const faceFor = document.getElementById("face_for");
    const camera = setUpCamera(form.dataset.office, form.dataset.challenge === "on");
    let chipPhoto = Promise.resolve(null);  // a data URL once read, in memory only
    const coBuyers = setUpCoBuyers(faceFor, () => consent.targetChanged());
    const target = () => (faceFor.value === "main" ? idInput : coBuyers.idInput(faceFor.value));
    const consent = setUpConsent(form, target, () => {
      camera.clear();
      chipPhoto = Promise.resolve(null);
      document.getElementById("chip_photo").value = "";
      document.getElementById("face_receipt_id").value = "";
    });
    faceFor.addEventListener("change", () => consent.targetChanged());
    faceFor.addEventListener("idchange", () => consent.idChanged());

    const showIdCheck = (final) => checkId(idInput, idStatus, final);
    idInput.addEventListener("input", () => { showIdCheck(false); consent.idChanged(); });
    idInput.addEventListener("blur", () => { showIdCheck(true); consent.idChanged(); });

    document.getElementById("chip_photo").addEventListener("change", (event) => {
      const file = event.target.files[0];
      chipPhoto = !file ? Promise.resolve(null) : new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = () => resolve(null);
        reader.readAsDataURL(file);
      });
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(alert, "");
      if (!showIdCheck(true)) { idInput.focus(); return; }
      const f = keyuan.fields(form);
      const price = fen(f.price_yuan || "");
      const needs = { buyer_name: t("desk.need_buyer_name"), mobile: t("desk.need_mobile") };
      const missing = Object.keys(needs).find((name) => !f[name]);
      if (missing) { say(alert, needs[missing]); document.getElementById(missing).focus(); return; }
      const coProblem = coBuyers.problem();
      if (coProblem) { say(alert, coProblem.message); coProblem.input.focus(); return; }
      if (price === null) { say(alert, t("desk.need_price")); document.getElementById("price_yuan").focus(); return; }
      const faces = consent.given();  // no face evidence leaves the page without the buyer's yes
      const chip = faces ? await chipPhoto : null;
      if (chip && !camera.frames.length) { say(alert, t("desk.need_capture_for_chip")); return; }
      const buyers = [{ name: f.buyer_name, id_number: f.id_number, mobile: f.mobile, main: true,
                        key: "main" }, ...coBuyers.values()];
      const chosen = buyers.find((b) => b.key === faceFor.value) || buyers[0];
      if (faces && camera.frames.length) {
        Object.assign(chosen, { live_frames: camera.frames, frame_times_ms: camera.times,
                                frame_steps: camera.steps, challenge_id: camera.challenge });
      }
      if (chip) chosen.chip_photo = chip;
      if (faces && f.face_receipt_id) chosen.face_receipt_id = f.face_receipt_id;
      if (consent.id()) chosen.desk_consent_id = consent.id();
      buyers.forEach((b) => delete b.key);
      const body = { contract_price_fen: price, buyers };
      const button = document.getElementById("sign");
      button.disabled = true;
      say(alert, t("common.loading"), "good");
      try {
        const signed = await api("POST", `/api/offices/${encodeURIComponent(form.dataset.office)}/signings`, body);
        camera.clear();
        chipPhoto = Promise.resolve(null);
        location.assign(`/desk/signing/${encodeURIComponent(signed.signing_id)}`);
      } catch (err) {
        const buyer = err.details && err.details.buyer;
        const words = buyer ? t("desk.err_for_buyer", { who: roleWords(buyer), message: explain(err) })
                            : explain(err);
        say(alert, words);
        if (err.error === "invalid_id_number") {
          const [box, status] = !buyer || buyer === "main" ? [idInput, idStatus] : coBuyers.idOf(buyer);
          status.textContent = explain(err);
          status.className = status.className.replace(/ (good|bad)$/, "") + " bad";
          box.setAttribute("aria-invalid", "true");
        }
        button.disabled = false;
      }
    });
  }

  // The desk asks first (C1, C22): the buyer's answer is recorded for the ID number typed, under
  // the desk notice shown; the camera, chip photo and receipt appear only after a "yes". A
  // buyer under 14 by the ID number is never asked (C5). A new ID number asks again.
  function setUpConsent(form, idInputOf, dropFaces) {
    const step = document.getElementById("desk-consent-step");
    const options = document.getElementById("desk-face-options");
    const minor = document.getElementById("desk-under-14");
    const status = document.getElementById("desk-consent-status");
    const yes = document.getElementById("desk-consent-yes");
    const no = document.getElementById("desk-consent-no");
    const needId = document.getElementById("desk-consent-need-id");
    const state = { id: null, given: false, forNumber: null };

    function reset(message) {
      state.id = null; state.given = false; state.forNumber = null;
      show(options, false);
      dropFaces();
      status.textContent = message || "";
    }

    function idChanged() {
      const number = idInputOf().value.replace(/\s/g, "").toUpperCase();
      const full = number.length === 18 && !idProblem(number);
      const child = full && under14(number);
      show(minor, child);
      show(step, !child);
      if (state.forNumber && state.forNumber !== number) reset(t("desk.consent_reset"));
      if (child) reset("");
      if (yes) { yes.disabled = !full || child; no.disabled = !full || child; }
      if (needId) show(needId, !full);
    }

    // Another buyer chosen for the face check: the answer was theirs only, ask again.
    function targetChanged() {
      if (state.forNumber) reset(t("desk.consent_reset"));
      idChanged();
    }

    async function answer(given) {
      const number = idInputOf().value.replace(/\s/g, "").toUpperCase();
      const alert = document.getElementById("desk-alert");
      say(alert, "");
      try {
        const done = await api("POST", `/api/offices/${encodeURIComponent(form.dataset.office)}/desk-consents`,
          { id_number: number, notice_hash: step.dataset.noticeHash, given });
        state.id = done.desk_consent_id; state.given = done.given; state.forNumber = number;
        show(options, done.given);
        if (!done.given) dropFaces();
        status.textContent = t(done.given ? "desk.consent_given" : "desk.consent_refused");
      } catch (err) {
        say(alert, explain(err));
      }
    }
    if (yes) yes.addEventListener("click", () => answer(true));
    if (no) no.addEventListener("click", () => answer(false));
    idChanged();
    return { idChanged, targetChanged, given: () => state.given, id: () => state.id };
  }

  // 共同购房人 rows: added and removed at will, numbered in order (the server's co1, co2 …),
  // each with its own live ID check; "face check for" lists them beside the main buyer.
  function setUpCoBuyers(faceFor, onTargetGone) {
    const list = document.getElementById("co-buyer-list");
    const template = document.getElementById("co-buyer-row");
    const add = document.getElementById("co-buyer-add");
    let serial = 0;
    const rows = () => [...list.querySelectorAll("li.co-buyer")];
    const field = (row, name) => row.querySelector(`[data-field=${name}]`);
    const who = (i) => t("desk.role_co", { n: i + 1 });

    function renumber() {
      const chosen = faceFor.value;
      faceFor.querySelectorAll("option:not([value=main])").forEach((option) => option.remove());
      rows().forEach((row, i) => {
        row.querySelector(".co-buyer-title").textContent = who(i);
        row.querySelector(".co-buyer-remove").textContent = t("desk.co_buyer_remove", { who: who(i) });
        faceFor.append(new Option(who(i), row.dataset.key));
      });
      const kept = rows().some((row) => row.dataset.key === chosen);
      faceFor.value = kept ? chosen : "main";
      if (!kept && chosen !== "main") onTargetGone();
    }

    add.addEventListener("click", () => {
      const row = template.content.firstElementChild.cloneNode(true);
      const key = `co-${++serial}`;
      row.dataset.key = key;
      row.querySelectorAll("[data-field]").forEach((input) => {
        input.id = `${key}-${input.dataset.field}`;
        input.name = input.id;
      });
      row.querySelectorAll("label[data-for]").forEach((label) => { label.htmlFor = `${key}-${label.dataset.for}`; });
      const idBox = field(row, "id_number");
      const status = row.querySelector(".co-id-status");
      status.id = `${key}-id-status`;
      idBox.setAttribute("aria-describedby", status.id);
      const changed = (final) => {
        checkId(idBox, status, final);
        if (faceFor.value === key) faceFor.dispatchEvent(new Event("idchange"));
      };
      idBox.addEventListener("input", () => changed(false));
      idBox.addEventListener("blur", () => changed(true));
      row.querySelector(".co-buyer-remove").addEventListener("click", () => {
        row.remove();
        renumber();
        add.focus();
      });
      list.append(row);
      renumber();
      field(row, "name").focus();
    });

    return {
      idInput: (key) => document.getElementById(`${key}-id_number`),
      idOf: (label) => {
        const row = rows()[Number(label.slice(2)) - 1];
        return [field(row, "id_number"), row.querySelector(".co-id-status")];
      },
      // The first thing missing or wrong in a row, with the box to focus; null when all fit.
      problem: () => {
        for (const [i, row] of rows().entries()) {
          if (!field(row, "name").value.trim()) return { message: t("desk.need_co_name", { who: who(i) }), input: field(row, "name") };
          const idBox = field(row, "id_number");
          if (!idBox.value.trim() || !checkId(idBox, row.querySelector(".co-id-status"), true)) {
            return { message: t("desk.need_co_id", { who: who(i) }), input: idBox };
          }
          if (!field(row, "mobile").value.trim()) return { message: t("desk.need_co_mobile", { who: who(i) }), input: field(row, "mobile") };
        }
        return null;
      },
      values: () => rows().map((row) => {
        const buyer = { name: field(row, "name").value.trim(), id_number: field(row, "id_number").value,
                        mobile: field(row, "mobile").value, main: false, key: row.dataset.key };
        if (field(row, "relation").value) buyer.relation = field(row, "relation").value;
        return buyer;
      }),
    };
  }

  // Live capture: only when the person at the desk presses "capture": a liveness challenge
  // (活体检测, liveness.js) asked of the server for this clerk, its head movements prompted one
  // by one while frames are taken; shown as a preview; the camera stops right after. The
  // challenge serves this one buyer's frames.
  function setUpCamera(office, challenged) {
    const video = document.getElementById("desk-video");
    const preview = document.getElementById("desk-preview");
    const onButton = document.getElementById("camera-on");
    const captureButton = document.getElementById("capture");
    const discardButton = document.getElementById("discard");
    const status = document.getElementById("capture-status");
    const panel = document.getElementById("desk-liveness");
    const state = { frames: [], times: [], steps: [], challenge: null, stream: null, clear };

    function stop() {
      if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
      state.stream = null;
      video.srcObject = null;
      show(video, false);
      captureButton.disabled = true;
    }

    function clear() {
      stop();
      state.frames = [];
      state.times = [];
      state.steps = [];
      state.challenge = null;
      panel.hidden = true;
      preview.removeAttribute("src");
      show(preview, false);
      show(discardButton, false);
      status.textContent = t("desk.capture_none");
    }

    onButton.addEventListener("click", async () => {
      try {
        state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      } catch (e) {
        status.textContent = t("desk.camera_failed");
        return;
      }
      video.srcObject = state.stream;
      show(video, true);
      show(preview, false);
      await video.play();
      captureButton.disabled = false;
      captureButton.focus();
      status.textContent = t("desk.camera_ready");
    });

    const grab = () => keyuan.camera.grab(video, 0.85);
    // Without a challenge (the office does not ask for one): three frames a moment apart.
    const still = () => keyuan.camera.shots(grab, 3, 150);

    captureButton.addEventListener("click", async () => {
      captureButton.disabled = true;
      let shots, challenge = { challenge_id: undefined };
      try {
        if (challenged) {
          challenge = await api(
            "POST", `/api/offices/${encodeURIComponent(office)}/desk/liveness-challenges`);
          shots = await keyuan.liveness.run(panel, video, challenge.steps, grab);
        } else {
          shots = await still();
        }
      } catch (err) {
        clear();
        status.textContent = keyuan.liveness.words(err) || explain(err);
        onButton.focus();
        return;
      }
      stop();
      panel.hidden = true;
      state.frames = shots.frames;
      state.times = shots.frame_times_ms;
      state.steps = shots.frame_steps;
      state.challenge = challenge.challenge_id;
      preview.src = shots.frames[0];
      show(preview, true);
      show(discardButton, true);
      status.textContent = t("desk.capture_done", { count: shots.frames.length });
      onButton.focus();
    });

    discardButton.addEventListener("click", () => { clear(); onButton.focus(); });
    return state;
  }

  const reviewForm = document.getElementById("manager-review");
  if (reviewForm) setUpReview(reviewForm);

  // A manager's review from the card (the dashboard's review queue opens this page).
  function setUpReview(reviewForm) {
    const alert = document.getElementById("review-alert");
    reviewForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = document.getElementById("manager_reason").value.trim();
      if (!reason) { say(alert, t("desk.need_reason")); document.getElementById("manager_reason").focus(); return; }
      const choice = reviewForm.querySelector("input[name=choice]:checked").value;
      const body = { reason, confirm: choice === "confirm" };
      if (!["confirm", "natural"].includes(choice)) body.registration_id = choice;
      try {
        await api("POST", `/api/signings/${encodeURIComponent(reviewForm.dataset.signing)}/review`, body);
        location.reload();
      } catch (err) {
        say(alert, explain(err));
      }
    });
  }

  function setUpSend(sendForm) {
    const alert = document.getElementById("send-alert");
    sendForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = document.getElementById("review_reason").value.trim();
      if (!reason) { say(alert, t("desk.need_reason")); document.getElementById("review_reason").focus(); return; }
      try {
        await api("POST", `/api/signings/${encodeURIComponent(sendForm.dataset.signing)}/send-to-review`, { reason });
        location.reload();
      } catch (err) {
        say(alert, explain(err));
      }
    });
  }
})();
