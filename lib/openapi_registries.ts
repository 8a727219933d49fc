/** The OpenAPI paths of registries: the caller's registries and their members. */
import { type Json, json, type OpenApiArea, pick, problemResponse, ref } from "./openapi_parts.ts";
import { REGISTRY_LIMITS, REGISTRY_ROLES } from "./registry_service.ts";

const tags = ["registries"];

const role = {
  type: "string",
  enum: [...REGISTRY_ROLES],
  description:
    "`owner`: everything an editor may, and rename, delete (when empty) and manage members; `editor`: read, search, add, change, delete and restore records, import, export (plain and de-identified), history, dashboard; `viewer`: read, search, history, dashboard, de-identified export only",
};

const registryId = {
  type: "string",
  maxLength: 64,
  description: "Opaque: pass it back as given (`registry={rid}` on every records endpoint)",
};

const object = (properties: Record<string, Json>, optional: readonly string[] = []): Json => ({
  type: "object",
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  additionalProperties: false,
  properties,
});

const name = {
  type: "string",
  minLength: REGISTRY_LIMITS.name.min,
  maxLength: REGISTRY_LIMITS.name.max,
  description:
    `${REGISTRY_LIMITS.name.min} to ${REGISTRY_LIMITS.name.max} characters once trimmed; no line breaks`,
};

const email = {
  type: "string",
  maxLength: REGISTRY_LIMITS.email,
  description: "Compared trimmed and lower-cased",
};

const ridParameter = {
  name: "rid",
  in: "path",
  required: true,
  description: "The registry's id, as `GET /api/registries` gives it",
  schema: registryId,
};

const emailParameter = {
  name: "email",
  in: "path",
  required: true,
  description: "The member's (or invitation's) email, URL-encoded",
  schema: email,
};

const notFound = problemResponse(
  "No such registry among yours: a registry you are not a member of answers the same",
);
const memberNotFound = problemResponse(
  "No such registry among yours, or no member or invitation with this email in it",
);
const forbidden = problemResponse(
  "Your role does not allow it (`required_role` names the role that does), or the CSRF check failed (session calls only)",
);
const lastOwner = problemResponse(
  "The member is the registry's last active owner: make another member owner first",
);

export function registriesArea(): OpenApiArea {
  return {
    paths: {
      "/api/registries": {
        get: {
          operationId: "listRegistries",
          tags,
          summary: "Your registries: your personal one first, then your teams' by name",
          description:
            "Every registry you are an active member of, with your role and how many members (and invitations) it has. A token made for one registry lists that one only.",
          responses: {
            200: { description: "Your registries", ...json(ref("RegistryList")) },
            ...pick(401, 503),
          },
        },
        post: {
          operationId: "createRegistry",
          tags,
          summary: "Create a team registry; you become its owner",
          description:
            `Add members with \`POST /api/registries/{rid}/members\`. One account may keep at most ${REGISTRY_LIMITS.createdPerUser} registries it created.`,
          requestBody: { required: true, ...json(ref("RegistryName")) },
          responses: {
            201: {
              description: "Created",
              headers: { Location: { schema: { type: "string" } } },
              ...json(ref("NewRegistry")),
            },
            ...pick(400, 401),
            403: problemResponse(
              "A token made for one registry cannot create others, or the CSRF check failed (session calls only)",
            ),
            409: problemResponse(
              `You already keep ${REGISTRY_LIMITS.createdPerUser} registries you created`,
            ),
            ...pick(413, 415, 422, 503),
          },
        },
      },
      "/api/registries/{rid}": {
        parameters: [ridParameter],
        get: {
          operationId: "getRegistry",
          tags,
          summary: "One of your registries, with your role there",
          description:
            "The registry's id and name, whether it is your personal registry, your role in it and how many members and invitations it has. A registry you are not a member of is a 404, as one that does not exist.",
          responses: {
            200: { description: "The registry", ...json(ref("Registry")) },
            ...pick(401),
            404: notFound,
            ...pick(503),
          },
        },
        patch: {
          operationId: "renameRegistry",
          tags,
          summary: "Rename a team registry (owners)",
          description:
            "The new name is trimmed, 1 to 100 characters. Every member sees it at once; the records, members and tokens are unchanged. Editors and viewers get 403, non-members 404.",
          requestBody: { required: true, ...json(ref("RegistryName")) },
          responses: {
            200: { description: "The renamed registry", ...json(ref("Registry")) },
            ...pick(400, 401),
            403: forbidden,
            404: notFound,
            409: problemResponse("A personal registry keeps its name"),
            ...pick(413, 415, 422, 503),
          },
        },
        delete: {
          operationId: "deleteRegistry",
          tags,
          summary: "Delete an empty team registry (owners)",
          description:
            "Only a registry without records (live or recently deleted) can be deleted. It leaves every member's list at once, and the tokens made for it stop working.",
          responses: {
            204: { description: "Deleted" },
            ...pick(401),
            403: forbidden,
            404: notFound,
            409: problemResponse("The registry holds records, or it is your personal registry"),
            ...pick(503),
          },
        },
      },
      "/api/registries/{rid}/members": {
        parameters: [ridParameter],
        get: {
          operationId: "listRegistryMembers",
          tags,
          summary: "The registry's members and invitations, by email (any member)",
          description:
            "Each member and each invitation not yet taken up, by email, with its role and status. Every member may read it; a non-member gets 404.",
          responses: {
            200: { description: "Members and invitations", ...json(ref("MemberList")) },
            ...pick(401),
            404: notFound,
            ...pick(503),
          },
        },
        post: {
          operationId: "addRegistryMember",
          tags,
          summary: "Add a member by email, or invite an email without an account (owners)",
          description:
            `An email with an account joins at once (\`status: "active"\`); another becomes an invitation that takes effect when that email registers (\`status: "invited"\`). At most ${REGISTRY_LIMITS.members} members and invitations per registry.`,
          requestBody: { required: true, ...json(ref("NewMember")) },
          responses: {
            201: { description: "Added or invited", ...json(ref("Member")) },
            ...pick(400, 401),
            403: forbidden,
            404: notFound,
            409: problemResponse(
              `Already a member (or invited), the registry has ${REGISTRY_LIMITS.members} members, or it is your personal registry (which cannot be shared)`,
            ),
            ...pick(413, 415, 422, 503),
          },
        },
      },
      "/api/registries/{rid}/members/{email}": {
        parameters: [ridParameter, emailParameter],
        patch: {
          operationId: "changeRegistryMemberRole",
          tags,
          summary: "Change a member's (or an invitation's) role (owners)",
          description:
            "Applies to the member's very next request, from every session and token. The last active owner cannot be demoted.",
          requestBody: { required: true, ...json(ref("MemberRole")) },
          responses: {
            200: { description: "The member with the new role", ...json(ref("Member")) },
            ...pick(400, 401),
            403: forbidden,
            404: memberNotFound,
            409: lastOwner,
            ...pick(413, 415, 422, 503),
          },
        },
        delete: {
          operationId: "removeRegistryMember",
          tags,
          summary: "Remove a member or an invitation (owners), or leave (any member, own email)",
          description:
            "Applies to the member's very next request, from every session and token. The last active owner cannot leave.",
          responses: {
            204: { description: "Removed" },
            ...pick(401),
            403: forbidden,
            404: memberNotFound,
            409: lastOwner,
            ...pick(503),
          },
        },
      },
    },
    schemas: {
      Registry: object({
        id: registryId,
        name: { type: "string" },
        role,
        personal: { type: "boolean" },
        members: { type: "integer", minimum: 1, description: "Members and invitations" },
      }),
      RegistryList: { type: "array", items: ref("Registry") },
      NewRegistry: object({
        id: registryId,
        name: { type: "string" },
        role: { type: "string", const: "owner" },
        personal: { type: "boolean", const: false },
      }),
      RegistryName: object({ name }),
      Member: object({
        user_id: { type: "integer", description: "The member's account; not for an invitation" },
        name: { type: "string", description: "The member's name; not for an invitation" },
        email: { type: "string" },
        role,
        status: { type: "string", enum: ["active", "invited"] },
      }, ["user_id", "name"]),
      MemberList: { type: "array", items: ref("Member") },
      NewMember: object({ email, role }),
      MemberRole: object({ role }),
    },
  };
}
