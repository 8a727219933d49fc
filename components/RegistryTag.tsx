/** Which team registry a records page is in, beside its heading: "· Stroke unit (viewer)". */
import { teamRegistry } from "./registry_url.ts";

/**
 * " · Stroke unit (viewer)" inside a records page's `<h1>` when the page is in a team registry
 * (nothing in the personal one, whose pages look as they always did). The name is cut short
 * with an ellipsis on a narrow screen; its full text stays in the title.
 */
export function RegistryTag() {
  const team = teamRegistry();
  if (!team) return null;
  // The space before it is outside: a narrow screen takes the tag to a line of its own rather
  // than break the heading's words.
  return (
    <>
      {" "}
      <span class="registry-tag" title={`${team.name} (your role: ${team.role})`}>
        {"· "}
        <span class="registry-tag-name">{team.name}</span>{" "}
        <span class="registry-tag-role">({team.role})</span>
      </span>
    </>
  );
}
