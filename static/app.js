// Small browser behaviours the pages share; loaded after htmx, from the app itself (CSP: 'self').
"use strict";

// What needs the script (a message's ✕) shows only when it runs.
document.documentElement.classList.add("js");

// htmx's settings, here rather than in every page (htmx loads first, and reads them once the
// page is ready): no indicator styles, eval or script tags (the CSP forbids them), requests to
// this site only, no history cache, and which answers are swapped.
if (globalThis.htmx) {
  Object.assign(globalThis.htmx.config, {
    includeIndicatorStyles: false,
    allowEval: false,
    allowScriptTags: false,
    selfRequestsOnly: true,
    historyCacheSize: 0,
    // Not "style": an inline style that something else put on an element (an extension, a test
    // tool hiding the caret) would be copied by setAttribute while settling, which the CSP
    // refuses.
    attributesToSettle: ["class", "width", "height"],
    responseHandling: [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "409", swap: true },
      // A patient that is gone (or never was this user's) comes back as a row saying so.
      { code: "404", swap: true },
      { code: "[45]..", swap: false, error: true },
    ],
  });
}

/** The page's CSRF token: its forms carry it (the header's log-out form, on every page). */
function pageCsrfToken() {
  const field = document.querySelector('input[name="_csrf"]');
  return field ? field.value : "";
}

// Every htmx request sends it (X-CSRF-Token), so that a page says it once.
document.addEventListener("htmx:configRequest", (event) => {
  const token = pageCsrfToken();
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

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
    for (const toast of region.querySelectorAll("[data-toast]")) startToast(toast);
  } else {
    showError(region, "The request failed (" + xhr.status + "). Please try again.");
  }
});

document.addEventListener("htmx:sendError", () => {
  const region = messageRegion();
  if (region) {
    showError(region, "The server could not be reached. Check your connection and try again.");
  }
});

/** An error message in `region`, in the same box (with its ✕) as the server's messages. */
function showError(region, text) {
  const toast = document.createElement("div");
  toast.className = "alert alert-error toast";
  toast.dataset.toast = "error";
  const body = document.createElement("div");
  body.className = "toast-text";
  body.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.dataset.dismiss = "";
  close.setAttribute("aria-label", "Dismiss this message");
  toast.append(body, close);
  region.replaceChildren(toast);
}

// Messages: ✕ dismisses one; a success leaves by itself after a while (longer when it offers
// Undo), never while the pointer or the focus is on it; an error stays until dismissed.
const TOAST_MS = 8000;
const TOAST_ACTION_MS = 20000;

function dismissToast(toast) {
  const hadFocus = toast.contains(document.activeElement);
  const region = toast.closest("[tabindex='-1']");
  toast.remove();
  // The focus must not fall to the page's start: it goes to the region the message was in.
  if (hadFocus && region) region.focus({ preventScroll: true });
}

function startToast(toast) {
  if (toast.dataset.toast !== "ok" || toast.dataset.timer) return;
  toast.dataset.timer = "on";
  const ms = toast.querySelector("form, a") ? TOAST_ACTION_MS : TOAST_MS;
  let left = ms;
  let started = Date.now();
  let timer = setTimeout(() => dismissToast(toast), left);
  const pause = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    left = Math.max(2000, left - (Date.now() - started));
  };
  const resume = () => {
    if (timer !== null || toast.matches(":hover, :focus-within")) return;
    started = Date.now();
    timer = setTimeout(() => dismissToast(toast), left);
  };
  toast.addEventListener("mouseenter", pause);
  toast.addEventListener("focusin", pause);
  toast.addEventListener("mouseleave", resume);
  toast.addEventListener("focusout", () => setTimeout(resume, 0));
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-dismiss]");
  const toast = button && button.closest("[data-toast]");
  if (toast) dismissToast(toast);
});
for (const toast of document.querySelectorAll("[data-toast]")) startToast(toast);
document.addEventListener("htmx:load", (event) => {
  const elt = event.detail.elt;
  if (!(elt instanceof Element)) return;
  if (elt.matches("[data-toast]")) startToast(elt);
  for (const toast of elt.querySelectorAll("[data-toast]")) startToast(toast);
});

// The bar above the patient table (count and messages) stays at the top of the screen; the
// table's heading sticks under it, at its height.
const listBar = document.getElementById("list-bar");
if (listBar && "ResizeObserver" in globalThis) {
  const page = listBar.closest(".patients-page") || document.documentElement;
  new ResizeObserver(() => {
    page.style.setProperty("--list-bar-height", listBar.offsetHeight + "px");
  }).observe(listBar);
}

// The filter panel's state is part of the list's address (filters=open), so that reload, Back
// and a shared link show it as it was.
const filtersPanel = document.getElementById("filters-panel");
function keepFiltersInAddress() {
  if (!filtersPanel) return;
  const url = new URL(globalThis.location.href);
  const open = filtersPanel.open;
  if ((url.searchParams.get("filters") === "open") === open) return;
  if (open) url.searchParams.set("filters", "open");
  else url.searchParams.delete("filters");
  history.replaceState(history.state, "", url);
}
if (filtersPanel) {
  filtersPanel.addEventListener("toggle", keepFiltersInAddress);
  document.addEventListener("htmx:pushedIntoHistory", keepFiltersInAddress);
}

// Filters and export wait for the first record: they show once a row is in the table, and go
// again when the last record has been deleted (the list says there are none, unfiltered).
function showRecordTools() {
  const some = document.querySelector("#patient-rows > tr, #just-added > tr:not(.group-label)");
  const none = !some && document.querySelector("[data-no-records]");
  if (!some && !none) return;
  for (const tool of document.querySelectorAll("[data-needs-records]")) tool.hidden = !some;
}

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

// The patient table's links that change it in place — a row's Edit (known by its address), the
// sort headings and the pages (inside an element marked data-get) — carry only their address
// (href), not htmx's hx-get repeating it (fifty rows a page): here a click fetches the same
// address through htmx, into the target, swap and history their ancestors name (hx-target,
// hx-swap, hx-push-url). A click that asks for a new tab or window stays a plain link, as does
// everything without the script. On a phone an edit row would not fit beside the others: Edit
// opens the edit page instead.
const EDIT_LINK = "#patient-table td:last-child > a[href*='/edit']";
const narrow = globalThis.matchMedia("(max-width: 40rem)");
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("a[href]");
  const htmx = globalThis.htmx;
  if (!link || !htmx || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const edit = link.matches(EDIT_LINK);
  if (!edit && !link.closest("[data-get]")) return;
  if (narrow.matches && edit) return;
  event.preventDefault();
  htmx.ajax("GET", link.getAttribute("href"), { source: link });
});

// A link to a panel's own page ("Add your first patient", to the add form's page) opens the
// panel on this page instead, folded or not (a folded one fetches its form as it opens), and
// puts the cursor in its first field once the field is there.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("a[data-open]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const panel = document.getElementById(link.dataset.open);
  if (!(panel instanceof HTMLDetailsElement)) return;
  event.preventDefault();
  const focusField = () => {
    const field = panel.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus();
    return Boolean(field);
  };
  panel.open = true;
  panel.scrollIntoView({ block: "start" });
  if (focusField()) return;
  const onSettle = () => {
    if (focusField()) document.removeEventListener("htmx:afterSettle", onSettle);
  };
  document.addEventListener("htmx:afterSettle", onSettle);
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

// Every row's Delete button submits the table's one delete form, with the row's id as its value
// (a GET to the row's confirmation page, without JavaScript). Here it asks first, in the form's
// words, then posts to the record's address through htmx: the answer takes the row's place (the
// target its <tbody> names), with the count and Undo out of band. A row added on this page
// says so (it was not counted among the page's rows).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const htmx = globalThis.htmx;
  if (!(form instanceof HTMLFormElement) || !form.dataset.post || !form.dataset.confirm) return;
  if (!htmx || !(button instanceof HTMLButtonElement) || !button.value) return;
  event.preventDefault();
  const id = encodeURIComponent(button.value);
  if (!globalThis.confirm(form.dataset.confirm.replace("{id}", button.value))) return;
  const row = button.closest("tr");
  const added = row !== null && row.parentElement !== null && row.parentElement.id === "just-added";
  htmx.ajax("POST", form.dataset.post.replace("{id}", id), {
    source: button,
    values: added ? { added: "1" } : {},
  });
});

// After a delete the row and its buttons are gone: the focus moves to the next row's Edit (or
// the previous one's), where the user was; the message is announced by its live region.
let focusAfterDelete = null;
let deleting = null;
const isRow = (el) => el instanceof HTMLTableRowElement && el.id && !el.matches(".group-label");
// After Undo the restored row is back at the top of the table: the focus goes to its Edit.
let focusAfterRestore = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const { target, elt } = event.detail;
  if (elt instanceof Element && elt.matches("form[data-restores]")) {
    focusAfterRestore = "patient-" + elt.dataset.restores;
  }
  const deletes = elt instanceof HTMLButtonElement && elt.form && "post" in elt.form.dataset;
  if (!deletes || !isRow(target)) return;
  const near = [target.nextElementSibling, target.previousElementSibling].find(isRow);
  focusAfterDelete = near ? near.id : "";
  deleting = elt;
});

document.addEventListener("htmx:afterSettle", (event) => {
  const filters = document.getElementById("filters");
  if (filters) markFieldErrors(filters);
  const config = event.detail.requestConfig;
  if (config && config.elt === deleting && focusAfterDelete !== null) {
    const row = focusAfterDelete && document.getElementById(focusAfterDelete);
    const edit = row && row.querySelector(EDIT_LINK);
    const region = messageRegion();
    if (edit) edit.focus();
    else if (region) region.focus({ preventScroll: true });
    focusAfterDelete = null;
    deleting = null;
  }
  if (focusAfterRestore !== null) {
    const row = document.getElementById(focusAfterRestore);
    const edit = row && row.querySelector(EDIT_LINK);
    if (edit) {
      edit.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
    focusAfterRestore = null;
  }
  showRecordTools();
  // An edit row is taller than the row it replaces: bring all of it into view.
  const elt = event.detail.elt;
  if (elt instanceof Element && elt.matches("[data-edit-row]")) {
    elt.scrollIntoView({ block: "nearest" });
  }
});

// Copy and Print buttons (the new API token, recovery codes): they need JavaScript, so they
// show only when it runs.
for (
  const button of document.querySelectorAll("button[data-copy][hidden], button[data-print][hidden]")
) {
  button.hidden = false;
}
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("button[data-print]")) {
    globalThis.print();
  }
});
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
