// Nothing typed is lost. The add and edit patient forms are kept in this tab's sessionStorage
// while they are typed into (never sent anywhere), put back when the same form appears again —
// after logging back in once the idle timeout has ended the session, say — and forgotten once
// the server has taken them. Drafts belong to the logged-in user and to the session's draft
// scope (<meta name="spm-drafts">, kept from login to logout): another user's page removes them,
// and so does logging out — in every tab of the browser, told by a BroadcastChannel (or, without
// one, a storage event) — and a page of a later session drops those of an ended one.
"use strict";

(() => {
  let storage = null;
  try {
    storage = globalThis.sessionStorage;
  } catch {
    return; // storage disabled: the forms work as before
  }
  const PREFIX = "spm-draft:";
  const meta = document.querySelector('meta[name="spm-session"]');
  let user = null;
  try {
    user = meta ? String(JSON.parse(meta.getAttribute("content") || "").user) : null;
  } catch {
    user = null;
  }
  const scopeMeta = document.querySelector('meta[name="spm-drafts"]');
  const scope = scopeMeta ? scopeMeta.getAttribute("content") || "" : "";
  /** How one tab tells the others that the user logged out. */
  const LOGOUT_MESSAGE = "spm-logged-out";
  const channel = typeof BroadcastChannel === "function"
    ? new BroadcastChannel("spm-session")
    : null;
  const SKIPPED_TYPES = ["hidden", "password", "file", "submit", "button", "reset", "image"];
  /** The values each kept form had when it appeared (what "Discard" goes back to). */
  const baselines = new WeakMap();

  /**
   * A kept form's key: the add form posts to /patients, an edit form to /patients/<id>; in a
   * team registry (`?registry=<rid>` in the address) the key names it, so that a draft comes
   * back only in the registry it was typed in.
   */
  function formKey(form) {
    if (!(form instanceof HTMLFormElement)) return null;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return null;
    const action = address(form.getAttribute("action"));
    const match = action && /^\/patients(?:\/(\d+))?$/.exec(action.path);
    if (!match) return null;
    return inRegistry(match[1] ? "patient-" + match[1] : "new-patient", action.registry);
  }

  /** An address of the app as its path and its team registry ("" for none), or null. */
  function address(text) {
    try {
      const url = new URL(text || "", "http://x.invalid");
      const registry = (url.searchParams.get("registry") || "").replace(/[^a-z0-9]/gi, "");
      return { path: url.pathname, registry };
    } catch {
      return null;
    }
  }

  /** A form's key in a team registry names it ("<rid>/patient-12"). */
  const inRegistry = (key, registry) => registry ? registry + "/" + key : key;

  /** `spm-draft:<user>:<scope>:<form>`: a draft is the user's, in one session's scope. */
  const storageKey = (key) => PREFIX + user + ":" + scope + ":" + key;
  /** The scope part of a draft's key ("" when it has none: an older key). */
  const scopeOf = (fullKey) => {
    const parts = fullKey.slice(PREFIX.length).split(":");
    return parts.length === 3 ? parts[1] : "";
  };

  function read(fullKey) {
    try {
      return JSON.parse(storage.getItem(fullKey) || "null");
    } catch {
      return null;
    }
  }

  function draftKeys() {
    const keys = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key && key.startsWith(PREFIX)) keys.push(key);
    }
    return keys;
  }

  /** The form's own controls (those outside it through `form=` too), without secrets and tokens. */
  function controls(form) {
    return Array.from(form.elements).filter((el) =>
      el.name && el.name !== "_csrf" && !SKIPPED_TYPES.includes(el.type)
    );
  }

  function valuesOf(form) {
    const values = {};
    for (const el of controls(form)) {
      values[el.name] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
    }
    return values;
  }

  function setValues(form, values) {
    for (const el of controls(form)) {
      if (!(el.name in values)) continue;
      if (el.type === "checkbox" || el.type === "radio") el.checked = values[el.name] === true;
      else el.value = values[el.name];
    }
  }

  function same(a, b) {
    return Object.keys(a).every((name) => !(name in b) || a[name] === b[name]);
  }

  function revisionOf(form) {
    const field = form.elements.namedItem("revision");
    return field && "value" in field ? field.value : undefined;
  }

  function save(form) {
    const key = formKey(form);
    if (!key || user === null) return;
    const values = valuesOf(form);
    const baseline = baselines.get(form);
    if (baseline && same(values, baseline)) {
      storage.removeItem(storageKey(key));
      return;
    }
    const draft = { values, revision: revisionOf(form), saved_at: Date.now() };
    try {
      storage.setItem(storageKey(key), JSON.stringify(draft));
    } catch {
      // storage full: nothing more to do
    }
  }

  function note(form, message, withDiscard) {
    const old = form.querySelector(".draft-note");
    if (old) old.remove();
    const paragraph = document.createElement("p");
    paragraph.className = "draft-note";
    paragraph.setAttribute("role", "status");
    paragraph.textContent = message + " ";
    if (withDiscard) {
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button-small button-secondary";
      discard.textContent = "Discard";
      discard.addEventListener("click", () => {
        setValues(form, baselines.get(form) || {});
        storage.removeItem(storageKey(formKey(form)));
        paragraph.remove();
      });
      paragraph.append(discard);
    }
    form.prepend(paragraph);
  }

  /** Notes a form's starting values and puts back its draft, if it has one. */
  function restore(form) {
    const key = formKey(form);
    if (!key || baselines.has(form)) return;
    baselines.set(form, valuesOf(form));
    if (user === null) return;
    const draft = read(storageKey(key));
    if (!draft || !draft.values) return;
    if (draft.revision !== undefined && draft.revision !== revisionOf(form)) {
      // Someone saved this record meanwhile: their values stand, as after any stale edit.
      storage.removeItem(storageKey(key));
      note(
        form,
        "This patient was changed since you began editing, so your unsaved changes were not put back.",
        false,
      );
      return;
    }
    if (draft.submitted) {
      delete draft.submitted;
      storage.setItem(storageKey(key), JSON.stringify(draft));
    }
    if (same(draft.values, valuesOf(form))) return;
    setValues(form, draft.values);
    const details = form.closest("details");
    if (details) details.open = true;
    note(
      form,
      form.closest("tr") ? "Unsaved changes restored." : "What you typed before is back.",
      true,
    );
  }

  function restoreWithin(root) {
    if (!(root instanceof Element)) return;
    if (root instanceof HTMLFormElement) restore(root);
    root.querySelectorAll("form").forEach(restore);
    // An edit row's inputs stand outside its form: the form may be the only thing in a cell.
    const owner = root.closest && root.closest("form");
    if (owner) restore(owner);
  }

  /** Removes every draft this tab keeps (after a logout here or in another tab). */
  function forgetAll() {
    for (const key of draftKeys()) storage.removeItem(key);
  }

  function settle() {
    for (const key of draftKeys()) {
      const draft = read(key);
      if (user === null) {
        // Logged out. Still in the session's scope (the idle timeout ended it): kept for after
        // the login. In none, or another (a logout ended it): never to be put back.
        if (scope === "" || scopeOf(key) !== scope) {
          storage.removeItem(key);
        } else if (draft && draft.submitted) {
          delete draft.submitted;
          storage.setItem(key, JSON.stringify(draft));
        }
        continue;
      }
      if (!key.startsWith(PREFIX + user + ":" + scope + ":")) {
        storage.removeItem(key); // another user's, on a shared computer, or an ended session's
        continue;
      }
      const present = Array.from(document.forms).some((form) =>
        formKey(form) && storageKey(formKey(form)) === key
      );
      // A form sent as a whole page and not shown again was saved.
      if (draft && draft.submitted && !present) storage.removeItem(key);
    }
    Array.from(document.forms).forEach(restore);
  }

  /** After a login, opens the edit rows that have a draft, so that they are put back too. */
  function reopenEdits() {
    let from = "";
    try {
      from = new URL(document.referrer).pathname;
    } catch {
      return;
    }
    if (user === null || (from !== "/login" && from !== "/login/code")) return;
    // A row's Edit, known by its address (as app.js's EDIT_LINK).
    const edits = Array.from(
      document.querySelectorAll("#patient-table td:last-child > a[href*='/edit']"),
    );
    for (const key of draftKeys()) {
      const match = new RegExp(
        "^" + PREFIX + user + ":" + scope + ":(?:([a-z0-9]+)/)?patient-(\\d+)$",
      )
        .exec(key);
      if (!match) continue;
      const wanted = inRegistry("patient-" + match[2], match[1] || "");
      const edit = edits.find((link) => {
        const at = address(link.getAttribute("href"));
        return at && at.path === "/patients/" + match[2] + "/edit" &&
          inRegistry("patient-" + match[2], at.registry) === wanted;
      });
      const open = Array.from(document.forms).some((form) => formKey(form) === wanted);
      if (edit && !open) edit.click();
    }
  }

  /**
   * The list fetches its add form when the add panel first opens: when a draft of it is kept,
   * the panel is opened, so that the form comes, and the draft back into it (htmx:load below).
   */
  function reopenAdd() {
    if (user === null) return;
    const body = document.querySelector("details#add:not([open]) [hx-get]");
    const at = body && address(body.getAttribute("hx-get"));
    if (!at) return;
    const draft = read(storageKey(inRegistry("new-patient", at.registry)));
    if (draft && draft.values && !draft.submitted) body.closest("details").open = true;
  }

  /** After the page is ready (htmx has set up its panels and links). */
  function reopen() {
    reopenEdits();
    reopenAdd();
  }

  document.addEventListener("input", (event) => {
    if (event.target && event.target.form) save(event.target.form);
  });
  document.addEventListener("change", (event) => {
    if (event.target && event.target.form) save(event.target.form);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.getAttribute("action") === "/logout") {
      // Logging out here: this tab's drafts go now, and every other tab is told to drop its own.
      document.documentElement.dataset.loggingOut = "true";
      forgetAll();
      user = null;
      if (channel) channel.postMessage({ type: LOGOUT_MESSAGE });
      else {
        try {
          globalThis.localStorage.setItem(LOGOUT_MESSAGE, String(Date.now()));
        } catch {
          // no localStorage either: the next page of each tab drops them (see settle)
        }
      }
      return;
    }
    const key = formKey(form);
    // htmx sends its forms itself (below); a whole-page form is marked, and settled on the next page.
    if (!key || user === null || form.hasAttribute("hx-post") || form.hasAttribute("hx-put")) {
      return;
    }
    const draft = read(storageKey(key));
    if (draft) {
      draft.submitted = true;
      storage.setItem(storageKey(key), JSON.stringify(draft));
    }
  });

  // The server took an htmx form (or showed the record's current values after a conflict, or
  // the edit was cancelled): the draft has done its job.
  document.addEventListener("htmx:beforeOnLoad", (event) => {
    const detail = event.detail || {};
    const elt = (detail.requestConfig && detail.requestConfig.elt) || event.target;
    const status = detail.xhr ? detail.xhr.status : 0;
    if (!(status >= 200 && status < 300) && status !== 409) return;
    let key = formKey(elt);
    if (!key && elt instanceof Element) {
      const at = address(elt.getAttribute("hx-get"));
      const cancel = at && /^\/patients\/(\d+)\/row$/.exec(at.path);
      if (cancel) key = inRegistry("patient-" + cancel[1], at.registry);
    }
    if (key && user !== null) storage.removeItem(storageKey(key));
  });

  document.addEventListener(
    "htmx:load",
    (event) => restoreWithin(event.detail && event.detail.elt),
  );

  /** Another tab logged out: this one keeps nothing more, and says the session ended. */
  function loggedOutElsewhere() {
    if (document.documentElement.dataset.loggingOut === "true") return;
    forgetAll();
    user = null;
    document.dispatchEvent(new CustomEvent("spm:logged-out-elsewhere"));
  }
  if (channel) {
    channel.addEventListener("message", (event) => {
      if (event.data && event.data.type === LOGOUT_MESSAGE) loggedOutElsewhere();
    });
  } else {
    globalThis.addEventListener("storage", (event) => {
      if (event.key === LOGOUT_MESSAGE && event.newValue) loggedOutElsewhere();
    });
  }

  settle();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reopen);
  } else {
    setTimeout(reopen, 0);
  }
})();
