// Distributor portal (渠道报备): register a customer, follow each claim's status, statements and
// disputes. Reads and writes only the distributor JSON API (no biometric field there, C21).
"use strict";
(() => {
  const t = keyuan.t;
  const TZ = "Asia/Shanghai";
  // Mirrors domain.registration.parse_claimed_mobile: 11 digits (13-19), or 前三后四 masked.
  const FULL = /^(\+86|0086)?1[3-9]\d{9}$/;
  const MASKED = /^1[3-9]\d\*{4}\d{4}$/;

  // The portal's own wording for an error code first, then the shared catalog's. A duplicate
  // 报备 says when the channel registered the customer (its own earlier registration).
  function explain(err) {
    const key = `channel.err_${err.error || "generic"}`;
    const date = when(err.details && err.details.created_at);
    return t(key) !== key ? t(key, { date }) : keyuan.explain(err);
  }
  function fail(el, err) { keyuan.say(el, explain(err), "bad"); }

  function when(iso, withTime = true) {
    if (!iso) return "";
    const opts = withTime ? { dateStyle: "medium", timeStyle: "short", timeZone: TZ }
                          : { dateStyle: "medium", timeZone: TZ };
    return new Intl.DateTimeFormat(keyuan.lang, opts).format(new Date(iso));
  }
  const yuan = (fen) => (fen / 100).toLocaleString(keyuan.lang, { minimumFractionDigits: 2 });

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function reason(code) {
    const key = `channel.reason_${code}`;
    return t(key) !== key ? t(key) : t("channel.reason_other");
  }

  // A claim's status in words: [tag text, tag kind, detail].
  function status(c) {
    if (c.outcome === "won") return [t("channel.status_signed"), "good", t("channel.detail_signed")];
    if (c.status === "lost") return [t("channel.status_lost"), "bad", reason(c.lost_reason)];
    if (c.status === "awaiting_visit") {
      return [t("channel.status_awaiting"), "wait",
              t("channel.detail_awaiting", { date: when(c.visit_by) })];
    }
    if (c.status === "valid") {
      return [t("channel.status_protected"), "good",
              t("channel.detail_protected", { visited: when(c.visited_at),
                                               date: when(c.protected_until, false) })];
    }
    return [t("channel.status_invalid"), "bad", reason(c.status)];
  }

  // --- the portal page ---
  const portal = document.getElementById("channel");
  if (portal) {
    const channel = portal.dataset.channel;
    const base = `/api/channels/${encodeURIComponent(channel)}`;
    const form = document.getElementById("register");
    const msg = document.getElementById("register-msg");

    // The page's own query (?name=…&last4=…&status=…&since=…&until=…&st_status=…&period=…):
    // the server applies the search; these pick the parameters for each list.
    const query = new URLSearchParams(location.search);
    const pick = (pairs) => {
      const out = new URLSearchParams();
      for (const [param, key] of pairs) if (query.get(key)) out.set(param, query.get(key));
      const text = out.toString();
      return text ? `?${text}` : "";
    };
    const claimQuery = pick([["name", "name"], ["last4", "last4"], ["status", "status"],
                             ["since", "since"], ["until", "until"]]);
    const statementQuery = pick([["status", "st_status"], ["period", "period"]]);

    // Checks that mirror the server's before the page reloads with the search.
    document.getElementById("claims-filter").addEventListener("submit", (event) => {
      const last4 = document.getElementById("f-last4");
      const since = document.getElementById("f-since").value;
      const until = document.getElementById("f-until").value;
      let problem = null;
      if (last4.value && !/^[0-9]{4}$/.test(last4.value)) problem = [last4, t("channel.check_last4")];
      else if (since && until && since > until) {
        problem = [document.getElementById("f-since"), t("channel.check_dates")];
      }
      if (problem) {
        event.preventDefault();
        problem[0].setAttribute("aria-invalid", "true");
        problem[0].focus();
        keyuan.say("claims-msg", problem[1], "bad");
      }
    });

    async function loadClaims() {
      const table = document.getElementById("claims");
      try {
        const claims = await keyuan.api("GET", `${base}/registrations${claimQuery}`);
        const body = table.tBodies[0];
        body.replaceChildren();
        claims.sort((a, b) => b.created_at.localeCompare(a.created_at));
        for (const c of claims) {
          const row = body.insertRow();
          row.dataset.registration = c.registration_id;
          cell(row, c.customer_name);
          cell(row, c.masked_mobile);
          cell(row, when(c.created_at));
          const [label, kind, detail] = status(c);
          const tag = document.createElement("span");
          tag.className = "tag " + kind;
          tag.textContent = label;
          row.insertCell().append(tag);
          const said = cell(row, detail);
          if (c.status === "awaiting_visit" && keyuan.escortOffer) keyuan.escortOffer(said, c, channel);
        }
        keyuan.cardLabels(table);
        keyuan.show(table, claims.length > 0);
        keyuan.show("claims-empty", claims.length === 0);
        document.getElementById("claims-found").textContent =
          claimQuery && claims.length ? t("channel.search_found", { n: claims.length }) : "";
        keyuan.say("claims-msg", "");
      } catch (err) { fail("claims-msg", err); }
    }

    async function loadStatements() {
      const table = document.getElementById("statements");
      if (!table) return;
      try {
        const list = await keyuan.api("GET", `${base}/statements${statementQuery}`);
        const body = table.tBodies[0];
        body.replaceChildren();
        for (const s of list.reverse()) {
          const row = body.insertRow();
          cell(row, t("channel.period", { start: when(s.period_start, false),
                                          end: when(s.period_end, false) }));
          cell(row, t(`channel.st_${s.status}`));
          cell(row, yuan(s.total_fen), "num");
          const link = document.createElement("a");
          link.href = `/channel/${encodeURIComponent(channel)}/statements/${encodeURIComponent(s.statement_id)}`;
          link.textContent = t("channel.open");
          const open = row.insertCell();
          open.dataset.label = "";  // the link says what it does; no "label:" on the card
          open.append(link);
        }
        keyuan.cardLabels(table);
        keyuan.show(table, list.length > 0);
        keyuan.show("statements-empty", list.length === 0);
      } catch (err) { fail("statements-msg", err); }
    }

    // Client-side checks mirror the API's; the server still has the last word.
    function check(data) {
      const name = (data.customer_name || "").trim();
      const mobile = (data.mobile || "").replace(/[\s-]/g, "");
      if (!name || name.length > 50) return ["customer_name", t("channel.check_name")];
      if (!FULL.test(mobile) && !MASKED.test(mobile)) return ["mobile", t("channel.check_mobile")];
      return null;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = keyuan.fields(form);
      for (const el of form.elements) el.removeAttribute?.("aria-invalid");
      const problem = check(data);
      if (problem) {
        document.getElementById(problem[0]).setAttribute("aria-invalid", "true");
        document.getElementById(problem[0]).focus();
        keyuan.say(msg, problem[1], "bad");
        return;
      }
      const body = { customer_name: data.customer_name.trim(), mobile: data.mobile.trim() };
      if (data.expected_visit_at) body.expected_visit_at = data.expected_visit_at + ":00+08:00";
      try {
        const r = await keyuan.api("POST", `${base}/registrations`, body);
        if (r.conflict) {  // recorded but marked at once (the office's policy): not a success
          keyuan.say(msg, t(`channel.marked_${r.conflict}`), "bad");
        } else {
          keyuan.say(msg, t("channel.registered", { name: r.customer_name,
                                                    mobile: r.masked_mobile }), "good");
        }
        form.reset();
        await loadClaims();
      } catch (err) { fail(msg, err); }
    });
    document.getElementById("refresh").addEventListener("click", loadClaims);
    loadClaims();
    loadStatements();
  }

  // --- one statement and its dispute form ---
  const page = document.getElementById("statement-page");
  if (page) {
    const channel = page.dataset.channel;
    const statement = page.dataset.statement;
    const form = document.getElementById("dispute");
    const msg = document.getElementById("dispute-msg");

    // 门店/团队 subtotals of a company with teams (the company's own line first; none without).
    function showTeams(subs) {
      const table = document.getElementById("team-lines");
      for (const sub of subs) {
        const row = table.tBodies[0].insertRow();
        row.dataset.teamLine = sub.team_id || "";
        cell(row, sub.label || t("channel.team_company")).style.paddingLeft = `${sub.depth}rem`;
        cell(row, t("channel.team_deals", { n: sub.deals, amount: yuan(sub.own_fen) }), "num");
        cell(row, t("channel.team_deals", { n: sub.subtree_deals, amount: yuan(sub.subtree_fen) }),
             "num");
      }
      keyuan.cardLabels(table);
      keyuan.show("team-lines-box", subs.length > 0);
    }

    async function load() {
      try {
        const s = await keyuan.api("GET", `/api/statements/${encodeURIComponent(statement)}`);
        document.getElementById("statement-head").textContent =
          t("channel.period", { start: when(s.period_start, false), end: when(s.period_end, false) })
          + " · " + t(`channel.st_${s.status}`);
        const table = document.getElementById("lines");
        const select = document.getElementById("dispute_line");
        for (const line of s.lines) {
          const row = table.tBodies[0].insertRow();
          cell(row, when(line.signed_at, false));
          cell(row, line.contract_price_fen == null ? "" : yuan(line.contract_price_fen), "num");
          cell(row, line.rule);
          cell(row, yuan(line.amount_fen), "num");
          if (line.signing_id) {
            const option = new Option(`${when(line.signed_at, false)} · ${yuan(line.amount_fen)}`,
                                      line.signing_id);
            select.append(option);
          }
        }
        keyuan.cardLabels(table);
        keyuan.show(table, s.lines.length > 0);
        document.getElementById("statement-total").textContent =
          t("channel.total", { total: yuan(s.total_fen) });
        showTeams(s.teams || []);
      } catch (err) { fail("statement-msg", err); }
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = keyuan.fields(form);
      if (!(data.reason || "").trim()) {
        document.getElementById("dispute_reason").focus();
        keyuan.say(msg, t("channel.check_reason"), "bad");
        return;
      }
      const body = { reason: data.reason.trim() };
      if (data.signing_id) body.signing_id = data.signing_id;
      try {
        await keyuan.api("POST", `/api/channels/${encodeURIComponent(channel)}/statements/`
                         + `${encodeURIComponent(statement)}/disputes`, body);
        keyuan.say(msg, t("channel.dispute_sent"), "good");
        form.reset();
      } catch (err) { fail(msg, err); }
    });
    load();
  }
})();
