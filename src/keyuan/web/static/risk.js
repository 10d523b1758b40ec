// 风控阈值 (manager, admin): the form's thresholds go to the staff API as whole numbers; the
// page reloads to show what the server stored, a refusal is shown in words and nothing changed.
"use strict";
(() => {
  const form = document.getElementById("risk-thresholds-form");
  if (!form) return;
  const office = encodeURIComponent(document.getElementById("risk-thresholds").dataset.office);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    for (const [name, value] of Object.entries(keyuan.fields(form))) body[name] = Number(value);
    keyuan.act(form.querySelector("button[type=submit]"), form.querySelector(".alert"),
               () => keyuan.api("PUT", `/api/offices/${office}/risk-thresholds`, body));
  });
})();
