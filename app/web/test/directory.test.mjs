// The page's directory check (src/directory.js) against the SDK's
// (hdx_sdk::directory): app/cli/tests/web.rs writes cases (a bundle, the
// published hash, the on-chain providers) with the names the SDK gives, and
// the page must give the same names, case by case. No packages needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { verifyDirectory, validNpi, npiCheckDigit } from "../src/directory.js";

const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const cases = JSON.parse(readFileSync(process.env.HDX_DIRECTORY_CASES, "utf8"));

test("the page names exactly the providers the SDK names, case by case", async () => {
  assert.ok(cases.length >= 5, "cases written");
  for (const c of cases) {
    const bundle = c.bundle_b64 === null ? null : Uint8Array.from(Buffer.from(c.bundle_b64, "base64"));
    const published = c.published === null ? null : fromHex(c.published);
    const providers = c.providers.map((p) => ({ ...p, commitment: fromHex(p.commitment) }));
    const { names } = await verifyDirectory(bundle, published, providers);
    const got = Object.fromEntries(
      c.providers.map((p) => [p.id, names.has(p.id) ? `${names.get(p.id).name} · NPI ${names.get(p.id).npi} ✓` : null]),
    );
    assert.deepEqual(got, c.expect, c.case);
  }
});

test("the NPI check digit is Luhn over 80840", () => {
  assert.equal(npiCheckDigit([1, 2, 3, 4, 5, 6, 7, 8, 9]), 3);
  assert.ok(validNpi("1234567893"));
  assert.ok(validNpi("1245319599"));
  for (const bad of ["1234567890", "123456789", "12345678931", "12345678a3", ""]) assert.ok(!validNpi(bad), bad);
});
