// The program's client, read from the committed IDL: Borsh encoding of
// instruction arguments, decoding of accounts (discriminator checked), each
// instruction's accounts with its PDAs derived from the IDL's seeds, and the
// program's errors read back from the logs. What @anchor-lang/core's coder
// does for this page, without web3.js: names are camelCase (`recordCount`,
// `logPage`), a unit enum is { variantName: {} }, u64/i64 are numbers while
// they are exact and BigInt beyond, byte arrays are plain arrays, `bytes`
// is a Uint8Array and an address is a Key.
import { Key, concat } from "./solana.js";
import { idl } from "./idl.js";

export const PROGRAM_ID = new Key(idl.address);

export const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const lowerFirst = (name) => name.charAt(0).toLowerCase() + name.slice(1);

const TYPES = new Map(idl.types.map((t) => [t.name, t]));
const typeDef = (name) => {
  const t = TYPES.get(name);
  if (!t) throw new Error(`the IDL has no type ${name}`);
  return t;
};

const INTS = { u8: [1, false], i8: [1, true], u16: [2, false], i16: [2, true], u32: [4, false], i32: [4, true], u64: [8, false], i64: [8, true] };

class Writer {
  constructor() {
    this.parts = [];
  }
  bytes(b) {
    this.parts.push(Uint8Array.from(b));
  }
  int(size, signed, value, what) {
    const v = BigInt(value);
    const bits = BigInt(size * 8);
    const min = signed ? -(1n << (bits - 1n)) : 0n;
    const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (v < min || v > max) throw new Error(`${what}: ${v} does not fit a${signed ? "n i" : " u"}${size * 8}`);
    const out = new Uint8Array(size);
    let u = BigInt.asUintN(size * 8, v);
    for (let i = 0; i < size; i++) {
      out[i] = Number(u & 0xffn);
      u >>= 8n;
    }
    this.parts.push(out);
  }
  done() {
    return concat(...this.parts);
  }
}

function encode(w, type, value, what) {
  if (typeof type === "string") {
    if (type in INTS) {
      if (value === undefined || value === null || value === "") throw new Error(`${what} is missing`);
      return w.int(...INTS[type], value, what);
    }
    if (type === "bool") return w.bytes([value ? 1 : 0]);
    if (type === "pubkey") return w.bytes(new Key(value).bytes);
    if (type === "bytes") {
      w.int(4, false, value.length, what);
      return w.bytes(value);
    }
    if (type === "string") {
      const b = new TextEncoder().encode(value);
      w.int(4, false, b.length, what);
      return w.bytes(b);
    }
    throw new Error(`${what}: the page cannot encode ${type}`);
  }
  if (type.array) {
    const [inner, len] = type.array;
    if (!value || value.length !== len) throw new Error(`${what} must have ${len} items, not ${value?.length}`);
    if (inner === "u8") return w.bytes(value);
    return Array.from(value).forEach((v, i) => encode(w, inner, v, `${what}[${i}]`));
  }
  if (type.vec) {
    w.int(4, false, value.length, what);
    return Array.from(value).forEach((v, i) => encode(w, type.vec, v, `${what}[${i}]`));
  }
  if (type.option) {
    if (value === null || value === undefined) return w.bytes([0]);
    w.bytes([1]);
    return encode(w, type.option, value, what);
  }
  if (type.defined) {
    const def = typeDef(type.defined.name);
    if (def.type.kind === "struct") return encodeFields(w, def.type.fields ?? [], value, what);
    if (def.type.kind === "enum") {
      if (!value || typeof value !== "object") throw new Error(`${what} must be one of ${def.name}'s variants`);
      const [key] = Object.keys(value);
      const index = def.type.variants.findIndex((v) => v.name.toLowerCase() === key?.toLowerCase());
      if (index < 0) throw new Error(`${what}: ${def.name} has no variant ${key}`);
      w.bytes([index]);
      return encodeFields(w, def.type.variants[index].fields ?? [], value[key], `${what}.${key}`);
    }
  }
  throw new Error(`${what}: the page cannot encode ${JSON.stringify(type)}`);
}

function encodeFields(w, fields, value, what) {
  fields.forEach((f, i) => {
    if (f.name === undefined) return encode(w, f, value[i], `${what}[${i}]`);
    const name = camel(f.name);
    if (!value || !(name in value)) throw new Error(`${what}.${name} is missing`);
    encode(w, f.type, value[name], `${what}.${name}`);
  });
}

class Reader {
  constructor(data, what) {
    this.data = data;
    this.at = 0;
    this.what = what;
  }
  take(n) {
    if (this.at + n > this.data.length) throw new Error(`${this.what} is ${this.data.length} bytes, too short for its layout`);
    const out = this.data.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  int(size, signed) {
    const b = this.take(size);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (signed) v = BigInt.asIntN(size * 8, v);
    if (size < 8) return Number(v);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}

function decode(r, type) {
  if (typeof type === "string") {
    if (type in INTS) return r.int(...INTS[type]);
    if (type === "bool") return r.take(1)[0] !== 0;
    if (type === "pubkey") return new Key(r.take(32));
    if (type === "bytes") return r.take(r.int(4, false)).slice();
    if (type === "string") return new TextDecoder().decode(r.take(r.int(4, false)));
    throw new Error(`the page cannot decode ${type}`);
  }
  if (type.array) {
    const [inner, len] = type.array;
    if (inner === "u8") return Array.from(r.take(len));
    return Array.from({ length: len }, () => decode(r, inner));
  }
  if (type.vec) return Array.from({ length: r.int(4, false) }, () => decode(r, type.vec));
  if (type.option) return r.take(1)[0] ? decode(r, type.option) : null;
  if (type.defined) {
    const def = typeDef(type.defined.name);
    if (def.type.kind === "struct") return decodeFields(r, def.type.fields ?? []);
    if (def.type.kind === "enum") {
      const index = r.take(1)[0];
      const v = def.type.variants[index];
      if (!v) throw new Error(`${r.what}: ${def.name} has no variant ${index}`);
      return { [lowerFirst(v.name)]: decodeFields(r, v.fields ?? []) };
    }
  }
  throw new Error(`the page cannot decode ${JSON.stringify(type)}`);
}

function decodeFields(r, fields) {
  if (fields.length && fields[0].name === undefined) return fields.map((t) => decode(r, t));
  return Object.fromEntries(fields.map((f) => [camel(f.name), decode(r, f.type)]));
}

/** A type of the IDL (`LogEntry`) as its Borsh bytes. */
export function encodeType(name, value) {
  const w = new Writer();
  encode(w, { defined: { name } }, value, name);
  return w.done();
}

const ACCOUNTS = new Map(idl.accounts.map((a) => [lowerFirst(a.name), a]));

/** The account kind named `name` (`logPage`), with its discriminator. */
export function accountKind(name) {
  const a = ACCOUNTS.get(name);
  if (!a) throw new Error(`the IDL has no account ${name}`);
  return a;
}

/**
 * An account's data decoded as kind `name`; refused unless it starts with
 * that kind's discriminator (another kind's bytes are never misread).
 */
export function decodeAccount(name, data) {
  const kind = accountKind(name);
  if (data.length < 8 || !kind.discriminator.every((b, i) => data[i] === b)) {
    throw new Error(`the account is not a ${kind.name}`);
  }
  const r = new Reader(data, `a ${kind.name} account`);
  r.take(8);
  return decode(r, { defined: { name: kind.name } });
}

const INSTRUCTIONS = new Map(idl.instructions.map((i) => [camel(i.name), i]));

/**
 * Instruction `name` (`grantConsent`) with `args` (by the IDL's argument
 * names, camelCase) and `given` accounts; the IDL fills the rest: fixed
 * addresses, and PDAs from their seeds (a seed naming a field of another
 * account reads that account through `read(address, kind)`). An account
 * that can be neither given nor derived is named.
 */
export async function instruction(name, args, given, read) {
  const ix = INSTRUCTIONS.get(name);
  if (!ix) throw new Error(`the program has no instruction ${name}`);
  const w = new Writer();
  w.bytes(ix.discriminator);
  for (const a of ix.args) {
    const key = camel(a.name);
    if (!(key in args)) throw new Error(`${name}: the argument ${key} is missing`);
    encode(w, a.type, args[key], `${name}.${key}`);
  }
  const resolved = new Map(Object.entries(given).map(([k, v]) => [k, new Key(v)]));
  const decoded = new Map();
  const fieldOf = async (account, kind, path) => {
    const address = resolved.get(camel(account));
    if (!address) throw new Error(`${name}: ${camel(account)} must be given before ${path} can be read`);
    const cacheKey = `${address}/${kind}`;
    if (!decoded.has(cacheKey)) {
      const info = await read(address);
      if (!info) throw new Error(`${name}: no ${kind} account at ${address}`);
      decoded.set(cacheKey, decodeAccount(lowerFirst(kind), info.data));
    }
    const def = typeDef(kind).type.fields.find((f) => f.name === path);
    return { type: def.type, value: decoded.get(cacheKey)[camel(path)] };
  };
  const seedBytes = async (seed) => {
    if (seed.kind === "const") return Uint8Array.from(seed.value);
    if (seed.kind === "arg") {
      const [head, ...rest] = seed.path.split(".");
      let value = args[camel(head)];
      let type = ix.args.find((a) => a.name === head).type;
      for (const part of rest) {
        type = typeDef(type.defined.name).type.fields.find((f) => f.name === part).type;
        value = value[camel(part)];
      }
      const sw = new Writer();
      encode(sw, type, value, seed.path);
      return sw.done();
    }
    if (seed.kind === "account") {
      const [account, field] = seed.path.split(".");
      if (field === undefined) {
        const key = resolved.get(camel(account));
        if (!key) throw new Error(`${name}: ${camel(account)} must be given`);
        return key.bytes;
      }
      const { type, value } = await fieldOf(account, seed.account, field);
      const sw = new Writer();
      encode(sw, type, value, seed.path);
      return sw.done();
    }
    throw new Error(`${name}: the page cannot derive a ${seed.kind} seed`);
  };
  for (const a of ix.accounts) {
    if (a.accounts) throw new Error(`${name}: nested account groups are not read by the page`);
    const key = camel(a.name);
    if (resolved.has(key)) continue;
    if (a.address) {
      resolved.set(key, new Key(a.address));
    } else if (a.pda) {
      if (a.pda.program) throw new Error(`${name}: ${key} is derived under another program`);
      const seeds = [];
      for (const s of a.pda.seeds) seeds.push(await seedBytes(s));
      resolved.set(key, Key.findProgramAddressSync(seeds, PROGRAM_ID)[0]);
    } else if (a.optional) {
      resolved.set(key, PROGRAM_ID);
    } else {
      throw new Error(`${name}: the account ${key} must be given`);
    }
  }
  return {
    programId: PROGRAM_ID,
    keys: ix.accounts.map((a) => ({ pubkey: resolved.get(camel(a.name)), isSigner: !!a.signer, isWritable: !!a.writable })),
    data: w.done(),
  };
}

/**
 * The program's error as its logs give it (Anchor's "AnchorError ...
 * Error Code: X. Error Number: N. Error Message: M." line), or null.
 */
export function programErrorInLogs(logs) {
  for (const line of logs) {
    const m = /AnchorError.*?Error Code: (\w+)\. Error Number: (\d+)\. Error Message: (.*?)\.?$/.exec(line);
    if (m) return { code: m[1], number: Number(m[2]), message: m[3] };
  }
  return null;
}
