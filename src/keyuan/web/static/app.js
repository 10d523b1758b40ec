// keyuan pages: the few helpers every page shares. Plain JS, no framework.
"use strict";
const keyuan = (() => {
  const strings = JSON.parse(document.getElementById("i18n")?.textContent || "{}");
  const t = (key, values) => {
    let text = strings[key] ?? key;
    for (const [name, value] of Object.entries(values || {})) text = text.replaceAll(`{${name}}`, value);
    return text;
  };
  const cookie = (name) => {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  };
  const lang = document.documentElement.lang || "zh-CN";

  // The JSON API, as any client calls it: cookie session + X-CSRF-Token on unsafe methods.
  async function api(method, url, body, headers) {
    const init = { method, headers: { Accept: "application/json", ...(headers || {}) },
                   credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (!["GET", "HEAD"].includes(method)) {
      const csrf = cookie("keyuan_csrf");
      if (csrf) init.headers["X-CSRF-Token"] = csrf;
    }
    let response;
    try { response = await fetch(url, init); } catch (e) {
      throw { status: 0, error: "network", message: t("errors.network") };
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const err = typeof data === "object" && data ? data : {};
      throw { status: response.status, error: err.error || "generic", message: err.message || "",
              details: err.details, reason: err.reason };
    }
    return data;
  }

  // The catalog's wording for an error code when it has one, else the server's message; a
  // refused liveness check says which check (`liveness.<reason>`, on pages that load them).
  function explain(err) {
    const live = "liveness." + err.reason;
    if (err.error === "not_live" && live in strings) return t(live);
    const key = "errors." + (err.error || "generic");
    if (key in strings) return t(key);
    return err.message || t("errors.generic");
  }

  function say(el, text, kind) {
    if (typeof el === "string") el = document.getElementById(el);
    el.textContent = text || "";
    el.className = "alert " + (kind || "bad");
    if (text) el.setAttribute("role", kind === "good" ? "status" : "alert");
  }

  function fail(el, err) { say(el, explain(err), "bad"); }

  // A button's request: "loading…" under it, then `after(answer)` (default: reload to show what
  // the server stored); a refusal is shown in words (`words(err)`, default `explain`) and the
  // button is given back.
  async function act(button, msg, send, after, words) {
    button.disabled = true;
    say(msg, t("common.loading"), "good");
    try {
      const answer = await send();
      say(msg, "", "good");
      (after || (() => location.reload()))(answer);
    } catch (err) {
      say(msg, (words || explain)(err), "bad");
      button.disabled = false;
    }
  }

  function show(id, on = true) {
    const el = typeof id === "string" ? document.getElementById(id) : id;
    el.hidden = !on;
    return el;
  }

  // A form's fields as an object (checkboxes as booleans, empty strings dropped).
  function fields(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.type === "checkbox") out[el.name] = el.checked;
      else if (el.value !== "") out[el.name] = el.value;
    }
    return out;
  }

  // Each body cell of a `.cards-on-phone` table gets its column's header as data-label (the
  // card's "label: value" line on a phone). Call again after filling a table from the API.
  function cardLabels(table) {
    if (typeof table === "string") table = document.getElementById(table);
    const heads = [...(table.tHead?.rows[0]?.cells || [])].map((th) => th.textContent.trim());
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        [...row.cells].forEach((c, i) => {
          if (!c.hasAttribute("data-label") && heads[i]) c.dataset.label = heads[i];
        });
      }
    }
  }
  document.querySelectorAll("table.cards-on-phone").forEach(cardLabels);

  document.getElementById("logout")?.addEventListener("click", async () => {
    try { await api("POST", "/api/auth/logout"); } finally { location.href = "/"; }
  });

  return { t, api, explain, say, fail, act, show, fields, cookie, lang, cardLabels };
})();
