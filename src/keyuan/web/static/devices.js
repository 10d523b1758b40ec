// Kiosk devices (管理员): ask for a pairing offer (QR code + typeable code, drawn by the server)
// and unpair a tablet through /api/admin/devices/…; the list reloads to show what is stored.
"use strict";
(() => {
  const root = document.getElementById("devices-admin");
  if (!root) return;
  const form = document.getElementById("pair-device");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const msg = form.querySelector(".alert");
      const button = document.getElementById("pair-button");
      button.disabled = true;
      try {
        const html = await keyuan.api("POST", "/admin/devices/pairing", keyuan.fields(form),
                                      { Accept: "text/html" });
        document.getElementById("pair-offer").innerHTML = html;
        keyuan.say(msg, "");
      } catch (err) {
        keyuan.fail(msg, err);
      } finally {
        button.disabled = false;
      }
    });
  }
  for (const button of root.querySelectorAll("[data-unpair]")) {
    button.addEventListener("click", async () => {
      const msg = button.parentElement.querySelector(".alert");
      if (!confirm(keyuan.t("devices.unpair_confirm"))) return;
      button.disabled = true;
      try {
        await keyuan.api("POST", `/api/admin/devices/${encodeURIComponent(button.dataset.unpair)}/unpair`);
        location.reload();
      } catch (err) {
        keyuan.fail(msg, err);
        button.disabled = false;
      }
    });
  }
})();
