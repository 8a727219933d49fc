/** A message box that can be dismissed, and that leaves by itself after a success (static/app.js). */
import type { Child } from "hono/jsx";

/**
 * A success ("ok") or an error. The ✕ button shows once the script runs (it does the
 * dismissing); a success then leaves by itself after a while, unless the pointer or the focus
 * is on it. An error stays until dismissed.
 */
export function Toast(
  { kind = "ok", live = true, children }: {
    kind?: "ok" | "error" | undefined;
    /** Give it its own role (status or alert); off inside a region that is already live. */
    live?: boolean | undefined;
    children?: Child;
  },
) {
  const role = live ? (kind === "error" ? "alert" : "status") : undefined;
  return (
    <div class={`alert alert-${kind} toast`} role={role} data-toast={kind}>
      <div class="toast-text">{children}</div>
      {/* Its ✕ is drawn by the stylesheet, so that the message's text is the message alone. */}
      <button type="button" class="toast-close" data-dismiss aria-label="Dismiss this message">
      </button>
    </div>
  );
}
