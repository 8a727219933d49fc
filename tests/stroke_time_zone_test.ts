/** Admission times in the user's zone: DST nights in London and New York, offsets, zone names. */
import assert from "node:assert/strict";
import {
  endOfDay,
  formatWithOffset,
  isPlainDate,
  monthKey,
  normaliseTimeZone,
  parseOffsetDateTime,
  readLocalTime,
  resolveLocalTime,
  startOfDay,
  timeZoneNames,
  toLocalInput,
  ZoneMonths,
} from "../lib/stroke/time_zone.ts";

const iso = (d: Date) => d.toISOString();

Deno.test("readLocalTime() gives both readings of 01:30 on London's fall-back night, summer time first", () => {
  const reading = readLocalTime("2026-10-25T01:30", "Europe/London");
  assert.equal(reading.kind, "ambiguous");
  if (reading.kind !== "ambiguous") return;
  const [first, second] = reading.candidates;
  assert.equal(first.offset, "+01:00");
  assert.equal(iso(first.instant), "2026-10-25T00:30:00.000Z");
  assert.equal(first.text, "2026-10-25T01:30:00+01:00");
  assert.equal(second.offset, "+00:00");
  assert.equal(iso(second.instant), "2026-10-25T01:30:00.000Z");
  assert.equal(second.text, "2026-10-25T01:30:00+00:00");
});

Deno.test("readLocalTime() gives both readings of 01:30 on New York's fall-back night", () => {
  const reading = readLocalTime("2026-11-01T01:30", "America/New_York");
  assert.equal(reading.kind, "ambiguous");
  if (reading.kind !== "ambiguous") return;
  assert.deepEqual(reading.candidates.map((c) => [c.offset, iso(c.instant)]), [
    ["-04:00", "2026-11-01T05:30:00.000Z"],
    ["-05:00", "2026-11-01T06:30:00.000Z"],
  ]);
});

Deno.test("readLocalTime() refuses a time in London's spring-forward gap and says when the clocks jumped", () => {
  const reading = readLocalTime("2026-03-29T01:30", "Europe/London");
  assert.equal(reading.kind, "gap");
  if (reading.kind !== "gap") return;
  assert.match(reading.message, /2026-03-29 01:30 did not happen in Europe\/London/);
  assert.match(reading.message, /from 01:00 to 02:00/);
});

Deno.test("readLocalTime() refuses 02:30 on New York's spring-forward night", () => {
  const reading = readLocalTime("2026-03-08T02:30", "America/New_York");
  assert.equal(reading.kind, "gap");
  if (reading.kind !== "gap") return;
  assert.match(reading.message, /America\/New_York: the clocks went forward from 02:00 to 03:00/);
});

Deno.test("readLocalTime() reads an ordinary summer time with its offset", () => {
  const reading = readLocalTime("2026-07-01T12:00", "Europe/London");
  assert.equal(reading.kind, "unique");
  if (reading.kind !== "unique") return;
  assert.equal(iso(reading.candidate.instant), "2026-07-01T11:00:00.000Z");
  assert.equal(reading.candidate.offset, "+01:00");
});

Deno.test("readLocalTime() refuses text that is not a date and time, and impossible dates", () => {
  assert.equal(readLocalTime("25/10/2026 01:30", "Europe/London").kind, "invalid");
  const feb30 = readLocalTime("2026-02-30T10:00", "Europe/London");
  assert.equal(feb30.kind, "invalid");
  assert.match((feb30 as { message: string }).message, /not a real date and time/);
});

Deno.test("resolveLocalTime() takes the earlier reading unless the offset says which", () => {
  const plain = resolveLocalTime("2026-10-25T01:30", "Europe/London");
  assert.ok(plain.ok);
  assert.equal(iso(plain.candidate.instant), "2026-10-25T00:30:00.000Z");
  const later = resolveLocalTime("2026-10-25T01:30", "Europe/London", "+00:00");
  assert.ok(later.ok);
  assert.equal(iso(later.candidate.instant), "2026-10-25T01:30:00.000Z");
  const z = resolveLocalTime("2026-10-25T01:30", "Europe/London", "Z");
  assert.ok(z.ok);
  assert.equal(iso(z.candidate.instant), "2026-10-25T01:30:00.000Z");
  const wrong = resolveLocalTime("2026-10-25T01:30", "Europe/London", "+02:00");
  assert.ok(!wrong.ok);
  assert.match(wrong.message, /at UTC \+01:00 or \+00:00, not \+02:00/);
  const gap = resolveLocalTime("2026-03-29T01:30", "Europe/London", "+00:00");
  assert.ok(!gap.ok);
  assert.match(gap.message, /did not happen/);
});

Deno.test("formatWithOffset() writes the two 01:30s of a fall-back night with their own offsets", () => {
  assert.equal(
    formatWithOffset(new Date("2026-10-25T00:30:00Z"), "Europe/London"),
    "2026-10-25T01:30:00+01:00",
  );
  assert.equal(
    formatWithOffset(new Date("2026-10-25T01:30:00Z"), "Europe/London"),
    "2026-10-25T01:30:00+00:00",
  );
  assert.equal(
    formatWithOffset(Date.parse("2026-11-01T06:30:00Z"), "America/New_York"),
    "2026-11-01T01:30:00-05:00",
  );
  assert.equal(
    formatWithOffset(new Date("2026-01-02T03:04:05.678Z"), "UTC"),
    "2026-01-02T03:04:05.678+00:00",
  );
});

Deno.test("toLocalInput() shows an instant as a datetime-local value in the zone, and back", () => {
  const instant = new Date("2026-10-25T01:30:00Z");
  assert.equal(toLocalInput(instant, "Europe/London"), "2026-10-25T01:30");
  assert.equal(toLocalInput(instant, "America/New_York"), "2026-10-24T21:30");
  const back = resolveLocalTime("2026-10-24T21:30", "America/New_York");
  assert.ok(back.ok);
  assert.equal(back.candidate.instant.getTime(), instant.getTime());
});

Deno.test("parseOffsetDateTime() reads the same instant from any offset, in UTC", () => {
  const texts = [
    "2026-10-25T01:30:00+01:00",
    "2026-10-25T00:30:00Z",
    "2026-10-24T20:30:00-04:00",
    "2026-10-25T00:30Z",
    "2026-10-25t00:30:00.000z",
  ];
  for (const text of texts) {
    const parsed = parseOffsetDateTime(text);
    assert.ok(parsed.ok, text);
    assert.equal(iso(parsed.instant), "2026-10-25T00:30:00.000Z", text);
  }
});

Deno.test("parseOffsetDateTime() refuses a time without an offset, other shapes and impossible values", () => {
  assert.deepEqual(parseOffsetDateTime("2026-10-25T01:30:00"), { ok: false, problem: "no_offset" });
  assert.deepEqual(parseOffsetDateTime("2026-10-25 01:30"), { ok: false, problem: "no_offset" });
  assert.deepEqual(parseOffsetDateTime("2026-10-25"), { ok: false, problem: "format" });
  assert.deepEqual(parseOffsetDateTime("yesterday"), { ok: false, problem: "format" });
  assert.deepEqual(parseOffsetDateTime("2026-02-30T10:00:00Z"), { ok: false, problem: "not_real" });
  assert.deepEqual(parseOffsetDateTime("2026-02-03T24:30:00Z"), { ok: false, problem: "not_real" });
  assert.deepEqual(parseOffsetDateTime("2026-02-03T10:00:00+19:00"), {
    ok: false,
    problem: "not_real",
  });
});

Deno.test("normaliseTimeZone() accepts IANA names in any case and refuses offsets and made-up zones", () => {
  assert.equal(normaliseTimeZone("Europe/London"), "Europe/London");
  assert.equal(normaliseTimeZone("europe/london"), "Europe/London");
  assert.equal(normaliseTimeZone("America/New_York"), "America/New_York");
  assert.equal(normaliseTimeZone("UTC"), "UTC");
  assert.equal(normaliseTimeZone("+01:00"), null);
  assert.equal(normaliseTimeZone("Etc/GMT+5"), null);
  assert.equal(normaliseTimeZone("Mars/Olympus_Mons"), null);
  assert.equal(normaliseTimeZone(""), null);
  assert.equal(normaliseTimeZone(`Europe/${"x".repeat(100)}`), null);
  const names = timeZoneNames();
  assert.equal(names[0], "UTC");
  assert.ok(names.includes("Europe/London") && names.includes("America/New_York"));
});

Deno.test("startOfDay() and endOfDay() bound London's 23-hour and 25-hour days", () => {
  const hours = (date: string) =>
    (endOfDay(date, "Europe/London").getTime() - startOfDay(date, "Europe/London").getTime()) /
    3_600_000;
  assert.equal(hours("2026-03-29"), 23);
  assert.equal(hours("2026-10-25"), 25);
  assert.equal(hours("2026-06-01"), 24);
  assert.equal(iso(startOfDay("2026-07-01", "America/New_York")), "2026-07-01T04:00:00.000Z");
  assert.ok(isPlainDate("2026-02-28"));
  assert.ok(!isPlainDate("2026-02-30"));
  assert.ok(!isPlainDate("2026-2-3"));
});

Deno.test("ZoneMonths places an instant in the month of the zone, not of UTC", () => {
  const kolkata = new ZoneMonths("Asia/Kolkata");
  assert.equal(monthKey(kolkata.monthOf(Date.parse("2026-03-31T18:29:59Z"))), "2026-03");
  assert.equal(monthKey(kolkata.monthOf(Date.parse("2026-03-31T18:30:00Z"))), "2026-04");
  const london = new ZoneMonths("Europe/London");
  assert.equal(monthKey(london.monthOf(Date.parse("2026-03-31T23:30:00Z"))), "2026-04");
  assert.equal(monthKey(london.monthOf(Date.parse("2026-01-31T23:30:00Z"))), "2026-01");
  const newYork = new ZoneMonths("America/New_York");
  assert.equal(monthKey(newYork.monthOf(Date.parse("2026-01-01T04:59:00Z"))), "2025-12");
  assert.equal(monthKey(newYork.monthOf(Date.parse("2026-01-01T05:00:00Z"))), "2026-01");
  // The same answers after other months were looked up (the caches).
  assert.equal(monthKey(kolkata.monthOf(Date.parse("2026-03-31T18:29:59Z"))), "2026-03");
  assert.equal(monthKey(london.monthOf(Date.parse("1999-12-31T23:59:59Z"))), "1999-12");
});
