// Office admin (管理员): add and edit legal entities and offices through /api/admin/…; the page
// reloads to show what the server stored (and whether each kiosk can start).
"use strict";
(() => {
  const root = document.getElementById("offices-admin");
  if (!root) return;
  const ENTITY_FIELDS = ["name", "credit_code", "contact", "pi_name", "pi_contact"];

  // Every field as typed: on an edit, an emptied field takes the value off file.
  function values(form, names) {
    const out = {};
    for (const name of names) {
      const el = form.elements.namedItem(name);
      if (el) out[name] = el.value.trim();
    }
    return out;
  }

  // A form sends its fields; the server's refusal is shown under it (the typed values stay),
  // otherwise the page reloads to show what the server stored — keyuan.act, as admin.js does.
  function wire(form, send) {
    const msg = form.querySelector(".alert");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      keyuan.act(form.querySelector("button[type=submit]"), msg, () => send(form), () => {
        keyuan.say(msg, keyuan.t("offices.saved"), "good");
        location.reload();
      });
    });
  }

  const addEntity = document.getElementById("add-entity");
  if (addEntity) {
    wire(addEntity, (form) => {
      const body = values(form, ENTITY_FIELDS);
      for (const name of ENTITY_FIELDS) if (name !== "name" && body[name] === "") delete body[name];
      return keyuan.api("POST", "/api/admin/legal-entities", body);
    });
  }
  for (const form of root.querySelectorAll("form.entity-edit")) {
    wire(form, (f) => keyuan.api("PATCH", `/api/admin/legal-entities/${f.dataset.entity}`,
                                 values(f, ENTITY_FIELDS)));
  }
  const addOffice = document.getElementById("add-office");
  if (addOffice) {
    wire(addOffice, (form) => {
      const body = values(form, ["office_id", "name", "legal_entity_id"]);
      body.legal_entity_id = Number(body.legal_entity_id);
      return keyuan.api("POST", "/api/admin/offices", body);
    });
  }
  for (const form of root.querySelectorAll("form.office-edit")) {
    wire(form, (f) => {
      const body = values(f, ["name", "legal_entity_id"]);
      body.legal_entity_id = Number(body.legal_entity_id);
      return keyuan.api("PATCH", `/api/admin/offices/${encodeURIComponent(f.dataset.office)}`,
                        body);
    });
  }
})();
