/** Stroke-care test data: an admission from the fields a test names, every other one unknown. */
import type { AdmissionFields, AdmissionTimesAs } from "../../lib/stroke/admission_fields.ts";

/** What a test leaves out: an ischaemic stroke, every other field unknown (null). */
const UNKNOWN = {
  stroke_type: "ischaemic",
  last_known_well_at: null,
  imaging_at: null,
  nihss_arrival: null,
  thrombolysis_at: null,
  thrombectomy_at: null,
  discharge_at: null,
  discharge_destination: null,
  mrs_discharge: null,
  mrs_90d: null,
} as const satisfies Omit<AdmissionFields, "arrival_at">;

/**
 * An admission's fields: those given, the rest as {@link UNKNOWN}. Times are `Date`s unless `T`
 * says otherwise (text, as the FHIR mapping also takes).
 */
export function admissionWith<T = Date>(
  fields: Partial<AdmissionTimesAs<T, AdmissionFields>> & { arrival_at: T },
): AdmissionTimesAs<T, AdmissionFields> {
  return { ...UNKNOWN, ...fields };
}
