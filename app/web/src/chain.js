// The page's client of the program: the committed IDL (src/coder.js) builds
// every instruction and decodes every account, over the cluster's JSON-RPC
// (src/solana.js). Transactions are simulated first (one that would fail is
// never offered to the wallet), signed by the wallet, and sent through the
// page's own RPC connection.
import { Key, Rpc, RpcError, CLOCK_SYSVAR, base58, base64, transactionBytes } from "./solana.js";
import { PROGRAM_ID, accountKind, decodeAccount, instruction, programErrorInLogs } from "./coder.js";
import { constant, enumCode, offsetOf, programError, stableName } from "./idl.js";
import { verifyDirectory } from "./directory.js";

export { PROGRAM_ID };

/**
 * Every account carries its layout version (docs/DESIGN.md, "Layouts"): one
 * this page does not know is refused by name, never misread.
 */
export function checkLayout(name, account) {
  const known = constant("LAYOUT_VERSION");
  if (account.version !== known) {
    throw new PageError(
      "program",
      `A ${name} account has layout version ${account.version}; this page reads version ${known}. Reload a newer page.`,
    );
  }
}

/**
 * The directory account (docs/DESIGN.md, "The provider directory"), decoded
 * by hand: no instruction reads it as a typed account, so the IDL lists it
 * among neither accounts nor types. Layout: discriminator (sha256("account:Directory")[0..8]),
 * bundle SHA-256 (32), revision u32, entries u32, published_at i64, version u8, bump u8, reserved.
 */
async function decodeDirectory(info) {
  const data = new Uint8Array(info.data);
  if (!info.owner.equals(PROGRAM_ID) || data.length < 58) {
    throw new PageError("program", "The account at the directory's address is not the program's directory.");
  }
  const tag = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("account:Directory")));
  if (!tag.slice(0, 8).every((b, i) => b === data[i])) {
    throw new PageError("program", "The account at the directory's address is not a directory.");
  }
  const version = data[56];
  checkLayout("directory", { version });
  return { bundleSha256: data.slice(8, 40), version };
}

/** A failure the page explains to a person: what happened, in words, and nothing changed. */
export class PageError extends Error {
  constructor(kind, message, detail = {}) {
    super(message);
    this.kind = kind; // "network" | "program" | "rejected" | "transaction" | "input" | "busy"
    Object.assign(this, detail);
  }
}

export class Chain {
  constructor(url) {
    this.url = url;
    this.connection = new Rpc(url);
  }

  /** Runs an RPC call; a cluster that cannot be reached is named by its URL. */
  async rpc(what, call) {
    try {
      return await call();
    } catch (e) {
      throw this.classify(e, what);
    }
  }

  /** A failure to reach the cluster (also inside Anchor's account resolution) as a PageError naming the URL. */
  classify(e, what = "reading accounts") {
    if (e instanceof PageError) return e;
    const text = String(e?.message ?? e);
    if (/fetch|network|Failed to|ECONNREFUSED|NetworkError|Load failed/i.test(text)) {
      return new PageError("network", `Cannot reach the cluster at ${this.url} (${what}): ${text}`);
    }
    return e;
  }

  filter(account, field, key) {
    return { memcmp: { offset: offsetOf(account, field), bytes: new Key(key).toBase58() } };
  }

  /** Every account of kind `name` (`logPage`) passing `filters`, as [{ publicKey, account }], layouts checked. */
  async all(name, filters = []) {
    const kind = accountKind(name);
    const tag = { memcmp: { offset: 0, bytes: base58.encode(Uint8Array.from(kind.discriminator)) } };
    const found = await this.rpc(`reading ${name} accounts`, () =>
      this.connection.programAccounts(PROGRAM_ID, [tag, ...filters]),
    );
    return found.map(({ pubkey, account }) => {
      if (!account.owner.equals(PROGRAM_ID)) {
        throw new PageError("program", `The cluster returned ${pubkey} as the program's, but another program owns it.`);
      }
      const decoded = this.decode(name, pubkey, account.data);
      return { publicKey: pubkey, account: decoded };
    });
  }

  /** An account's bytes decoded as `name`, or a PageError naming the address and what is wrong. */
  decode(name, address, data) {
    let account;
    try {
      account = decodeAccount(name, data);
    } catch (e) {
      throw new PageError("program", `The account at ${address} cannot be read as a ${name}: ${e.message}.`);
    }
    checkLayout(name, account);
    return account;
  }

  /** Instruction `name` with `args` and the `accounts` given; the IDL derives the rest (src/coder.js). */
  async instruction(name, args, accounts) {
    return instruction(name, args, accounts, (address) =>
      this.rpc("reading an account the instruction names", () => this.connection.account(address)),
    );
  }

  async balance(key) {
    const { value } = await this.rpc("reading the balance", () =>
      this.connection.call("getBalance", [new Key(key).toBase58(), { commitment: "confirmed" }]),
    );
    return value;
  }

  async airdrop(key, lamports) {
    const sig = await this.rpc("requesting test SOL", () =>
      this.connection.call("requestAirdrop", [new Key(key).toBase58(), lamports, { commitment: "confirmed" }]),
    );
    await this.confirm(sig);
  }

  /** The patient the wallet's key controls (by the `authority` field), if any. */
  async patientOf(key) {
    const found = await this.all("patient", [this.filter("Patient", "authority", key)]);
    return found[0] ?? null;
  }

  /** Everything the page shows of one patient, read at once. */
  async load(patient) {
    const id = patient.account.id;
    const mine = (account) => [this.filter(account, "patient", id)];
    const [registry, providers, records, consents, pages, windows, guardianSets, proposals, studies, enrollments] =
      await Promise.all([
        this.all("registry"),
        this.all("provider"),
        this.all("record", mine("Record")),
        this.all("consent", mine("Consent")),
        this.all("logPage", mine("LogPage")),
        this.all("emergencyWindow", mine("EmergencyWindow")),
        this.all("guardianSet", mine("GuardianSet")),
        this.all("proposal", mine("Proposal")),
        this.all("study"),
        this.all("enrollment", mine("Enrollment")),
      ]);
    // The releases of the studies the patient joined (each study's log).
    const releases = (await Promise.all(enrollments.map(({ account: e }) =>
      this.all("studyRelease", [this.filter("StudyRelease", "study", e.study)])))).flat();
    return {
      patient,
      registry: registry[0]?.account ?? null,
      providers,
      records: records.sort((a, b) => a.account.index - b.account.index),
      consents: consents.map(flatConsent),
      pages: pages.sort((a, b) => a.account.pageIndex - b.account.pageIndex),
      windows: windows.sort((a, b) => a.account.index - b.account.index),
      guardianSet: guardianSets[0] ?? null,
      proposals: proposals.sort((a, b) => a.account.index - b.account.index),
      studies: studies.sort((a, b) => Number(a.account.createdAt) - Number(b.account.createdAt)),
      enrollments,
      releases: releases.sort((a, b) => a.account.index - b.account.index),
    };
  }

  /** One consent account, fetched now (flattened as `load` gives them), or null. */
  async consent(address) {
    const info = await this.rpc("reading the consent", () => this.connection.account(address));
    if (!info) return null;
    if (!info.owner.equals(PROGRAM_ID)) throw new PageError("program", `The account at ${address} is not the program's.`);
    const c = this.decode("consent", address, info.data);
    return flatConsent({ publicKey: new Key(address), account: c }).account;
  }

  /**
   * The providers the published directory names ({ names: Map(id → { name, npi }), why }):
   * the on-chain hash, the bundle from this cluster's /directory, each entry checked
   * against the provider's own commitment (src/directory.js).
   */
  async directoryNames(providers) {
    const [address] = Key.findProgramAddressSync([new TextEncoder().encode("directory")], PROGRAM_ID);
    const info = await this.rpc("reading the provider directory", () => this.connection.account(address));
    const published = info ? await decodeDirectory(info) : null;
    let bundle = null;
    if (published) {
      try {
        const response = await fetch(new URL("/directory", this.url), { cache: "no-store" });
        if (response.ok) bundle = new Uint8Array(await response.arrayBuffer());
      } catch {
        bundle = null; // named below: "could not be fetched"
      }
    }
    return verifyDirectory(
      bundle,
      published ? published.bundleSha256 : null,
      providers.map(({ account: p }) => ({
        id: p.id.toBase58(),
        kind: stableName("PROVIDER_KIND_", enumCode("ProviderKind", p.kind)),
        system: stableName("IDENTIFIER_SYSTEM_", enumCode("IdentifierSystem", p.identifierSystem)),
        commitment: Uint8Array.from(p.credentialCommitment),
      })),
    );
  }

  /** Open proposals of every patient whose guardians include `key`. */
  async guardianOf(key) {
    const k = new Key(key);
    const sets = (await this.all("guardianSet")).filter((s) =>
      s.account.guardians.slice(0, s.account.count).some((g) => g.equals(k)),
    );
    const proposals = [];
    for (const set of sets) {
      const ps = await this.all("proposal", [this.filter("Proposal", "patient", set.account.patient)]);
      for (const p of ps) proposals.push({ set, proposal: p });
    }
    return proposals;
  }

  async trackerFor(patientId, providerId) {
    const found = await this.all("emergencyTracker", [
      this.filter("EmergencyTracker", "patient", patientId),
      this.filter("EmergencyTracker", "provider", providerId),
    ]);
    return found[0]?.publicKey ?? null;
  }

  /** The cluster's clock (the Clock sysvar's unix_timestamp), which decides every consent. */
  async now() {
    const clock = await this.rpc("reading the clock", () => this.connection.account(CLOCK_SYSVAR));
    // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp (8 bytes each).
    if (!clock || clock.data.length < 40) return Math.floor(Date.now() / 1000);
    return Number(new DataView(clock.data.buffer, clock.data.byteOffset).getBigInt64(32, true));
  }

  /**
   * Simulates `instructions` with `payer` as fee payer; if they would
   * succeed, asks `sign` (the wallet) to sign, sends the signed bytes and
   * waits for confirmation. Any failure is a PageError saying what happened.
   */
  async send(instructions, payer, sign) {
    const {
      value: { blockhash, lastValidBlockHeight },
    } = await this.rpc("fetching a blockhash", () => this.connection.call("getLatestBlockhash", [{ commitment: "confirmed" }]));
    const unsigned = transactionBytes(instructions, payer, blockhash);

    const sim = await this.rpc("simulating the transaction", () =>
      this.connection.call("simulateTransaction", [
        base64.encode(unsigned),
        { encoding: "base64", commitment: "confirmed", sigVerify: false, replaceRecentBlockhash: false },
      ]),
    );
    if (sim.value.err) throw explain(sim.value.err, sim.value.logs ?? []);

    let signed;
    try {
      signed = await sign(unsigned);
    } catch (e) {
      if (isRejection(e)) {
        throw new PageError("rejected", "You declined to sign in your wallet. Nothing was sent and nothing changed.");
      }
      throw new PageError("rejected", `The wallet did not sign: ${e?.message ?? e}. Nothing was sent and nothing changed.`);
    }
    let signature;
    try {
      signature = await this.rpc("sending the transaction", () =>
        this.connection.call("sendTransaction", [
          base64.encode(new Uint8Array(signed)),
          { encoding: "base64", skipPreflight: false, preflightCommitment: "confirmed", maxRetries: 3 },
        ]),
      );
    } catch (e) {
      if (e instanceof PageError) throw e;
      throw explain(e instanceof RpcError ? (e.transactionError ?? e.message) : String(e?.message ?? e), e?.logs ?? []);
    }
    await this.confirm(signature, lastValidBlockHeight);
    return signature;
  }

  async confirm(signature, lastValidBlockHeight) {
    for (let i = 0; i < 120; i++) {
      const { value } = await this.rpc("confirming the transaction", () =>
        this.connection.call("getSignatureStatuses", [[signature]]),
      );
      const s = value[0];
      if (s?.err) throw explain(s.err, []);
      if (s && (s.confirmationStatus === "confirmed" || s.confirmationStatus === "finalized")) return;
      if (lastValidBlockHeight !== undefined && i % 10 === 9) {
        const h = await this.rpc("confirming the transaction", () =>
          this.connection.call("getBlockHeight", [{ commitment: "confirmed" }]),
        );
        if (h > lastValidBlockHeight) {
          throw new PageError("transaction", `The transaction ${signature} expired before it landed; nothing changed. Try again.`);
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new PageError("transaction", `No confirmation of ${signature} from ${this.url} within 30 s; check again before retrying.`);
  }
}

export function isRejection(e) {
  return e?.code === 4001 || /reject|denied|declined|cancel/i.test(String(e?.message ?? e));
}

/** A failed simulation or transaction, explained: the program's error by name and in words. */
export function explain(err, logs) {
  const parsed = programErrorInLogs(logs);
  if (parsed) {
    const known = programError(parsed.number);
    return new PageError("program", `${parsed.code}: ${known?.msg ?? parsed.message}`, { error: parsed.code, logs });
  }
  const custom = err?.InstructionError?.[1]?.Custom;
  if (custom !== undefined) {
    const known = programError(custom);
    if (known) return new PageError("program", `${known.name}: ${known.msg}`, { error: known.name, logs });
  }
  const text = typeof err === "string" ? err : JSON.stringify(err);
  if (/AccountNotFound|InsufficientFundsForFee|insufficient/i.test(text)) {
    return new PageError("transaction", "Your wallet has no SOL to pay the transaction fee; nothing changed.", { logs });
  }
  return new PageError("transaction", `The cluster refused the transaction (${text}); nothing changed.`, { logs });
}

/** A consent account with its terms beside its other fields (`c.categories`, `c.expiresAt`, ...). */
export function flatConsent({ publicKey, account }) {
  return { publicKey, account: { ...account, ...account.terms } };
}
