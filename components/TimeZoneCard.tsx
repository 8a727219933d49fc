/**
 * The profile's time-zone card: the IANA zone the user reads and enters admissions' times in,
 * chosen from every zone this runtime knows (grouped by region, each with its offset now), or
 * the installation's own (`APP_TIMEZONE`).
 */
import { offsetAt, timeZoneNames } from "../lib/stroke/time_zone.ts";
import { Card, CsrfField, FieldError } from "./Form.tsx";

export interface TimeZoneCardProps {
  csrfToken: string;
  /** The zone the user chose; null when they use the installation's. */
  chosen: string | null;
  /** `APP_TIMEZONE`. */
  installation: string;
  /** What was sent, when it was refused. */
  value?: string | undefined;
  error?: string | undefined;
}

/** A zone as a list shows it: `Europe/London (UTC+01:00)`, underscores as spaces. */
export function zoneLabel(zone: string, now: Date = new Date()): string {
  if (zone === "UTC") return zone;
  const offset = offsetAt(now, zone);
  return `${zone.replaceAll("_", " ")} (UTC${offset === "+00:00" ? "" : offset})`;
}

/** The zones by their region (`Europe`, `America`…); UTC and other names without one first. */
function zoneGroups(): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const zone of timeZoneNames()) {
    const region = zone.includes("/") ? zone.slice(0, zone.indexOf("/")) : "";
    groups.set(region, [...groups.get(region) ?? [], zone]);
  }
  return [...groups];
}

export function TimeZoneCard(props: TimeZoneCardProps) {
  const now = new Date();
  const selected = props.value ?? props.chosen ?? "";
  const id = "time_zone";
  return (
    <Card title="Time zone" id="time-zone">
      <form method="post" action="/profile/time-zone" class="stack" novalidate>
        <CsrfField token={props.csrfToken} />
        <div class={props.error ? "field field-invalid" : "field"}>
          <label for={id}>Time zone</label>
          <p class="hint" id={`${id}-hint`}>
            Admissions' times are shown and entered in this zone, and the dashboard's days and
            months are counted in it. Daylight saving time is taken into account.
          </p>
          <select
            id={id}
            name="time_zone"
            aria-invalid={props.error ? "true" : undefined}
            aria-describedby={props.error ? `${id}-hint ${id}-error` : `${id}-hint`}
          >
            <option value="" selected={selected === ""}>
              This installation's: {zoneLabel(props.installation, now)}
            </option>
            {zoneGroups().map(([region, zones]) => {
              const options = zones.map((zone) => (
                <option value={zone} selected={zone === selected}>{zoneLabel(zone, now)}</option>
              ));
              return region ? <optgroup label={region}>{options}</optgroup> : options;
            })}
          </select>
          <FieldError id={id} error={props.error} />
        </div>
        <button type="submit">Save time zone</button>
      </form>
    </Card>
  );
}
