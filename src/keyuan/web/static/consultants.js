// 置业顾问 on the reception workspace: assign a consultant to one of today's visits — the next
// available one in the office's queue (轮排) or one chosen —, reassign an assigned visit to
// another consultant (with the reason), move consultants up or down the queue and mark them
// away or back for the day. Today's visits come from reception.js's poll (the "today" event).
"use strict";
(() => {
  const root = document.getElementById("reception");
  const box = document.getElementById("consultants");
  if (!root || !box) return;
  const t = keyuan.t;
  const $ = (id) => document.getElementById(id);
  const office = encodeURIComponent(root.dataset.office);
  const clock = new Intl.DateTimeFormat(keyuan.lang, {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
  const explain = (err) => {
    const key = "reception.err_" + (err.error || "");
    const text = t(key);
    return text === key ? keyuan.explain(err) : text;
  };
  const option = (value, text) => {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  };

  function fill(select, visits, text, none) {
    const kept = select.value;
    select.replaceChildren(...visits.map((v) => option(v.visit_id, text(v))));
    if (!visits.length) select.append(option("", t(none)));
    if (visits.some((v) => v.visit_id === kept)) select.value = kept;
  }

  let holders = new Map();  // visit id → the consultant shown on it (for 改派's check)

  function fillVisits(visits) {
    holders = new Map(visits.map((v) => [v.visit_id, v.consultant]));
    const kind = (v) => t(v.first_visit ? "consultant.first_visit" : "consultant.return_visit");
    const at = (v) => clock.format(new Date(v.at));
    const mobile = (v) => v.masked_mobile || t("consultant.no_mobile");
    fill($("assign-visit"), visits.filter((v) => !v.consultant), (v) => t(
      "consultant.visit_option", { at: at(v), mobile: mobile(v), kind: kind(v) }),
    "consultant.assign_none");
    fill($("reassign-visit"), visits.filter((v) => v.consultant), (v) => t(
      "consultant.visit_of", { at: at(v), mobile: mobile(v), name: v.consultant }),
    "consultant.reassign_none");
  }

  function moveButton(c, place, key) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary move";
    button.textContent = t(key + "_short");
    button.setAttribute("aria-label", t(key, { name: c.username }));
    button.addEventListener("click", () => keyuan.act(button, "assign-alert", () => keyuan.api(
      "PUT", `/api/offices/${office}/consultants/${encodeURIComponent(c.consultant_id)}/place`,
      { place }), () => loadQueue(), explain));
    return button;
  }

  function queueItem(c, index, all) {
    const li = document.createElement("li");
    li.dataset.consultant = c.consultant_id;
    li.append(c.username);
    if (c.away_today) {
      const tag = document.createElement("span");
      tag.className = "tag bad";
      tag.textContent = t("consultant.away_tag");
      li.append(" ", tag);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = t(c.away_today ? "consultant.mark_back" : "consultant.mark_away");
    button.addEventListener("click", () => keyuan.act(button, "assign-alert", () => keyuan.api(
      "PUT", `/api/offices/${office}/consultants/${encodeURIComponent(c.consultant_id)}/away`,
      { away: !c.away_today }), loadQueue, explain));
    li.append(" ", button);
    if (index > 0) li.append(" ", moveButton(c, index, "consultant.move_up"));
    if (index < all.length - 1) li.append(" ", moveButton(c, index + 2, "consultant.move_down"));
    return li;
  }

  async function loadQueue() {
    try {
      const q = await keyuan.api("GET", `/api/offices/${office}/consultants`);
      $("queue-list").replaceChildren(...q.consultants.map(queueItem));
      $("queue-next").textContent = !q.consultants.length ? t("consultant.queue_empty")
        : q.up_next ? t("consultant.queue_next", { name: q.up_next }) : t("consultant.queue_nobody");
      for (const who of [$("assign-who"), $("reassign-who")]) {
        const kept = who.value;
        who.replaceChildren(...q.consultants.filter((c) => !c.away_today)
          .map((c) => option(c.consultant_id, c.username)));
        if ([...who.options].some((o) => o.value === kept)) who.value = kept;
      }
    } catch (err) {
      $("queue-next").textContent = explain(err);
    }
  }

  function assign(button, body) {
    const visit = $("assign-visit").value;
    if (!visit) {
      keyuan.say("assign-alert", t("consultant.assign_none"), "bad");
      return;
    }
    keyuan.act(button, "assign-alert", () => keyuan.api(
      "POST", `/api/offices/${office}/visits/${encodeURIComponent(visit)}/consultant`, body),
    (done) => {
      const how = done.how === "queue" ? t("consultant.how_queue", { turn: done.turn })
        : t("consultant.how_chosen");
      keyuan.say("assign-alert", t("consultant.assigned", { name: done.consultant, how }), "good");
      button.disabled = false;
      loadQueue();
      root.dispatchEvent(new CustomEvent("refresh"));
    }, (err) => { loadQueue(); return explain(err); });
  }

  function reassign() {
    const visit = $("reassign-visit").value;
    const button = $("reassign-go");
    if (!visit) {
      keyuan.say("reassign-alert", t("consultant.reassign_none"), "bad");
      return;
    }
    keyuan.act(button, "reassign-alert", () => keyuan.api(
      "POST", `/api/offices/${office}/visits/${encodeURIComponent(visit)}/consultant/reassign`,
      { consultant_id: $("reassign-who").value, reason: $("reassign-reason").value,
        from_consultant: holders.get(visit) || null }),
    (done) => {
      keyuan.say("reassign-alert", t("consultant.reassigned", {
        name: done.consultant, from: done.reassigned_from }), "good");
      button.disabled = false;
      root.dispatchEvent(new CustomEvent("refresh"));
    }, (err) => { loadQueue(); return explain(err); });
  }

  root.addEventListener("today", (event) => fillVisits(event.detail.visits));
  $("reassign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    reassign();
  });
  $("assign-next").addEventListener("click", (event) => assign(event.currentTarget, { queue: true }));
  $("assign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    assign($("assign-chosen"), { consultant_id: $("assign-who").value });
  });
  loadQueue();
})();
