/** The rules of account fields — name, email, password, token name — written once for forms, the API and the OpenAPI document. */
import { z } from "zod";

export const ACCOUNT_RULES = {
  /** `login_data.name` is VARCHAR(255). */
  name: { max: 255 },
  /** `login_data.email` is VARCHAR(255). */
  email: { max: 255 },
  /** Counted in characters (bcrypt pre-hashes what is over 72 bytes). */
  password: { min: 8, max: 128 },
  /** `api_tokens.name` is VARCHAR(100). */
  tokenName: { max: 100 },
} as const;

/** The hint under a new-password field. */
export const PASSWORD_HINT =
  `${ACCOUNT_RULES.password.min} to ${ACCOUNT_RULES.password.max} characters`;

const emailSchema = z.email().max(ACCOUNT_RULES.email.max);

/** The problem with a name, as a message (or undefined). */
export function nameProblem(name: string): string | undefined {
  if (name.trim() === "") return "Enter your name";
  if (name.trim().length > ACCOUNT_RULES.name.max) {
    return `Use at most ${ACCOUNT_RULES.name.max} characters`;
  }
  return undefined;
}

/** The problem with an email address (already trimmed and lower-cased), or undefined. */
export function emailProblem(email: string): string | undefined {
  return emailSchema.safeParse(email).success
    ? undefined
    : "Enter a valid email address, like name@example.org";
}

/** The problem with a token name (already trimmed), or undefined. */
export function tokenNameProblem(name: string): string | undefined {
  if (name === "") return "Give the token a name";
  if (name.length > ACCOUNT_RULES.tokenName.max) {
    return `Use at most ${ACCOUNT_RULES.tokenName.max} characters`;
  }
  return undefined;
}

/** Problems with a new password, as messages for the form (empty when it is fine). */
export function passwordProblems(password: string, confirmation: string): string[] {
  const { min, max } = ACCOUNT_RULES.password;
  const problems: string[] = [];
  const length = [...password].length;
  if (length < min) problems.push(`Use at least ${min} characters`);
  else if (length > max) problems.push(`Use at most ${max} characters`);
  if (password !== confirmation) problems.push("The two passwords do not match");
  return problems;
}
