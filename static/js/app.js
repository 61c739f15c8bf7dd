// Preselect the browser's time zone on forms that ask for one (sign up).
document.addEventListener("DOMContentLoaded", () => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("select[data-browser-timezone]").forEach((select) => {
    if (zone && select.value === "UTC" && select.querySelector(`option[value="${zone}"]`)) {
      select.value = zone;
    }
  });
});
