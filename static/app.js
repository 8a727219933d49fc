// Small browser behaviours the pages share; loaded after htmx, from the app itself (CSP: 'self').
"use strict";

/** Where a message about an htmx request goes: beside the patient table, else the page's top. */
function messageRegion() {
  return document.getElementById("patient-status") || document.getElementById("alerts");
}

// htmx does not swap error responses by default: show them in the message region instead.
document.addEventListener("htmx:responseError", (event) => {
  const region = messageRegion();
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
  const region = messageRegion();
  if (region) {
    region.innerHTML = "";
    const message = document.createElement("div");
    message.className = "alert alert-error";
    message.textContent = "The server could not be reached. Check your connection and try again.";
    region.append(message);
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

// The patient table is busy while a request that changes it is on its way: htmx marks it with
// the class htmx-request (it is the requests' hx-indicator), and aria-busy follows that class.
// (A new table keeps the old one's classes until htmx has settled it, hence afterSettle.)
function syncBusy() {
  const table = document.getElementById("patient-table");
  if (!table) return;
  if (table.classList.contains("htmx-request")) table.setAttribute("aria-busy", "true");
  else table.removeAttribute("aria-busy");
}
document.addEventListener("htmx:beforeSend", syncBusy);
document.addEventListener("htmx:afterRequest", syncBusy);
document.addEventListener("htmx:afterSettle", syncBusy);

// On a phone an edit row would not fit beside the others: Edit opens the edit page instead.
const narrow = globalThis.matchMedia("(max-width: 40rem)");
document.addEventListener("htmx:confirm", (event) => {
  const link = event.detail.elt;
  if (narrow.matches && link instanceof HTMLAnchorElement && link.hasAttribute("data-edit")) {
    event.preventDefault();
    globalThis.location.assign(link.href);
  }
});

// A filter's message comes out of band (the fields stay as typed, the focus where it is): each
// field is marked invalid, and described by its message, while it has one.
function markFieldErrors(form) {
  let invalid = false;
  for (const message of form.querySelectorAll(".field-error[id$='-error']")) {
    const control = document.getElementById(message.id.slice(0, -"-error".length));
    if (!control) continue;
    const hasError = !message.hidden && message.textContent.trim() !== "";
    invalid = invalid || hasError;
    if (hasError) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
    const ids = (control.getAttribute("aria-describedby") || "").split(" ")
      .filter((id) => id && id !== message.id);
    if (hasError) ids.push(message.id);
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
    const field = control.closest(".field");
    if (field) field.classList.toggle("field-invalid", hasError);
  }
  // Folded away on a phone: unfold, so that the message is seen.
  const panel = form.closest("details");
  if (invalid && panel) panel.open = true;
}

// After a delete the row and its buttons are gone: the focus moves to the next row's Edit (or
// the previous one's), where the user was; the message is announced by its live region.
let focusAfterDelete = null;
const isRow = (el) => el instanceof HTMLTableRowElement && el.id && !el.matches(".group-label");
document.addEventListener("htmx:beforeRequest", (event) => {
  const { requestConfig, target } = event.detail;
  if (!requestConfig || requestConfig.verb !== "delete" || !isRow(target)) return;
  const near = [target.nextElementSibling, target.previousElementSibling].find(isRow);
  focusAfterDelete = near ? near.id : "";
});

document.addEventListener("htmx:afterSettle", (event) => {
  const filters = document.getElementById("filters");
  if (filters) markFieldErrors(filters);
  const config = event.detail.requestConfig;
  if (config && config.verb === "delete" && focusAfterDelete !== null) {
    const row = focusAfterDelete && document.getElementById(focusAfterDelete);
    const edit = row && row.querySelector("[data-edit]");
    const region = messageRegion();
    if (edit) edit.focus();
    else if (region) region.focus({ preventScroll: true });
    focusAfterDelete = null;
  }
  // An edit row is taller than the row it replaces: bring all of it into view.
  const elt = event.detail.elt;
  if (elt instanceof Element && elt.matches("[data-edit-row]")) {
    elt.scrollIntoView({ block: "nearest" });
  }
});

// Copy buttons (the new API token): they need JavaScript, so they show only when it runs.
for (const button of document.querySelectorAll("button[data-copy][hidden]")) button.hidden = false;
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("button[data-copy]");
  const field = button && document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch {
    copied = document.execCommand("copy");
  }
  button.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
});
