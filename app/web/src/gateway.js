// The data gateway from the page (app/sdk/src/gateway.rs is the protocol):
// a file chosen by the patient goes to the gateway as the data of the
// patient's next record, signed by the wallet as `hdx record upload` signs
// (a version-0 Solana off-chain message over one line naming the path, the
// record, its category, the SHA-256, the time and a nonce). The page
// encrypts nothing itself: the gateway seals the data at rest. No imports but
// the base58 encoder the wallet's signature is sent in, so the line and the
// CID can be checked under node's test runner too.

export const PROTOCOL = "hdx-gateway-v2";
/** Restricted ASCII, at most this long: a Ledger can sign it (solana-offchain-message). */
const MAX_LEDGER_LEN = 1212;
const SIGNING_DOMAIN = [0xff, ...new TextEncoder().encode("solana offchain")];
/** CIDv1, raw codec, sha2-256, 32-byte digest (app/sdk/src/cid.rs). */
const CID_PREFIX = [0x01, 0x55, 0x12, 0x20];
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The gateway's error, named: `{ error, message }` as it answered, or why there was no answer. */
export class GatewayError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

/** Multibase base32 (lowercase, no padding) of the CIDv1 naming content whose SHA-256 is `hash`. */
export function cidOf(hash) {
  const bytes = [...CID_PREFIX, ...hash];
  let out = "b";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** The line an upload signs (hdx_sdk::gateway::upload_line). */
export function uploadLine(path, record, category, sha256, time, nonce) {
  return `${PROTOCOL} PUT ${path} record=${record} category=${category} sha256=${hex(sha256)} time=${time} nonce=${nonce}`;
}

/**
 * The bytes a wallet signs for `line`: Solana's off-chain message, version 0,
 * restricted-ASCII format ("\xffsolana offchain", 0, 0, length u16 LE, line).
 */
export function offchainMessage(line) {
  const text = new TextEncoder().encode(line);
  if (text.length === 0 || text.length > MAX_LEDGER_LEN || text.some((b) => b < 0x20 || b > 0x7e)) {
    throw new GatewayError("BadRequest", "the request line is not short printable ASCII");
  }
  const out = new Uint8Array(SIGNING_DOMAIN.length + 4 + text.length);
  out.set(SIGNING_DOMAIN, 0);
  let at = SIGNING_DOMAIN.length;
  out[at++] = 0; // version
  out[at++] = 0; // format: restricted ASCII
  out[at++] = text.length & 0xff;
  out[at++] = text.length >> 8;
  out.set(text, at);
  return out;
}

async function answer(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { error: `HTTP ${response.status}`, message: text.slice(0, 200) };
  }
}

/**
 * Uploads `bytes` to the gateway at `base` as the data of record `record`
 * (category `category`, its stable name) of `patient`; `sign(message)` is
 * the wallet's signature over the message bytes, `encode58` the signature's
 * base58 text. Returns { hash, locator, cid } once the gateway's receipt
 * names exactly this content and this record.
 */
export async function upload({ base, patient, record, category, bytes, sign, encode58, signer, now }) {
  const root = base.replace(/\/+$/, "");
  const reach = async (what, f) => {
    try {
      return await f();
    } catch (e) {
      throw new GatewayError("GatewayUnreachable", `Cannot reach the gateway at ${root} (${what}): ${e?.message ?? e}`);
    }
  };
  const health = await reach("asking what it accepts", async () => {
    const r = await fetch(`${root}/v1/health`, { cache: "no-store" });
    return r.ok ? r.json() : {};
  });
  if (health.protocol !== PROTOCOL) {
    throw new GatewayError("NotAGateway", `${root} does not answer as an hdx gateway (${PROTOCOL}); check the gateway's URL.`);
  }
  if (bytes.length === 0) throw new GatewayError("EmptyFile", "The file is empty; there is nothing to add.");
  if (bytes.length > health.max_upload) {
    throw new GatewayError("TooLarge", `The file is ${bytes.length} bytes; this gateway takes at most ${health.max_upload}.`);
  }
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const cid = cidOf(hash);
  const path = `/v1/blobs/${patient}/${cid}`;
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const time = Math.floor(now);
  const signature = await sign(offchainMessage(uploadLine(path, record, category, hash, time, nonce)));
  const response = await reach("uploading", () =>
    fetch(`${root}${path}?record=${record}&category=${category}`, {
      method: "PUT",
      body: bytes,
      headers: {
        "content-type": "application/octet-stream",
        "x-hdx-signer": signer,
        "x-hdx-signature": encode58(signature),
        "x-hdx-time": String(time),
        "x-hdx-nonce": nonce,
      },
    }));
  const receipt = await answer(response);
  if (!response.ok) throw new GatewayError(receipt.error ?? `HTTP ${response.status}`, receipt.message ?? "");
  // The receipt must name what was sent: a gateway that answers for other content or another record is not believed.
  if (receipt.cid !== cid || receipt.content_hash !== hex(hash) || receipt.record !== record || receipt.patient !== patient ||
    receipt.locator !== `ipfs://${cid}`) {
    throw new GatewayError("BadReceipt", `the gateway's receipt is not for this file and record: ${JSON.stringify(receipt).slice(0, 300)}`);
  }
  return { hash, cid, locator: receipt.locator };
}
