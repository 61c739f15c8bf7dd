// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Print buttons (hidden without JavaScript, where the browser's own menu prints).
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });

  // Preselect the browser's time zone on forms that ask for one (sign up, new patient).
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("select[data-browser-timezone]").forEach((select) => {
    if (zone && select.value === "UTC" && select.querySelector(`option[value="${zone}"]`)) {
      select.value = zone;
    }
  });

  // A secret to copy once (the calendar address): a Copy button beside it.
  document.querySelectorAll("input[data-copy]").forEach((input) => {
    if (!navigator.clipboard) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = input.dataset.copyLabel || "Copy";
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(input.value);
      button.textContent = input.dataset.copiedLabel || "Copied";
    });
    input.insertAdjacentElement("afterend", button);
  });

  // Lists (allergies, conditions): add and remove one item at a time.
  document.querySelectorAll("[data-text-list]").forEach((list) => {
    const addButton = list.querySelector("[data-add]");
    const renumber = () => {
      list.querySelectorAll(".text-list-item").forEach((item, index) => {
        for (const element of item.querySelectorAll("input, [data-remove]")) {
          const label = element.getAttribute("aria-label").replace(/\d+$/, index + 1);
          element.setAttribute("aria-label", label);
        }
      });
    };
    const wire = (item) => {
      const remove = item.querySelector("[data-remove]");
      remove.hidden = false;
      remove.addEventListener("click", () => {
        const items = list.querySelectorAll(".text-list-item");
        if (items.length > 1) {
          const next = item.nextElementSibling?.querySelector("input") || addButton;
          item.remove();
          next.focus();
        } else {
          item.querySelector("input").value = "";
        }
        renumber();
      });
    };
    list.querySelectorAll(".text-list-item").forEach(wire);
    addButton.hidden = false;
    addButton.addEventListener("click", () => {
      const template = list.querySelector(".text-list-item:last-of-type");
      const item = template.cloneNode(true);
      const input = item.querySelector("input");
      input.value = "";
      input.removeAttribute("id");
      list.insertBefore(item, addButton);
      wire(item);
      renumber();
      input.focus();
    });
  });
});

// Uploads: say before sending which files are too large, and show progress
// while large ones go up. Without JavaScript the form posts as usual.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-upload]").forEach((form) => {
    const limit = Number(form.dataset.maxBytes);
    const warning = form.querySelector("[data-upload-warning]");
    const bar = form.querySelector("[data-upload-progress]");
    const status = form.querySelector("[data-upload-status]");
    const button = form.querySelector("button[type=submit]");
    const chosen = () =>
      [...form.querySelectorAll("input[type=file]")].flatMap((input) => [...input.files]);
    const list = form.querySelector("[data-upload-chosen]");
    const check = () => {
      list.replaceChildren(...chosen().map((file) => {
        const item = document.createElement("li");
        item.textContent = file.name;
        return item;
      }));
      const large = chosen().filter((file) => limit && file.size > limit);
      warning.hidden = large.length === 0;
      warning.textContent = `${form.dataset.tooLarge} ${large.map((f) => f.name).join(", ")}`;
      return large.length === 0;
    };
    form.querySelectorAll("input[type=file]").forEach((input) => input.addEventListener("change", check));
    form.addEventListener("submit", (event) => {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      if (!check()) return;
      const request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.upload.addEventListener("progress", (progress) => {
        if (!progress.lengthComputable) return;
        bar.hidden = false;
        bar.value = Math.round((progress.loaded / progress.total) * 100);
        const step = Math.floor(bar.value / 25) * 25;  // announced at 25, 50, 75, 100 %
        if (status.dataset.step !== String(step)) {
          status.dataset.step = String(step);
          status.textContent = `${step} %`;
        }
      });
      request.setRequestHeader("X-Upload", "1");
      request.addEventListener("load", () => {
        if (request.status === 201) {
          window.location.assign(request.getResponseHeader("X-Location"));  // kept: the list
        } else {
          document.open();  // refused: the form again, with the reasons
          document.write(request.responseText);
          document.close();
        }
      });
      request.addEventListener("error", () => {
        button.disabled = false;
        bar.hidden = true;
        status.textContent = form.dataset.failed || "The upload failed. Check the connection and try again.";
      });
      button.disabled = true;
      request.send(new FormData(form));
    });
  });
});
