// The provider directory (docs/DESIGN.md, "The provider directory"), checked
// as the SDK checks it (hdx_sdk::directory): a provider is named only when
// the bundle's SHA-256 is the on-chain one, the bundle lists its id, its NPI's
// check digit is right, and sha256("hdx-credential-v1" || salt || NPI) is the
// provider's on-chain commitment (registered as an NPI commitment, of the
// listed kind). No imports: the same file runs in the page and under node's
// test runner.

const NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi";
const PROVIDER_SYSTEM = "urn:hdx:provider";
const SALT_SYSTEM = "urn:hdx:credential-salt";
const TAG = new TextEncoder().encode("hdx-credential-v1");

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The Luhn check digit of 80840 followed by nine digits. */
export function npiCheckDigit(base9) {
  const digits = [8, 0, 8, 4, 0, ...base9];
  let sum = 0;
  digits.reverse().forEach((d, i) => {
    if (i % 2 === 0) {
      const twice = d * 2;
      sum += Math.floor(twice / 10) + (twice % 10);
    } else sum += d;
  });
  return (10 - (sum % 10)) % 10;
}

/** Whether `text` is 10 digits whose last is the NPI check digit. */
export function validNpi(text) {
  if (!/^\d{10}$/.test(text)) return false;
  const d = Array.from(text, Number);
  return npiCheckDigit(d.slice(0, 9)) === d[9];
}

function fromHex(text) {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g), (b) => parseInt(b, 16));
}

const identifier = (r, system) => (r.identifier ?? []).find((i) => i.system === system)?.value;

/**
 * Names proven by the directory: a Map from provider id (base58) to
 * { name, npi }; `why` when nobody is named, and `unnamed` (id → why) for
 * each provider the directory does not name. `bundle` is the bytes served (or
 * null), `published` the on-chain hash (or null), `providers` the on-chain
 * providers as { id (base58), kind (its name), system (the identifier
 * system's name), commitment (bytes) }.
 */
export async function verifyDirectory(bundle, published, providers) {
  const none = (why) => ({ names: new Map(), why, unnamed: new Map(providers.map((p) => [p.id, why])) });
  if (!published) return none("no provider directory is published");
  if (!bundle) return none("the directory could not be fetched");
  if (hex(await sha256(bundle)) !== hex(published)) {
    return none("the directory served does not match the published hash");
  }
  let parsed;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bundle));
  } catch {
    return none("the directory is not JSON");
  }
  const byId = new Map();
  for (const e of parsed.entry ?? []) {
    const r = e.resource ?? {};
    if (r.resourceType !== "Organization") continue;
    const id = identifier(r, PROVIDER_SYSTEM);
    if (id) byId.set(id, r);
  }
  const names = new Map();
  const unnamed = new Map();
  for (const p of providers) {
    const r = byId.get(p.id);
    const npi = r && identifier(r, NPI_SYSTEM);
    const salt = r && fromHex(identifier(r, SALT_SYSTEM) ?? "");
    let why = null;
    if (!r) why = "not in the published directory";
    else if (p.system !== "us-npi") why = "its on-chain commitment is not to an NPI";
    else if (!npi || !validNpi(npi)) why = "its NPI in the directory has a wrong check digit";
    else if (!salt) why = "its directory entry has no 32-byte salt";
    else if (r.type?.[0]?.coding?.[0]?.code !== p.kind || typeof r.name !== "string") why = "its directory entry names another kind";
    else {
      const input = new Uint8Array([...TAG, ...salt, ...new TextEncoder().encode(npi)]);
      if (hex(await sha256(input)) !== hex(p.commitment)) why = "its salt and NPI do not open its on-chain commitment";
    }
    if (why) unnamed.set(p.id, why);
    else names.set(p.id, { name: r.name, npi });
  }
  return { names, why: null, unnamed };
}
