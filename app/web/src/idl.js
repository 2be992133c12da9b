// Everything the page knows of the program comes from the committed IDL:
// the instruction and account layouts (through src/coder.js),
// the code tables (the IDL's constants), the memcmp offsets (computed from
// the account types) and the error names and messages.
import idl from "../../../idl/health_data_exchange.json";
import { sha256 } from "@noble/hashes/sha256";

export { idl };

/**
 * Accounts the program creates by hand (never an `Account<>` of an
 * instruction), so Anchor's IDL lists their parts but not the accounts: a
 * study's release (state/study.rs), made of the IDL's own types and
 * added here with its discriminator, `sha256("account:StudyRelease")[..8]`.
 * `the_page_encodes_as_the_program_does` decodes one the program wrote.
 */
const HAND_MADE = [{
  name: "StudyRelease",
  fields: [
    { name: "study", type: "pubkey" },
    { name: "index", type: "u32" },
    { name: "version", type: "u8" },
    { name: "bump", type: "u8" },
    { name: "at", type: "i64" },
    { name: "facts", type: { defined: { name: "ReleaseFacts" } } },
    { name: "head", type: { array: ["u8", 32] } },
    { name: "reserved", type: { array: ["u8", 8] } },
  ],
}];
for (const a of HAND_MADE) {
  if (idl.accounts.some((x) => x.name === a.name)) continue; // the IDL names it itself
  idl.types.push({ name: a.name, type: { kind: "struct", fields: a.fields } });
  idl.accounts.push({
    name: a.name,
    discriminator: [...sha256(new TextEncoder().encode(`account:${a.name}`)).slice(0, 8)],
  });
}

const CONSTANTS = Object.fromEntries(
  idl.constants.map((c) => [c.name, c.type === "string" ? JSON.parse(c.value) : c.value]),
);

/** A constant of the IDL by name (numbers as numbers, strings as strings, bytes as arrays). */
export function constant(name) {
  if (!(name in CONSTANTS)) throw new Error(`the IDL has no constant ${name}`);
  const v = CONSTANTS[name];
  if (typeof v === "string" && v.startsWith("[")) return JSON.parse(v);
  return typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
}

const words = (suffix) => suffix.toLowerCase().replace(/_/g, " ");

/**
 * A code table: every u8 constant named PREFIX_X (not the _HL7 companions),
 * sorted by code, as { code, name: "X", label: "x in words", hl7 }.
 */
function table(prefix, labels = {}) {
  return idl.constants
    .filter((c) => c.name.startsWith(prefix) && c.type === "u8")
    .map((c) => {
      const name = c.name.slice(prefix.length);
      const hl7 = CONSTANTS[`${c.name}_HL7`];
      return { code: Number(c.value), name, label: labels[name] ?? words(name), hl7 };
    })
    .sort((a, b) => a.code - b.code);
}

export const CATEGORIES = table("CATEGORY_", { REPRODUCTIVE: "reproductive health" });
export const PURPOSES = table("PURPOSE_");
export const MODES = table("MODE_");
export const OUTCOMES = table("OUTCOME_");
export const ACTIONS = table("ACTION_");
export const PROVIDER_KINDS = table("PROVIDER_KIND_", { IMAGING: "imaging centre" });
export const PROVIDER_STATUSES = table("PROVIDER_STATUS_");
export const EMERGENCY_REASONS = table("EMERGENCY_REASON_");
export const VERDICTS = table("VERDICT_");
export const ENDED_BY = table("ENDED_BY_", { PROVIDER: "closed by the provider", PATIENT: "ended by you" });
export const GUARDIAN_MODES = table("GUARDIAN_MODE_");
export const PROPOSAL_KINDS = table("PROPOSAL_");
/** GA4GH DUO terms a study names (bit = 1 << code), in words. */
export const DUO_TERMS = table("DUO_", {
  GENERAL_RESEARCH_USE: "any research",
  HEALTH_MEDICAL_BIOMEDICAL: "health, medical and biomedical research",
  DISEASE_SPECIFIC: "research on one disease",
  IRB_REQUIRED: "an ethics board's approval",
  PUBLICATION_REQUIRED: "results published",
  NOT_FOR_PROFIT: "not-for-profit use only",
  TIME_LIMIT: "use that ends at a set time",
});

export const byCode = (t, code) => t.find((e) => e.code === code);

/** A code's stable name (what the SDK and the exports print: "laboratory", "us-npi"). */
export function stableName(prefix, code) {
  const c = idl.constants.find((k) => k.name.startsWith(prefix) && k.type === "u8" && Number(k.value) === code);
  return c?.docs?.[0] ?? null;
}

/** The names of the bits set in a mask (bit = 1 << code). */
export function bits(t, mask) {
  return t.filter((e) => (mask & (1 << e.code)) !== 0);
}

/** Modes are masks themselves (MODE_READ = 1, MODE_WRITE = 2). */
export function modeNames(mask) {
  return MODES.filter((m) => (mask & m.code) !== 0).map((m) => m.label);
}

// Anchor decodes a unit enum as { variantName: {} }: its code is the variant's position.
export function enumCode(typeName, value) {
  const def = idl.types.find((t) => t.name === typeName);
  const key = Object.keys(value)[0].toLowerCase();
  return def.type.variants.findIndex((v) => v.name.toLowerCase() === key);
}

export function enumValue(typeName, code) {
  const def = idl.types.find((t) => t.name === typeName);
  const v = def.type.variants[code];
  if (!v) throw new Error(`${typeName} has no code ${code}`);
  return { [v.name.charAt(0).toLowerCase() + v.name.slice(1)]: {} };
}

const PRIMITIVE = { bool: 1, u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, pubkey: 32 };

function sizeOf(type) {
  if (typeof type === "string") {
    if (!(type in PRIMITIVE)) throw new Error(`no fixed size for ${type}`);
    return PRIMITIVE[type];
  }
  if (type.array) return sizeOf(type.array[0]) * type.array[1];
  if (type.defined) {
    const def = idl.types.find((t) => t.name === type.defined.name);
    if (def.type.kind === "enum") return 1;
    return def.type.fields.reduce((n, f) => n + sizeOf(f.type), 0);
  }
  throw new Error(`no fixed size for ${JSON.stringify(type)}`);
}

/** The byte offset of an account's field (after the 8-byte discriminator), for memcmp filters. */
export function offsetOf(account, field) {
  const def = idl.types.find((t) => t.name === account);
  let offset = 8;
  for (const f of def.type.fields) {
    if (f.name === field) return offset;
    offset += sizeOf(f.type);
  }
  throw new Error(`${account} has no field ${field}`);
}

/** The program error with this code, from the IDL ({ code, name, msg }). */
export function programError(code) {
  return idl.errors.find((e) => e.code === code);
}
