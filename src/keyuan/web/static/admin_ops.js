// Admin workspace, daily operation (notices, cameras): changes go through the JSON API; a
// change reloads the page to show what the server stored, a refusal is shown in words under
// the control that asked (the typed values stay).
"use strict";
(() => {
  // Why a camera does not run has words of its own (ops.gate_…); other refusals as usual.
  function explain(err) {
    const key = "ops.gate_" + (err.error || "");
    const words = keyuan.t(key);
    return words !== key ? words : keyuan.explain(err);
  }

  const run = (button, msg, send, after) => keyuan.act(button, msg, send, after, explain);

  function alertOf(el) { return el.closest(".card, #stale-uses").querySelector(".alert"); }

  // Both lane texts or neither call: the server's refusal of a blank one says only "bad input".
  function laneTexts(form) {
    const lane = form.lane.value.trim(), alternative = form.alternative.value.trim();
    if (!lane || !alternative) throw { error: "camera_lane_required" };
    return { lane, alternative };
  }

  const cameras = document.getElementById("cameras-admin");
  if (cameras) {
    const office = encodeURIComponent(cameras.dataset.office);
    const signage = document.getElementById("confirm-signage");
    signage?.addEventListener("click", () => {
      if (!confirm(keyuan.t("ops.signage_confirm_ask"))) return;
      run(signage, alertOf(signage), () => keyuan.api("POST", `/api/offices/${office}/signage`));
    });
    const add = document.getElementById("add-camera");
    add?.addEventListener("submit", (event) => {
      event.preventDefault();
      run(add.querySelector("button[type=submit]"), add.querySelector(".alert"),
          () => keyuan.api("POST", `/api/offices/${office}/cameras`, {
            name: add.name.value.trim(), ...laneTexts(add), profile: add.profile.value }),
          (answer) => {
            // the push token is shown once, before any reload
            const box = document.getElementById("camera-token");
            document.getElementById("camera-token-text").textContent =
              keyuan.t("ops.camera_token", { name: answer.name });
            document.getElementById("camera-token-value").textContent = answer.token;
            keyuan.show(box);
            box.scrollIntoView({ block: "center" });
            box.querySelector("button").focus();
          });
    });
    document.getElementById("camera-token-done")
      ?.addEventListener("click", () => location.reload());
    for (const card of cameras.querySelectorAll("[data-camera]")) {
      const id = encodeURIComponent(card.dataset.camera);
      const msg = card.querySelector(":scope > .alert");
      const actions = {
        enable: () => keyuan.api("PUT", `/api/cameras/${id}/enabled`, { enabled: true }),
        disable: () => keyuan.api("PUT", `/api/cameras/${id}/enabled`, { enabled: false }),
        confirm: () => keyuan.api("POST", `/api/cameras/${id}/lane/confirm`),
        "stop-pull": () => keyuan.api("DELETE", `/api/cameras/${id}/pull`),
      };
      for (const button of card.querySelectorAll("button[data-action]")) {
        button.addEventListener("click", () => {
          const action = button.dataset.action;
          if (action === "confirm" && !confirm(keyuan.t("ops.camera_confirm_ask"))) return;
          run(button, msg, actions[action]);
        });
      }
      const forms = {
        "lane-form": (f) => keyuan.api("PUT", `/api/cameras/${id}/lane`, laneTexts(f)),
        "profile-form": (f) => {
          const body = { profile: f.profile.value, picture_host: f.picture_host.value.trim() };
          if (f.username.value.trim() || f.password.value) {
            body.username = f.username.value.trim();
            body.password = f.password.value;
          }
          return keyuan.api("PUT", `/api/cameras/${id}/profile`, body);
        },
        "pull-form": (f) => keyuan.api("POST", `/api/cameras/${id}/pull`, {
          source: f.source.value.trim(), fps: Number(f.fps.value) || 2 }),
      };
      for (const [name, send] of Object.entries(forms)) {
        const form = card.querySelector(`form.${name}`);
        form?.addEventListener("submit", (event) => {
          event.preventDefault();
          run(form.querySelector("button[type=submit]"), form.querySelector(".alert"),
              () => send(form));
        });
      }
    }
  }

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
