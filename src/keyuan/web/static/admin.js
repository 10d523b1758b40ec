// Admin workspace (管理员): accounts and channels through /api/admin/…. A change reloads the
// page to show what the server stored; a temporary password is shown once, before any reload.
"use strict";
(() => {
  // A form posts its fields as JSON; the server's refusal is shown under it, the typed values
  // stay. `after` runs with the answer (default: reload).
  function wire(form, send, after) {
    const msg = form.querySelector(".alert");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      keyuan.act(form.querySelector("button[type=submit]"), msg, () => send(form),
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
            keyuan.act(button, msg, () => keyuan.api("POST", `/api/admin/accounts/${name}/password-reset`),
                (answer) => showPassword(answer, "admin.password_reset"));
            return;
          }
          keyuan.act(button, msg, () => keyuan.api("PUT", `/api/admin/accounts/${name}/disabled`,
                                             { disabled: action === "disable" }),
              () => location.reload());
        });
      }
    }
  }

  const channels = document.getElementById("channels-admin");
  if (channels) {
    const addChannel = document.getElementById("add-channel");
    if (addChannel) {
      wire(addChannel, (form) => {
        const body = { office_id: form.office_id.value, kind: form.kind.value,
                       name: form.name.value.trim() };
        if (form.contract_ref.value.trim()) body.contract_ref = form.contract_ref.value.trim();
        return keyuan.api("POST", "/api/admin/channels", body);
      }, (answer) => {
        // show the new channel (and its id) alone: the search finds it by its id
        location.href = `/admin/channels?q=${encodeURIComponent(answer.channel_id)}`;
      });
    }
    for (const card of channels.querySelectorAll("[data-channel]")) {
      const id = encodeURIComponent(card.dataset.channel);
      const edit = card.querySelector("form.channel-edit");
      wire(edit, (form) => keyuan.api("PATCH", `/api/admin/channels/${id}`, {
        name: form.name.value.trim(), contract_ref: form.contract_ref.value.trim() }));
      const addAgent = card.querySelector("form.add-agent");
      if (addAgent) {
        wire(addAgent, (form) => keyuan.api("POST", `/api/admin/channels/${id}/agents`,
                                            { name: form.name.value.trim() }));
      }
      const addAgreement = card.querySelector("form.add-agreement");
      if (addAgreement) {
        // percent: "1.5" → 150 basis points; fixed: yuan → fen; the day starts in Beijing
        wire(addAgreement, (form) => keyuan.api("POST", `/api/channels/${id}/agreements`, {
          kind: form.kind.value,
          value: Math.round(Number(form.value.value.trim() || NaN) * 100),
          effective_from: form.effective_from.value ? `${form.effective_from.value}T00:00:00+08:00` : null }));
      }
      // 门店/团队: add a team, rename or move one (only what changed is sent), deactivate or
      // reactivate it, move an agent; each refusal is shown in words under its own form
      const addTeam = card.querySelector("form.add-team");
      if (addTeam) {
        wire(addTeam, (form) => keyuan.api("POST", `/api/admin/channels/${id}/teams`, {
          name: form.name.value.trim(), parent_id: form.parent_id.value || null }));
      }
      for (const row of card.querySelectorAll("[data-team]")) {
        const team = encodeURIComponent(row.dataset.team);
        wire(row.querySelector("form.team-form"), async (form) => {
          let answer = null;
          if (form.name.value.trim() !== form.name.dataset.was) {
            answer = await keyuan.api("PUT", `/api/admin/teams/${team}/name`, { name: form.name.value.trim() });
          }
          if (form.parent_id.value !== form.parent_id.dataset.was) {
            answer = await keyuan.api("PUT", `/api/admin/teams/${team}/parent`,
                                      { parent_id: form.parent_id.value || null });
          }
          return answer;
        });
        const teamMsg = row.querySelector("[data-team-alert]");
        for (const button of row.querySelectorAll("button[data-team-action]")) {
          button.addEventListener("click", () => {
            const active = button.dataset.teamAction === "reactivate";
            keyuan.act(button, teamMsg, () => keyuan.api("PUT", `/api/admin/teams/${team}/active`, { active }),
                () => location.reload());
          });
        }
      }
      for (const form of card.querySelectorAll("form.agent-team")) {
        const agent = encodeURIComponent(form.closest("[data-agent-row]").dataset.agentRow);
        wire(form, () => keyuan.api("PUT", `/api/admin/agents/${agent}/team`,
                                    { team_id: form.team_id.value || null }));
      }
      const msg = card.querySelector("[data-channel-alert]");
      for (const button of card.querySelectorAll("button[data-channel-action]")) {
        button.addEventListener("click", () => {
          const active = button.dataset.channelAction === "reactivate";
          if (!active && !confirm(keyuan.t("admin.deactivate_confirm"))) return;
          keyuan.act(button, msg, () => keyuan.api("PUT", `/api/admin/channels/${id}/active`, { active }),
              () => location.reload());
        });
      }
      for (const button of card.querySelectorAll("button[data-agent-action]")) {
        const agent = encodeURIComponent(button.closest("[data-agent]").dataset.agent);
        button.addEventListener("click", () => {
          const active = button.dataset.agentAction === "reactivate";
          keyuan.act(button, msg, () => keyuan.api("PUT", `/api/admin/agents/${agent}/active`, { active }),
              () => location.reload());
        });
      }
    }
  }
})();
