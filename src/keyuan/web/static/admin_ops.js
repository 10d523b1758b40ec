// Admin workspace, daily operation (notices, cameras): changes go through the JSON API; a
// change reloads the page to show what the server stored, a refusal is shown in words under
// the control that asked (the typed values stay).
"use strict";
(() => {
  async function run(button, msg, send, after) {
    button.disabled = true;
    keyuan.say(msg, keyuan.t("common.loading"), "good");
    try {
      const answer = await send();
      keyuan.say(msg, "", "good");
      (after || (() => location.reload()))(answer);
    } catch (err) {
      keyuan.fail(msg, err);
      button.disabled = false;
    }
  }

  function alertOf(el) { return el.closest(".card, #stale-uses").querySelector(".alert"); }

  const notices = document.getElementById("notices-admin");
  if (notices) {
    const office = encodeURIComponent(notices.dataset.office);
    for (const form of notices.querySelectorAll("form.draft-form")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const text = {};
        for (const area of form.querySelectorAll("textarea")) text[area.name] = area.value;
        run(form.querySelector("button[type=submit]"), form.querySelector(".alert"),
            () => keyuan.api("POST", `/api/offices/${office}/notices`,
                             { language: form.dataset.language, text }));
      });
    }
    for (const button of notices.querySelectorAll("button[data-publish]")) {
      button.addEventListener("click", () => {
        if (!confirm(keyuan.t("ops.publish_confirm"))) return;
        run(button, alertOf(button),
            () => keyuan.api("POST", `/api/notices/${encodeURIComponent(button.dataset.publish)}/publish`));
      });
    }
    const republish = document.getElementById("republish");
    republish?.addEventListener("click", () => {
      run(republish, alertOf(republish),
          () => keyuan.api("POST", `/api/offices/${office}/notices/republish`));
    });
  }
})();
