// The idle-timeout warning. Shortly before the session ends (two minutes before the idle
// timeout, halfway through a shorter one) a dialog offers "Stay logged in"; once it has ended the
// page says so and offers to log in again, instead of failing on the next click. Reads the
// <meta name="spm-session"> of logged-in pages; asks the server (GET /session, which does not
// extend the session) before showing anything, so that use in another tab counts. A logout in
// another tab (told by form_keep.js) ends this page's session at once.
"use strict";

(() => {
  const meta = document.querySelector('meta[name="spm-session"]');
  if (!meta) return;
  let clock;
  try {
    clock = JSON.parse(meta.getAttribute("content") || "");
  } catch {
    return;
  }
  const LEFT_HEADER = "X-Session-Ends-In";
  const warnBefore = clock.warn_before_ms;
  /** When the session ends, on this browser's clock (only durations come from the server). */
  let deadline = Date.now() + clock.ends_in_ms;
  let endsBy = clock.ends_by;
  /** "hidden", "warning", "dismissed" (a lifetime warning that was read) or "ended". */
  let state = "hidden";
  let timer = 0;
  let ticker = 0;
  let returnFocus = null;
  let ui = null;

  function learn(endsInMs, by) {
    deadline = Date.now() + endsInMs;
    if (by) endsBy = by;
  }

  function schedule() {
    clearTimeout(timer);
    const lead = state === "dismissed" ? 0 : warnBefore;
    const wait = Math.max(0, deadline - lead - Date.now());
    timer = setTimeout(check, Math.min(wait, 2147483647));
  }

  /** The page's CSRF token: its forms carry it (the header's log-out form, on every page). */
  function csrfToken() {
    const field = document.querySelector('input[name="_csrf"]');
    return field ? field.value : "";
  }

  /** The server's word on the session: { logged_in, ends_in_ms, ends_by }, or null if unreachable. */
  async function serverStatus() {
    try {
      const response = await fetch("/session", {
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      return response.ok ? await response.json() : null;
    } catch {
      return null;
    }
  }

  async function check() {
    clearInterval(ticker);
    const status = await serverStatus();
    if (status && !status.logged_in) return showEnded();
    if (status) learn(status.ends_in_ms, status.ends_by);
    const left = deadline - Date.now();
    if (left <= 0) return showEnded();
    if (state === "dismissed" || left > warnBefore + 1000) {
      if (state === "warning") hide();
      return schedule();
    }
    showWarning();
  }

  function minutesAndSeconds(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    const dialog = element("dialog", "session-dialog");
    dialog.setAttribute("aria-labelledby", "session-dialog-title");
    dialog.setAttribute("aria-describedby", "session-dialog-text");
    const title = element("h2");
    title.id = "session-dialog-title";
    const text = element("p");
    text.id = "session-dialog-text";
    const error = element("p", "session-dialog-error");
    error.setAttribute("role", "alert");
    const actions = element("div", "actions");
    const stay = element("button", "", "Stay logged in");
    stay.type = "button";
    stay.addEventListener("click", () => stayLoggedIn());
    const logOut = element("button", "button-secondary", "Log out now");
    logOut.type = "button";
    logOut.addEventListener("click", () => {
      const form = document.querySelector('form[action="/logout"]');
      if (form) form.requestSubmit();
    });
    const logIn = element("a", "button", "Log in again");
    actions.append(stay, logOut, logIn);
    dialog.append(title, text, error, actions);
    // Escape keeps the session (as "Stay logged in" does); once it has ended there is nothing
    // to keep, and the dialog stays.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      if (state === "warning") stayLoggedIn();
    });
    dialog.addEventListener("close", () => {
      if (state === "ended") dialog.showModal();
    });
    document.body.append(dialog);
    return { dialog, title, text, error, stay, logOut, logIn };
  }

  function open(focus) {
    ui = ui || build();
    if (!ui.dialog.open) {
      returnFocus = document.activeElement;
      ui.dialog.showModal();
    }
    focus.focus();
  }

  function showWarning() {
    state = "warning";
    ui = ui || build();
    const lifetime = endsBy === "lifetime";
    ui.title.textContent = lifetime ? "Your session ends soon" : "Are you still there?";
    ui.stay.textContent = lifetime ? "OK" : "Stay logged in";
    ui.error.textContent = "";
    ui.logOut.hidden = false;
    ui.stay.hidden = false;
    ui.logIn.hidden = true;
    const tick = () => {
      const left = deadline - Date.now();
      if (left <= 0) return check();
      const time = minutesAndSeconds(left);
      ui.text.textContent = lifetime
        ? "Sessions last at most a set time, and yours ends in " + time +
          ". Save your work: you will then need to log in again."
        : "Nothing has happened for a while, so you will be logged out in " + time +
          ". Anything you have typed stays in this browser.";
    };
    tick();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    open(ui.stay);
  }

  /** `why`: "logout" when the user logged out in another tab, else the session timed out. */
  function showEnded(why) {
    clearInterval(ticker);
    clearTimeout(timer);
    state = "ended";
    ui = ui || build();
    ui.title.textContent = "Your session has ended";
    ui.text.textContent = why === "logout"
      ? "You logged out in another tab or window, so this page is logged out too. Nothing typed here is kept: log in again to carry on."
      : endsBy === "lifetime"
      ? "Sessions last at most a set time, and yours has ended. What you typed is kept in this browser: log in again to carry on."
      : "You were logged out because nothing happened for a while. What you typed is kept in this browser: log in again to carry on where you left off.";
    ui.error.textContent = "";
    ui.logIn.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    ui.stay.hidden = true;
    ui.logOut.hidden = true;
    ui.logIn.hidden = false;
    open(ui.logIn);
  }

  function hide() {
    clearInterval(ticker);
    if (state === "warning") state = "hidden";
    if (ui && ui.dialog.open) ui.dialog.close();
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  async function stayLoggedIn() {
    if (endsBy === "lifetime") {
      // Nothing extends a session past its lifetime: the warning was read, the end will show.
      state = "dismissed";
      hide();
      return schedule();
    }
    ui.stay.disabled = true;
    try {
      const response = await fetch("/session/extend", {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
        cache: "no-store",
      });
      if (!response.ok) return check();
      const status = await response.json();
      learn(status.ends_in_ms, status.ends_by);
      hide();
      schedule();
    } catch {
      ui.error.textContent = "The server could not be reached. Check the connection and try again.";
    } finally {
      ui.stay.disabled = false;
    }
  }

  // Every htmx request may have extended the session: its answer says until when.
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail && event.detail.xhr;
    const left = xhr && xhr.getResponseHeader(LEFT_HEADER);
    if (!left || state === "ended") return;
    learn(Number(left));
    if (state !== "warning") schedule();
  });

  // Timers sleep in background tabs: look again when the page is shown.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || state === "ended") return;
    if (deadline - Date.now() <= warnBefore) check();
    else schedule();
  });

  document.addEventListener("spm:logged-out-elsewhere", () => showEnded("logout"));

  schedule();
})();
