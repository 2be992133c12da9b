// The audit log's hash chain, checked in the browser with WebCrypto: the
// head starts at sha256(LOG_GENESIS_TAG || patient id) and each entry makes
// sha256(head || sequence u64 LE || the entry's 20 bytes); every page stores
// the head after its last entry. The same rules as the SDK's ChainCheck
// (pages contiguous, the previous page full, every code naming something,
// each stored head equal to the fold).
import { constant } from "./idl.js";

const sha256 = async (...parts) => {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
};

const u64le = (n) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Folds every entry of `pages` (decoded LogPage accounts, in page order).
 * `encode` gives an entry's bytes (the IDL's LogEntry layout);
 * `wellFormed` says whether its codes name something.
 * Returns { ok, entries, head } or { ok: false, problem }.
 */
export async function verifyChain(patientId, pagesExpected, pages, capacity, encode, wellFormed) {
  let head = await sha256(Uint8Array.from(constant("LOG_GENESIS_TAG")), patientId);
  let sequence = 0;
  let previousFull = true;
  if (pages.length !== pagesExpected) {
    return { ok: false, problem: `the patient has ${pagesExpected} log pages but the cluster returned ${pages.length}` };
  }
  for (const [i, page] of pages.entries()) {
    if (page.pageIndex !== i) return { ok: false, problem: `log page ${i} is missing` };
    if (!same(page.patient.toBytes(), patientId)) return { ok: false, problem: `log page ${i} belongs to another patient` };
    if (!previousFull) return { ok: false, problem: `log page ${i - 1} was not full when page ${i} was opened` };
    if (Number(page.firstSequence) !== sequence) {
      return { ok: false, problem: `log page ${i} starts at entry ${page.firstSequence}, expected ${sequence}` };
    }
    for (const entry of page.entries.slice(0, page.count)) {
      if (!wellFormed(entry)) return { ok: false, problem: `entry ${sequence} carries a code that names nothing` };
      head = await sha256(head, u64le(sequence), encode(entry));
      sequence += 1;
    }
    if (!same(head, Uint8Array.from(page.head))) {
      return { ok: false, problem: `the entries up to ${sequence - 1} do not fold to the head stored on log page ${i}` };
    }
    previousFull = page.count >= capacity;
  }
  return { ok: true, entries: sequence, head: hex(head) };
}
