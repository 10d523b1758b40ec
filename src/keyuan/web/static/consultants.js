// 置业顾问 on the reception workspace: assign a consultant to one of today's visits — the next
// available one in the office's queue (轮排) or one chosen — and mark consultants away or back
// for the day. Today's visits come from reception.js's poll (the "today" event).
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

  function fillVisits(visits) {
    const select = $("assign-visit");
    const kept = select.value;
    const waiting = visits.filter((v) => !v.consultant);
    const kind = (v) => t(v.first_visit ? "consultant.first_visit" : "consultant.return_visit");
    select.replaceChildren(...waiting.map((v) => option(v.visit_id, t("consultant.visit_option", {
      at: clock.format(new Date(v.at)), mobile: v.masked_mobile || t("consultant.no_mobile"),
      kind: kind(v) }))));
    if (!waiting.length) select.append(option("", t("consultant.assign_none")));
    if (waiting.some((v) => v.visit_id === kept)) select.value = kept;
  }

  function queueItem(c) {
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
    return li;
  }

  async function loadQueue() {
    try {
      const q = await keyuan.api("GET", `/api/offices/${office}/consultants`);
      $("queue-list").replaceChildren(...q.consultants.map(queueItem));
      $("queue-next").textContent = !q.consultants.length ? t("consultant.queue_empty")
        : q.up_next ? t("consultant.queue_next", { name: q.up_next }) : t("consultant.queue_nobody");
      const who = $("assign-who");
      const kept = who.value;
      who.replaceChildren(...q.consultants.filter((c) => !c.away_today)
        .map((c) => option(c.consultant_id, c.username)));
      if ([...who.options].some((o) => o.value === kept)) who.value = kept;
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

  root.addEventListener("today", (event) => fillVisits(event.detail.visits));
  $("assign-next").addEventListener("click", (event) => assign(event.currentTarget, { queue: true }));
  $("assign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    assign($("assign-chosen"), { consultant_id: $("assign-who").value });
  });
  loadQueue();
})();
