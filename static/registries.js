// The header's registry menu (a <details>, which works without this): Escape closes it and
// gives the focus back to its button, and a click elsewhere closes it.
"use strict";

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !(event.target instanceof Element)) return;
  const menu = event.target.closest("details[data-registry-menu][open]");
  if (!menu) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});

document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details[data-registry-menu][open]")) {
    if (event.target instanceof Node && !menu.contains(event.target)) menu.open = false;
  }
});
