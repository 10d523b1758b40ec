// 月度结算 (finance): create a statement for the picked channel, approve it, mark it paid, void
// it, decide an open dispute — each through the staff API; a change reloads the page to show
// what the server stored. A refusal is shown in words under the card, the page stays.
"use strict";
(() => {
  const root = document.getElementById("finance-statements");
  if (!root) return;

  // A Beijing calendar day's start as an ISO time; the period's end is the day after "to".
  const DAY = 86400000;
  const start = (day) => `${day}T00:00:00+08:00`;
  const after = (day) => new Date(Date.parse(start(day)) + DAY).toISOString();

  const create = document.getElementById("create-statement");
  if (create) {
    create.addEventListener("submit", (event) => {
      event.preventDefault();
      const msg = create.querySelector(".alert");
      const from = create.elements.from.value;
      const to = create.elements.to.value;
      if (!from || !to) {
        keyuan.say(msg, keyuan.t("finance.period_missing"), "bad");
        return;
      }
      const channel = encodeURIComponent(create.dataset.channel);
      keyuan.act(create.querySelector("button[type=submit]"), msg, () => keyuan.api(
        "POST", `/api/channels/${channel}/statements`,
        { period_start: start(from), period_end: after(to) }));
    });
  }

  for (const card of root.querySelectorAll("[data-statement]")) {
    const id = encodeURIComponent(card.dataset.statement);
    const msg = card.querySelector(":scope > .alert");
    for (const button of card.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", () => {
        const action = button.dataset.action;
        if (action === "void") {
          const reason = prompt(keyuan.t("finance.void_prompt"));
          if (!reason || !reason.trim()) return;
          keyuan.act(button, msg, () => keyuan.api("POST", `/api/statements/${id}/void`,
                                            { reason: reason.trim() }));
          return;
        }
        keyuan.act(button, msg, () => keyuan.api("POST", `/api/statements/${id}/${action}`));
      });
    }
    for (const form of card.querySelectorAll("form[data-dispute]")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const button = event.submitter;
        const fmsg = form.querySelector(".alert");
        const reason = form.elements.reason.value.trim();
        if (!reason) {
          keyuan.say(fmsg, keyuan.t("finance.reason_missing"), "bad");
          return;
        }
        keyuan.act(button, fmsg, () => keyuan.api(
          "POST", `/api/disputes/${encodeURIComponent(form.dataset.dispute)}/decision`,
          { upheld: button.value === "true", reason }));
      });
    }
  }
})();
