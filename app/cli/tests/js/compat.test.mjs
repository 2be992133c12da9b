// Stock clients nobody here wrote, against `hdx serve` (started, and given
// a scene with every account type, by app/cli/tests/clients.rs):
// - @solana/kit registers a patient with a v0 transaction (blockhash,
//   send, confirmation through signature/slot subscriptions) and reads the
//   account back;
// - @anchor-lang/core, with only the committed IDL, fetches every account
//   type with `program.account.X.all()` and receives an event through
//   `addEventListener` (logsSubscribe, `Program data:` lines).
// Run with node's own test runner: `node --test compat.test.mjs`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  address,
  airdropFactory,
  appendTransactionMessageInstruction,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressEncoder,
  getProgramDerivedAddress,
  getSignatureFromTransaction,
  lamports,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  AccountRole,
} from "@solana/kit";
import * as anchor from "@anchor-lang/core";

const URL = process.env.HDX_RPC_URL;
const WS_URL = process.env.HDX_WS_URL;
const IDL = JSON.parse(readFileSync(process.env.HDX_IDL, "utf8"));
const AUTHORITY = process.env.HDX_REGISTRY_AUTHORITY;
assert.ok(URL && WS_URL && IDL && AUTHORITY, "the Rust test passes the node's URLs, the IDL and the registry authority");

const PROGRAM = address(IDL.address);
const SYSTEM = address("11111111111111111111111111111111");
const enc = getAddressEncoder();
const u32le = (n) => new Uint8Array(new Uint32Array([n]).buffer);
const utf8 = (s) => new TextEncoder().encode(s);

test("@solana/kit registers a patient and reads the account back", async () => {
  const rpc = createSolanaRpc(URL);
  const rpcSubscriptions = createSolanaRpcSubscriptions(WS_URL);
  const patient = await generateKeyPairSigner();
  await airdropFactory({ rpc, rpcSubscriptions })({
    recipientAddress: patient.address,
    lamports: lamports(10_000_000_000n),
    commitment: "confirmed",
  });

  const [patientPda] = await getProgramDerivedAddress({
    programAddress: PROGRAM,
    seeds: [utf8("patient"), enc.encode(patient.address)],
  });
  const [pagePda] = await getProgramDerivedAddress({
    programAddress: PROGRAM,
    seeds: [utf8("log"), enc.encode(patient.address), u32le(0)],
  });
  const register = IDL.instructions.find((i) => i.name === "register_patient");
  const instruction = {
    programAddress: PROGRAM,
    accounts: [
      { address: patient.address, role: AccountRole.WRITABLE_SIGNER, signer: patient },
      { address: patientPda, role: AccountRole.WRITABLE },
      { address: pagePda, role: AccountRole.WRITABLE },
      { address: SYSTEM, role: AccountRole.READONLY },
    ],
    data: new Uint8Array(register.discriminator),
  };
  const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(patient, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    (m) => appendTransactionMessageInstruction(instruction, m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  await sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions })(signed, {
    commitment: "confirmed",
  });
  const signature = getSignatureFromTransaction(signed);
  const { value: statuses } = await rpc.getSignatureStatuses([signature]).send();
  assert.equal(statuses[0].err, null);

  const { value: account } = await rpc
    .getAccountInfo(patientPda, { encoding: "base64" })
    .send();
  assert.ok(account, "the patient account exists");
  assert.equal(account.owner, PROGRAM);
  const data = Buffer.from(account.data[0], "base64");
  const discriminator = IDL.accounts.find((a) => a.name === "Patient").discriminator;
  assert.deepEqual([...data.subarray(0, 8)], discriminator);
  // id at 8, authority at 40: both the registering key.
  assert.deepEqual([...data.subarray(8, 40)], [...enc.encode(patient.address)]);
  assert.deepEqual([...data.subarray(40, 72)], [...enc.encode(patient.address)]);
});

test("@anchor-lang/core fetches every account type and hears an event", async () => {
  const connection = new anchor.web3.Connection(URL, {
    commitment: "confirmed",
    wsEndpoint: WS_URL,
  });
  const payer = anchor.web3.Keypair.generate();
  const airdrop = await connection.requestAirdrop(payer.publicKey, 10_000_000_000);
  const latest = await connection.getLatestBlockhash();
  await connection.confirmTransaction({ signature: airdrop, ...latest }, "confirmed");
  const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(payer), {
    commitment: "confirmed",
  });
  const program = new anchor.Program(IDL, provider);

  const kinds = ["registry", "provider", "patient", "record", "consent", "logPage"];
  for (const kind of kinds) {
    const all = await program.account[kind].all();
    assert.ok(all.length >= 1, `${kind}: at least one account (the scene)`);
  }
  const [registry] = await program.account.registry.all();
  assert.equal(registry.account.authority.toBase58(), AUTHORITY);
  const pages = await program.account.logPage.all();
  assert.ok(
    pages.some((p) => p.account.count > 0),
    "a log page with entries decodes (zero-copy layout through the IDL)",
  );
  const consents = await program.account.consent.all();
  assert.ok(consents[0].account.revision >= 1);

  // An event through addEventListener (logsSubscribe + Program data: lines).
  const newcomer = anchor.web3.Keypair.generate();
  const fund = await connection.requestAirdrop(newcomer.publicKey, 1_000_000_000);
  const fundLatest = await connection.getLatestBlockhash();
  await connection.confirmTransaction({ signature: fund, ...fundLatest }, "confirmed");
  let listener;
  const heard = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no PatientRegistered event within 15 s")), 15_000);
    listener = program.addEventListener("patientRegistered", (event, slot, signature) => {
      clearTimeout(timer);
      resolve({ event, slot, signature });
    });
  });
  // Give the subscription a moment to be registered before the transaction lands.
  await new Promise((r) => setTimeout(r, 500));
  const signature = await program.methods
    .registerPatient()
    .accounts({ id: newcomer.publicKey })
    .signers([newcomer])
    .rpc();
  const { event, signature: eventSignature } = await heard;
  assert.equal(event.patient.toBase58(), newcomer.publicKey.toBase58());
  assert.equal(eventSignature, signature);
  await program.removeEventListener(listener);
  const fetched = await program.account.patient.fetch(
    anchor.web3.PublicKey.findProgramAddressSync(
      [Buffer.from("patient"), newcomer.publicKey.toBuffer()],
      program.programId,
    )[0],
  );
  assert.equal(fetched.authority.toBase58(), newcomer.publicKey.toBase58());
  // Close the websocket so the process can exit.
  await connection._rpcWebSocket?.close?.();
});
