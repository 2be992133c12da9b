// The page's upload (src/gateway.js) against the SDK's (hdx_sdk::gateway,
// hdx_sdk::cid): app/cli/tests/web.rs writes cases (hashes, record indices,
// categories and times at their extremes) with the SDK's CID, request line
// and a signature over its off-chain message; the page must build the same
// CID and line, and the SDK's signature must verify over the page's message
// bytes. No packages needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { cidOf, uploadLine, offchainMessage } from "../src/gateway.js";

const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const cases = JSON.parse(readFileSync(process.env.HDX_UPLOAD_CASES, "utf8"));
const ed25519 = (raw) =>
  createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });

test("the page's CID, line and signed bytes are the SDK's, case by case", () => {
  assert.equal(cases.length, 4, "cases written");
  for (const c of cases) {
    const hash = fromHex(c.hash);
    assert.equal(cidOf(hash), c.cid, c.hash);
    const line = uploadLine(c.path, c.record, c.category, hash, c.time, c.nonce);
    assert.equal(line, c.line);
    const message = offchainMessage(line);
    assert.ok(verify(null, message, ed25519(fromHex(c.signer)), fromHex(c.signature)), `the SDK's signature verifies over the page's bytes: ${line}`);
    // One byte of the line different: the signature no longer verifies (the check can fail).
    const other = offchainMessage(line.replace("record=", "record=1"));
    assert.equal(verify(null, other, ed25519(fromHex(c.signer)), fromHex(c.signature)), false);
  }
});

test("a line a Ledger cannot show is refused before any wallet sees it", () => {
  assert.throws(() => offchainMessage(""), /not short printable ASCII/);
  assert.throws(() => offchainMessage("é"), /not short printable ASCII/);
  assert.throws(() => offchainMessage("a\nb"), /not short printable ASCII/);
  assert.throws(() => offchainMessage("x".repeat(1213)), /not short printable ASCII/);
  assert.equal(offchainMessage("x".repeat(1212)).length, 16 + 4 + 1212);
});
