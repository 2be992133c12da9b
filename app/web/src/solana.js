// What the page needs of Solana itself, and nothing more: addresses (base58,
// program-derived addresses), a legacy transaction's wire bytes, and the
// JSON-RPC methods it calls. SHA-256 and the ed25519 curve check come from
// the audited @noble packages; the rest follows the wire format
// (solana-message's legacy Message, compact-u16 lengths) byte for byte.
import { sha256 } from "@noble/hashes/sha256";
import { ed25519 } from "@noble/curves/ed25519";
import bs58 from "bs58";

export const LAMPORTS_PER_SOL = 1_000_000_000;
const PDA_MARKER = new TextEncoder().encode("ProgramDerivedAddress");
const MAX_SEED_LEN = 32;
const MAX_SEEDS = 16;

/** A 32-byte address (an account's or a program's), compared by its bytes. */
export class Key {
  constructor(value) {
    if (value instanceof Key) {
      this.bytes = value.bytes;
    } else if (typeof value === "string") {
      let bytes;
      try {
        bytes = bs58.decode(value);
      } catch {
        throw new Error(`"${value.slice(0, 60)}" is not a base58 address`);
      }
      if (bytes.length !== 32) throw new Error(`"${value.slice(0, 60)}" is ${bytes.length} bytes, not a 32-byte address`);
      this.bytes = Uint8Array.from(bytes);
    } else if (value instanceof Uint8Array || Array.isArray(value)) {
      if (value.length !== 32) throw new Error(`an address is 32 bytes, not ${value.length}`);
      this.bytes = Uint8Array.from(value);
    } else {
      throw new Error(`not an address: ${String(value).slice(0, 60)}`);
    }
  }

  toBase58() {
    return bs58.encode(this.bytes);
  }

  toString() {
    return this.toBase58();
  }

  toJSON() {
    return this.toBase58();
  }

  toBytes() {
    return this.bytes.slice();
  }

  equals(other) {
    const b = other instanceof Key ? other.bytes : new Key(other).bytes;
    return this.bytes.every((x, i) => x === b[i]);
  }

  /**
   * The program-derived address of `seeds` under `programId` and its bump
   * (the first bump from 255 down whose hash is off the ed25519 curve), as
   * solana-pubkey's find_program_address.
   */
  static findProgramAddressSync(seeds, programId) {
    if (seeds.length >= MAX_SEEDS) throw new Error(`at most ${MAX_SEEDS - 1} seeds, not ${seeds.length}`);
    for (const s of seeds) {
      if (s.length > MAX_SEED_LEN) throw new Error(`a seed is at most ${MAX_SEED_LEN} bytes, not ${s.length}`);
    }
    const program = new Key(programId).bytes;
    for (let bump = 255; bump >= 0; bump--) {
      const hash = sha256(concat(...seeds, [bump], program, PDA_MARKER));
      if (!onCurve(hash)) return [new Key(hash), bump];
    }
    throw new Error("no bump gives an address off the curve");
  }
}

export const SYSTEM_PROGRAM = new Key(new Uint8Array(32));
export const CLOCK_SYSVAR = new Key("SysvarC1ock11111111111111111111111111111111");

function onCurve(bytes) {
  try {
    ed25519.ExtendedPoint.fromHex(bytes);
    return true;
  } catch {
    return false;
  }
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** compact-u16: the length prefix of Solana's wire format. */
function shortvec(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if (n === 0) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/**
 * A legacy transaction of `instructions` ({ programId, keys: [{ pubkey,
 * isSigner, isWritable }], data }) paid by `payer`, with `blockhash`, as
 * wire bytes whose signatures are zero (the wallet fills its own). Keys are
 * ordered writable signers (the payer first), read-only signers, writable
 * others, read-only others, each group by its bytes: the bytes
 * solana-message's Message::new_with_blockhash gives (app/cli/tests/web.rs
 * compares them).
 */
export function transactionBytes(instructions, payer, blockhash) {
  const metas = new Map();
  const note = (key, isSigner, isWritable) => {
    const k = new Key(key);
    const id = k.toBase58();
    const m = metas.get(id) ?? { key: k, isSigner: false, isWritable: false };
    m.isSigner ||= isSigner;
    m.isWritable ||= isWritable;
    metas.set(id, m);
  };
  note(payer, true, true);
  for (const ix of instructions) {
    for (const a of ix.keys) note(a.pubkey, a.isSigner, a.isWritable);
    note(ix.programId, false, false);
  }
  const all = [...metas.values()];
  const rank = (m) => (m.isSigner ? 0 : 2) + (m.isWritable ? 0 : 1);
  const byBytes = (a, b) => {
    for (let i = 0; i < 32; i++) if (a.key.bytes[i] !== b.key.bytes[i]) return a.key.bytes[i] - b.key.bytes[i];
    return 0;
  };
  const payerId = new Key(payer).toBase58();
  const ordered = [
    metas.get(payerId),
    ...all.filter((m) => m.key.toBase58() !== payerId).sort((a, b) => rank(a) - rank(b) || byBytes(a, b)),
  ];
  if (ordered.length > 256) throw new Error(`a transaction names at most 256 accounts, not ${ordered.length}`);
  const index = new Map(ordered.map((m, i) => [m.key.toBase58(), i]));
  const signers = ordered.filter((m) => m.isSigner);
  const header = [
    signers.length,
    signers.filter((m) => !m.isWritable).length,
    ordered.filter((m) => !m.isSigner && !m.isWritable).length,
  ];
  const parts = [Uint8Array.from(header), Uint8Array.from(shortvec(ordered.length)), ...ordered.map((m) => m.key.bytes)];
  parts.push(new Key(blockhash).bytes, Uint8Array.from(shortvec(instructions.length)));
  for (const ix of instructions) {
    parts.push(
      Uint8Array.from([index.get(new Key(ix.programId).toBase58())]),
      Uint8Array.from(shortvec(ix.keys.length)),
      Uint8Array.from(ix.keys.map((a) => index.get(new Key(a.pubkey).toBase58()))),
      Uint8Array.from(shortvec(ix.data.length)),
      ix.data,
    );
  }
  const message = concat(...parts);
  if (message.length + 1 + 64 * signers.length > 1232) {
    throw new Error(`the transaction is ${message.length + 1 + 64 * signers.length} bytes; at most 1,232 fit in a packet`);
  }
  return concat(Uint8Array.from(shortvec(signers.length)), new Uint8Array(64 * signers.length), message);
}

export const base64 = {
  encode: (bytes) => {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  },
  decode: (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
};

export const base58 = { encode: (bytes) => bs58.encode(bytes), decode: (text) => Uint8Array.from(bs58.decode(text)) };

/** A JSON-RPC error as the cluster sent it: its code, and for a failed preflight the error and logs. */
export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.message ?? JSON.stringify(error)}`);
    this.code = error.code;
    this.transactionError = error.data?.err ?? null;
    this.logs = error.data?.logs ?? [];
  }
}

/** The JSON-RPC methods the page calls, over fetch. */
export class Rpc {
  constructor(url) {
    this.url = url;
    this.id = 0;
  }

  async call(method, params = []) {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
    });
    if (!response.ok) throw new Error(`${method}: HTTP ${response.status} from ${this.url}`);
    const answer = await response.json();
    if (answer.error) throw new RpcError(method, answer.error);
    return answer.result;
  }

  /** An account's { owner: Key, lamports, data: Uint8Array }, or null where none lives. */
  async account(address) {
    const { value } = await this.call("getAccountInfo", [new Key(address).toBase58(), { encoding: "base64", commitment: "confirmed" }]);
    return value ? accountOf(value) : null;
  }

  /** Every account of `program` passing `filters` (memcmp filters with base58 bytes), as [{ pubkey: Key, account }]. */
  async programAccounts(program, filters) {
    const found = await this.call("getProgramAccounts", [
      new Key(program).toBase58(),
      { encoding: "base64", commitment: "confirmed", filters },
    ]);
    return found.map(({ pubkey, account }) => ({ pubkey: new Key(pubkey), account: accountOf(account) }));
  }
}

function accountOf(value) {
  const [data, encoding] = value.data;
  if (encoding !== "base64") throw new Error(`the cluster answered account data in ${encoding}, not base64`);
  return { owner: new Key(value.owner), lamports: value.lamports, data: base64.decode(data) };
}
