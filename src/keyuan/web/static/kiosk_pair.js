// Pairing a reception tablet: the one-time code (from the QR code's URL, or typed) is
// redeemed once; the server keeps the device token in an HttpOnly cookie, then the kiosk opens.
"use strict";
(() => {
  const form = document.getElementById("pair-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("pair-go");
    button.disabled = true;
    try {
      const device = await keyuan.api("POST", "/api/kiosk/pairing",
                                      { code: document.getElementById("pair-code").value });
      location.href = `/kiosk/${encodeURIComponent(device.office_id)}`;
    } catch (err) {
      keyuan.fail("pair-alert", err);
      button.disabled = false;
    }
  });
})();
