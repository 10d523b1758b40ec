// Admin workspace (管理员): accounts and channels through /api/admin/…. A change reloads the
// page to show what the server stored; a temporary password is shown once, before any reload.
"use strict";
(() => {
  async function run(button, msg, send, after) {
    button.disabled = true;
    keyuan.say(msg, keyuan.t("common.loading"), "good");
    try {
      const answer = await send();
      keyuan.say(msg, "", "good");
      after(answer);
    } catch (err) {
      keyuan.fail(msg, err);
      button.disabled = false;
    }
  }

  // A form posts its fields as JSON; the server's refusal is shown under it, the typed values
  // stay. `after` runs with the answer (default: reload).
  function wire(form, send, after) {
    const msg = form.querySelector(".alert");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(form.querySelector("button[type=submit]"), msg, () => send(form),
          after || (() => location.reload()));
    });
  }

  function showPassword(answer, key) {
    const box = document.getElementById("temporary-password");
    document.getElementById("temporary-password-text").textContent =
      keyuan.t(key, { name: answer.account.username });
    document.getElementById("temporary-password-value").textContent = answer.temporary_password;
    keyuan.show(box);
    box.scrollIntoView({ block: "center" });
    box.querySelector("button").focus();
  }

  const accounts = document.getElementById("accounts-admin");
  if (accounts) {
    const role = document.getElementById("new-role");
    const channelBox = document.getElementById("new-channel-box");
    const syncChannel = () => keyuan.show(channelBox,
      role.selectedOptions[0]?.hasAttribute("data-channel") ?? false);
    role.addEventListener("change", syncChannel);
    syncChannel();
    wire(document.getElementById("add-account"), (form) => {
      const body = { username: form.username.value.trim(), role: role.value };
      if (!channelBox.hidden && form.channel_id.value.trim()) {
        body.channel_id = form.channel_id.value.trim();
      }
      return keyuan.api("POST", "/api/admin/accounts", body);
    }, (answer) => showPassword(answer, "admin.account_added"));
    document.getElementById("temporary-password-done")
      .addEventListener("click", () => location.reload());
    for (const card of accounts.querySelectorAll("[data-account]")) {
      const name = encodeURIComponent(card.dataset.account);
      const msg = card.querySelector(".alert");
      for (const button of card.querySelectorAll("button[data-action]")) {
        button.addEventListener("click", () => {
          const action = button.dataset.action;
          if (action === "reset") {
            if (!confirm(keyuan.t("admin.reset_confirm", { name: card.dataset.account }))) return;
            run(button, msg, () => keyuan.api("POST", `/api/admin/accounts/${name}/password-reset`),
                (answer) => showPassword(answer, "admin.password_reset"));
            return;
          }
          run(button, msg, () => keyuan.api("PUT", `/api/admin/accounts/${name}/disabled`,
                                             { disabled: action === "disable" }),
              () => location.reload());
        });
      }
    }
  }
})();
