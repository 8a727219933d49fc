/**
 * The account use-cases the routes call, beside `patient_service.ts`: checking a password or a
 * second-factor code (throttled, see `accounts/credentials.ts` and `accounts/second_factor.ts`)
 * and the admins' user list and actions (`accounts/admin.ts`). Each throws typed errors or
 * returns a result the route turns into a page or a JSON answer.
 */
import type { SecurityConfig } from "../config.ts";
import type { User } from "../db/accounts/users.ts";
import {
  type AdminAction,
  type AdminDeps,
  type AdminUser,
  applyAdminAction,
  type SessionEnder,
  usersPage,
} from "./accounts/admin.ts";
import {
  checkCredentials,
  checkOwnPassword,
  type CredentialCheck,
  type OwnPasswordCheck,
} from "./accounts/credentials.ts";
import { checkSecondFactor, type CodeCheck, secondFactorOn } from "./accounts/second_factor.ts";
import type { Paging } from "./query_params.ts";

export interface AccountServiceDeps extends AdminDeps {
  security: SecurityConfig;
}

export interface AccountService {
  /** A login's or a token request's email and password, sent from `client`. */
  checkCredentials(email: string, password: string, client: string): Promise<CredentialCheck>;
  /** The logged-in user's password, entered again (password change, account deletion, …). */
  checkOwnPassword(user: User, password: string, client: string): Promise<OwnPasswordCheck>;
  /** Whether the user has the second factor on (a setup under way does not count). */
  secondFactorOn(userId: number): Promise<boolean>;
  /** A second-factor code (TOTP or recovery) of the user, sent from `client`. */
  checkSecondFactor(userId: number, code: string, client: string): Promise<CodeCheck>;
  /** One page of the users, with how many patients each has. */
  usersPage(paging: Paging): Promise<{ items: AdminUser[]; total: number }>;
  /** An admin's lock, unlock or end-sessions of a user. */
  applyAdminAction(
    request: { action: AdminAction; userId: number; adminId: number; sessions: SessionEnder },
  ): Promise<{ user: AdminUser; ended: number }>;
}

export function createAccountService(deps: AccountServiceDeps): AccountService {
  return {
    checkCredentials: (email, password, client) => checkCredentials(deps, email, password, client),
    checkOwnPassword: (user, password, client) => checkOwnPassword(deps, user, password, client),
    secondFactorOn: (userId) => secondFactorOn(deps.accounts, userId),
    checkSecondFactor: (userId, code, client) => checkSecondFactor(deps, userId, code, client),
    usersPage: (paging) => usersPage(deps, paging),
    applyAdminAction: (request) => applyAdminAction(deps, request),
  };
}
