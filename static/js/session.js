// Session limits (accounts/session_limits.py): warn before the server signs
// this tab out, offer to stay, and just before the end send what is being
// typed to the server as a draft (never to browser storage). After sign-in
// again, the page comes back with the draft, and this fills the form from it.
(() => {
  const body = document.body;
  const csrf = () => JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const post = (url, data) =>
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
    });

  // -- Restoring a draft ------------------------------------------------------
  const restore = () => {
    const notice = document.getElementById("form-draft");
    if (!notice) return;
    const draft = JSON.parse(notice.dataset.draft || "{}");
    const names = Object.keys(draft);
    const form = [...document.querySelectorAll("main form")].find((candidate) =>
      names.some((name) => candidate.elements.namedItem(name)),
    );
    if (!form) return;
    for (const name of names) {
      const values = draft[name];
      const fields = [...form.elements].filter((field) => field.name === name);
      fields.forEach((field, index) => {
        if (["hidden", "password", "file", "submit"].includes(field.type)) return;
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = values.includes(field.value);
        } else if (field.multiple) {
          for (const option of field.options) option.selected = values.includes(option.value);
        } else if (index < values.length) {
          field.value = values[index];
        }
      });
    }
    form.querySelector("input:not([type=hidden]), select, textarea")?.focus();
  };

  // -- Warning before the end -------------------------------------------------
  const dialog = document.getElementById("session-warning");
  if (!dialog || !body.dataset.sessionRemaining) {
    document.addEventListener("DOMContentLoaded", restore);
    return;
  }
  const warnBefore = Number(body.dataset.sessionWarning) * 1000;
  const countdown = dialog.querySelector("[data-session-countdown]");
  const stay = dialog.querySelector("[data-session-stay]");
  let typing = null; // the form last typed into
  let deadline = 0;
  let timers = [];

  document.addEventListener("input", (event) => {
    if (event.target.form && event.target.closest("main")) typing = event.target.form;
  });

  const saveDraft = () => {
    if (!typing) return Promise.resolve();
    const data = new FormData(typing);
    data.set("path", new URL(typing.action || location.href, location.href).pathname);
    return post(body.dataset.draftUrl, data).catch(() => {});
  };

  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    countdown.textContent = countdown.dataset.label.replace("%(time)s", time);
  };

  const schedule = (seconds, renewable) => {
    timers.forEach(clearTimeout);
    clearInterval(timers.interval);
    deadline = Date.now() + seconds * 1000;
    dialog.querySelector("[data-renewable]").hidden = !renewable;
    dialog.querySelector("[data-not-renewable]").hidden = renewable;
    stay.hidden = !renewable;
    timers = [
      setTimeout(() => {
        tick();
        timers.interval = setInterval(tick, 1000);
        if (!dialog.open) dialog.showModal();
      }, Math.max(0, seconds * 1000 - warnBefore)),
      setTimeout(saveDraft, Math.max(0, seconds * 1000 - 10000)),
      // The server ends the session; reloading shows the sign-in page that says why.
      setTimeout(() => location.reload(), seconds * 1000 + 1500),
    ];
  };

  stay.addEventListener("click", async () => {
    try {
      const response = await post(body.dataset.keepaliveUrl, new FormData());
      if (!response.ok) throw new Error(String(response.status));
      const { remaining, renewable } = await response.json();
      dialog.close();
      schedule(remaining, renewable);
    } catch {
      location.reload(); // signed out meanwhile: the sign-in page says why
    }
  });

  document.addEventListener("DOMContentLoaded", restore);
  schedule(Number(body.dataset.sessionRemaining), body.dataset.sessionRenewable === "true");
})();
