// Small browser behaviours the pages share; loaded after htmx, from the app itself (CSP: 'self').
"use strict";

// htmx does not swap error responses by default: show them in the page's alert region instead.
document.addEventListener("htmx:responseError", (event) => {
  const region = document.getElementById("alerts");
  const xhr = event.detail.xhr;
  if (!region || !xhr) return;
  const type = xhr.getResponseHeader("Content-Type") || "";
  if (type.startsWith("text/html")) {
    region.innerHTML = xhr.responseText;
  } else {
    region.textContent = "The request failed (" + xhr.status + "). Please try again.";
  }
});

document.addEventListener("htmx:sendError", () => {
  const region = document.getElementById("alerts");
  if (region) {
    region.textContent = "The server could not be reached. Check your connection and try again.";
  }
});

// Escape in an inline edit row cancels the edit, as the Cancel button does.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !(event.target instanceof Element)) return;
  const row = event.target.closest("[data-edit-row]");
  const cancel = row && row.querySelector("[data-cancel]");
  if (cancel) {
    event.preventDefault();
    cancel.click();
  }
});

// After a row is deleted its buttons are gone: move the focus to the message saying so.
document.addEventListener("htmx:afterSettle", (event) => {
  const config = event.detail.requestConfig;
  if (config && config.verb === "delete" && event.detail.successful) {
    const region = document.getElementById("alerts");
    if (region) region.focus();
  }
});
