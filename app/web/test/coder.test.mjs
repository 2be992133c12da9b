// The page's own client (src/solana.js, src/coder.js) against the program's
// and the SDK's Rust: app/cli/tests/web.rs writes the cases (PDAs, whole
// instructions and unsigned transactions with arguments at their extremes,
// a patient and a log page as the program stores them). The sources are
// bundled here by esbuild with the IDL web.rs names, as build.mjs bundles
// the page, and imported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
// 64-bit values travel as decimal strings; the page hands them to the coder as BigInt.
const WIDE = new Set(["notBefore", "expiresAt", "registeredAt", "firstSequence"]);
const cases = JSON.parse(readFileSync(process.env.HDX_CODER_CASES, "utf8"), (k, v) => (WIDE.has(k) ? BigInt(v) : v));

const built = await esbuild.build({
  stdin: { contents: 'export * from "./src/solana.js"; export * from "./src/coder.js";', resolveDir: join(here, "..") },
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "warning",
  plugins: [{
    name: "idl",
    setup(b) {
      b.onResolve({ filter: /health_data_exchange\.json$/ }, () => ({ path: process.env.HDX_IDL }));
    },
  }],
});
const file = join(mkdtempSync(join(tmpdir(), "hdx-coder-")), "client.mjs");
writeFileSync(file, built.outputFiles[0].contents);
const { Key, PROGRAM_ID, transactionBytes, instruction, decodeAccount, encodeType } = await import(pathToFileURL(file));

const accounts = new Map(Object.entries(cases.accounts).map(([k, v]) => [k, { data: fromHex(v) }]));
const read = async (address) => accounts.get(address.toBase58()) ?? null;

test("program-derived addresses are the SDK's, bumps below 255 included", () => {
  assert.equal(PROGRAM_ID.toBase58(), cases.program);
  const below = cases.pdas.filter((p) => Number(p.bump) < 255).length;
  assert.ok(below >= 8, `${below} cases reach the curve check`);
  for (const p of cases.pdas) {
    const [address, bump] = Key.findProgramAddressSync(p.seeds.map(fromHex), PROGRAM_ID);
    assert.equal(address.toBase58(), p.address);
    assert.equal(bump, Number(p.bump));
  }
});

test("instructions and unsigned transactions are the bytes the Rust SDK builds", async () => {
  assert.equal(cases.instructions.length, 5);
  for (const c of cases.instructions) {
    const args = structuredClone(c.args);
    if (c.name === "addRecord") args.args.locator = fromHex(args.args.locator);
    const ix = await instruction(c.name, args, c.given, read);
    assert.equal(toHex(ix.data), c.data, `${c.name}: data`);
    assert.deepEqual(
      ix.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable })),
      c.keys,
      `${c.name}: accounts`,
    );
    assert.equal(toHex(transactionBytes([ix], c.payer, cases.blockhash)), c.tx, `${c.name}: transaction`);
  }
});

test("a patient and a log page decode as the program wrote them; entries encode back to the hashed bytes", () => {
  const p = decodeAccount("patient", fromHex(cases.patient.data));
  const e = cases.patient.expect;
  assert.equal(p.id.toBase58(), e.id);
  assert.equal(p.authority.toBase58(), e.authority);
  assert.deepEqual(p.guardianMode, e.guardianMode);
  assert.equal(p.recordCount, Number(e.recordCount));
  assert.equal(p.logPages, Number(e.logPages));
  assert.equal(p.consentRevisions, Number(e.consentRevisions));
  // i64::MIN is beyond a double's exact integers: it decodes as a BigInt, exact.
  assert.equal(p.registeredAt, e.registeredAt);
  assert.deepEqual(p.emergency, { optOut: true, excluded: Number(e.emergency.excluded) });

  const page = decodeAccount("logPage", fromHex(cases.logPage.data));
  assert.equal(page.count, cases.logPage.entries.length);
  assert.equal(page.firstSequence, cases.logPage.firstSequence);
  page.entries.slice(0, page.count).forEach((entry, i) => {
    assert.equal(toHex(encodeType("LogEntry", entry)), cases.logPage.entries[i], `entry ${i}`);
  });
});

test("a study release, an account the IDL does not list, decodes as the program wrote it", () => {
  const r = decodeAccount("studyRelease", fromHex(cases.studyRelease.data));
  const e = cases.studyRelease.expect;
  assert.equal(r.study.toBase58(), e.study);
  assert.equal(r.index, e.index);
  assert.equal(String(r.at), e.at);
  assert.equal(String(r.facts.epsilonMilli), e.epsilonMilli);
  assert.equal(r.facts.cohortSize, e.cohortSize);
  assert.equal(r.facts.cohortSlot, e.cohortSlot);
  assert.equal(toHex(Uint8Array.from(r.facts.queryHash)), e.queryHash);
  assert.equal(toHex(Uint8Array.from(r.facts.cohortHash)), e.cohortHash);
  assert.equal(toHex(Uint8Array.from(r.head)), e.head);
  assert.throws(() => decodeAccount("studyRelease", fromHex(cases.patient.data)), /not a StudyRelease/);
});

test("bad input is refused by name, and another account kind is never misread", async () => {
  const grant = cases.instructions.find((c) => c.name === "grantConsent");
  const terms = (change) => ({ terms: { ...structuredClone(grant.args.terms), ...change } });
  await assert.rejects(instruction("grantConsent", terms({ categories: 65536 }), grant.given, read), /grantConsent\.terms\.categories: 65536 does not fit a u16/);
  await assert.rejects(instruction("grantConsent", terms({ notBefore: 1n << 63n }), grant.given, read), /does not fit an i64/);
  await assert.rejects(instruction("grantConsent", terms({ modes: -1 }), grant.given, read), /does not fit a u8/);
  const { accessLimit, ...partial } = grant.args.terms;
  await assert.rejects(instruction("grantConsent", { terms: partial }, grant.given, read), /grantConsent\.terms\.accessLimit is missing/);
  const { patient, ...noPatient } = grant.given;
  await assert.rejects(instruction("grantConsent", grant.args, noPatient, read), /patient must be given/);
  await assert.rejects(instruction("grantConsent", grant.args, grant.given, async () => null), /no Patient account at/);
  await assert.rejects(instruction("noSuchThing", {}, {}, read), /no instruction noSuchThing/);
  assert.throws(() => decodeAccount("logPage", fromHex(cases.patient.data)), /not a LogPage/);
  assert.throws(() => decodeAccount("patient", fromHex(cases.patient.data).slice(0, 40)), /too short/);
  assert.throws(() => new Key("0OIl"), /not a base58 address/);
  assert.throws(() => new Key("1111"), /not a 32-byte address/);
});
