// Visitor portal (我的数据, C19): receipt code (回执编号) → code to the mobile on file → a 30-minute token,
// kept in sessionStorage only; then the data, export, withdrawal and deletion via the rights API.
"use strict";
(() => {
  const t = keyuan.t;
  const TOKEN = "keyuan_rights_token";
  const RECEIPT = "keyuan_rights_receipt";
  const msg = document.getElementById("portal-msg");
  const $ = (id) => document.getElementById(id);

  function explain(err) {
    const key = `portal.err_${err.error || "generic"}`;
    return t(key) !== key ? t(key) : keyuan.explain(err);
  }
  function fail(err) {
    if (err.error === "rights_access_denied") return restart(t("portal.session_over"));
    keyuan.say(msg, explain(err), "bad");
  }
  const when = (iso) => iso ? new Intl.DateTimeFormat(keyuan.lang, {
    dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" }).format(new Date(iso)) : "";
  const tr = (prefix, code) => {
    const key = `portal.${prefix}_${code}`;
    return t(key) !== key ? t(key) : code;
  };
  const token = () => sessionStorage.getItem(TOKEN);
  const rights = (method, url) => keyuan.api(method, url, undefined, { "X-Rights-Token": token() });

  function step(name) {
    keyuan.show("step-receipt", name === "receipt");
    keyuan.show("step-code", name === "code");
    keyuan.show("my-data", name === "data");
    keyuan.show("deleted", name === "deleted");
  }

  function restart(text) {
    sessionStorage.removeItem(TOKEN);
    step("receipt");
    keyuan.say(msg, text || "", "bad");
    $("receipt_id").focus();
  }

  function list(id, items, empty) {
    const ul = $(id);
    ul.replaceChildren();
    for (const text of items.length ? items : [empty]) {
      const li = document.createElement("li");
      li.textContent = text;
      ul.append(li);
    }
  }

  // A table of records (one row per consent, visit, decision or request): a card on a phone.
  function records(id, rows) {
    const table = $(id);
    table.tBodies[0].replaceChildren();
    for (const cells of rows) {
      const row = table.tBodies[0].insertRow();
      for (const text of cells) row.insertCell().textContent = text;
    }
    keyuan.cardLabels(table);
    keyuan.show(table, rows.length > 0);
    keyuan.show(`${id}-none`, rows.length === 0);
  }

  // One side of a bilingual server line "中文 — English" (what the law keeps, and why).
  const side = (line) => {
    const parts = line.split(" — ");
    return parts.length === 2 ? parts[keyuan.lang === "en" ? 1 : 0] : line;
  };

  function show(d) {
    $("d-name").textContent = d.person.name || t("common.none");
    $("d-mobile").textContent = d.person.mobile || t("common.none");
    $("d-since").textContent = when(d.person.since);
    $("d-pseudonym").textContent = d.person.pseudonym;
    records("d-consents", d.consents.map((c) => [tr("consent", c.scope), when(c.given_at),
      c.withdrawn_at ? t("portal.consent_withdrawn", { at: when(c.withdrawn_at) })
                     : t("portal.consent_active")]));
    $("d-template").textContent = d.face_template.held
      ? t("portal.template_held", { since: when(d.face_template.since) }) : t("portal.template_none");
    records("d-visits", d.visits.map((v) => [when(v.at), tr("method", v.method)]));
    records("d-decisions", d.attribution_decisions.map((x) => {
      const credited = x.credited_to.kind === "natural" || !x.credited_to.name
        ? t("portal.credited_natural") : x.credited_to.name;
      let reasons = x.reason_codes.map((code) => t("reasons." + code)).join("；");
      if (x.review.reviewed_at) reasons += (reasons ? " · " : "") + t("portal.decision_reviewed");
      return [when(x.signed_at), credited, reasons || t("common.none")];
    }));
    records("d-requests", d.requests.map((r) => [tr("kind", r.kind), tr("status", r.status)]));
    const active = d.consents.some((c) => !c.withdrawn_at);
    $("withdraw").disabled = !active;
    keyuan.show("withdraw-none", !active);
    step("data");
  }

  async function loadData() {
    try { show(await rights("GET", "/api/rights/me")); } catch (err) { fail(err); }
  }

  // --- step 1 and 2: receipt id, code ---
  $("receipt-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    // 回执编号 as typed (any case, dashes, spaces, full-width); the server reads it generously
    const receipt = $("receipt_id").value.normalize("NFKC").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9_-]{8,32}$/.test(receipt)) {
      $("receipt_id").setAttribute("aria-invalid", "true");
      return keyuan.say(msg, t("portal.check_receipt"), "bad");
    }
    $("receipt_id").removeAttribute("aria-invalid");
    try {
      const sent = await keyuan.api("POST", "/api/rights/code", { receipt_id: receipt });
      sessionStorage.setItem(RECEIPT, receipt);
      keyuan.say(msg, "");
      $("code-sent").textContent = t("portal.code_sent", { mobile: sent.masked_mobile });
      step("code");
      $("code").focus();
    } catch (err) { fail(err); }
  });

  $("code-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (!/^\d{6}$/.test(code)) {
      $("code").setAttribute("aria-invalid", "true");
      return keyuan.say(msg, t("portal.check_code"), "bad");
    }
    $("code").removeAttribute("aria-invalid");
    try {
      const access = await keyuan.api("POST", "/api/rights/verify",
        { receipt_id: sessionStorage.getItem(RECEIPT), code });
      sessionStorage.setItem(TOKEN, access.token);
      $("code").value = "";
      keyuan.say(msg, "");
      await loadData();
      $("data-title").focus();
    } catch (err) { fail(err); }
  });
  $("other-receipt").addEventListener("click", () => restart(""));

  // --- export: the JSON copy as a download; the readable copy in a new tab ---
  function open(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    if (filename) a.download = filename; else a.target = "_blank";
    a.rel = "noopener";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  $("export-json").addEventListener("click", async () => {
    try {
      const data = await rights("GET", "/api/rights/me/export");
      open(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }), "my-data.json");
    } catch (err) { fail(err); }
  });
  $("export-html").addEventListener("click", async () => {
    try {
      const html = await rights("GET", `/api/rights/me/export.html?lang=${keyuan.lang}`);
      open(new Blob([html], { type: "text/html" }));
    } catch (err) { fail(err); }
  });

  // --- withdraw and delete: a confirm step in the page (no window.confirm) ---
  function confirmStep(button, panel, yes, no, action) {
    $(button).addEventListener("click", () => { keyuan.show(panel, true); $(yes).focus(); });
    $(no).addEventListener("click", () => { keyuan.show(panel, false); $(button).focus(); });
    $(yes).addEventListener("click", async () => {
      $(yes).disabled = true;
      try { await action(); } catch (err) { fail(err); } finally {
        $(yes).disabled = false;
        keyuan.show(panel, false);
      }
    });
  }

  confirmStep("withdraw", "withdraw-confirm", "withdraw-yes", "withdraw-no", async () => {
    await rights("POST", "/api/rights/me/withdraw");
    await loadData();
    keyuan.say(msg, t("portal.withdrawn"), "good");
    $("withdraw-title").scrollIntoView();
  });

  confirmStep("delete", "delete-confirm", "delete-yes", "delete-no", async () => {
    const done = await rights("POST", "/api/rights/me/delete");
    sessionStorage.removeItem(TOKEN);
    const deleted = (done.detail.deleted || []).map((item) => {
      const visits = /^(\d+) visit records$/.exec(item);
      if (visits) return t("portal.deleted_visits", { count: visits[1] });
      return { "face template": t("portal.deleted_face_template"), "name": t("portal.deleted_name"),
               "mobile number and its hash": t("portal.deleted_mobile") }[item] || item;
    });
    list("deleted-list", deleted, t("common.none"));
    list("kept-list", (done.detail.kept || []).map(side), t("common.none"));
    keyuan.say(msg, "");
    step("deleted");
    $("deleted-title").focus();
  });
  $("start-over").addEventListener("click", () => restart(""));

  // A token from earlier in this tab: straight to the data (it may have expired).
  if (token()) loadData(); else step("receipt");
})();
