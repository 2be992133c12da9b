// The patient's page: wiring between the wallet, the cluster and the DOM.
import { Chain, PageError, PROGRAM_ID, isRejection } from "./chain.js";
import { encodeType } from "./coder.js";
import { Key, LAMPORTS_PER_SOL, SYSTEM_PROGRAM, base58 } from "./solana.js";
import { upload, GatewayError } from "./gateway.js";
import {
  idl, constant, CATEGORIES, PURPOSES, MODES, OUTCOMES, ACTIONS, EMERGENCY_REASONS, VERDICTS, ENDED_BY,
  GUARDIAN_MODES, DUO_TERMS, byCode, bits, enumCode, enumValue, stableName,
} from "./idl.js";
import {
  consentSentence, providerName, setProvenNames, isNamed, date, time, day, isoDay, dayNumber, parseIsoDay, short, list, categoryNames, isLive,
} from "./format.js";
import { solanaWallets, onWalletsChanged, Connected } from "./wallet.js";
import { verifyChain } from "./verify.js";

const $ = (id) => document.getElementById(id);
const u32le = (n) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const DAY = constant("SECONDS_PER_DAY");
const CAPACITY = idl.types.find((t) => t.name === "LogPage").type.fields.find((f) => f.name === "entries").type.array[1];
const GRANTED = constant("OUTCOME_GRANTED");
const EMERGENCY_ACTIONS = [constant("ACTION_EMERGENCY_OPEN"), constant("ACTION_EMERGENCY_READ")];
const SYSTEM = SYSTEM_PROGRAM;

/** Disclosures shown at a time (`?rows=N` in the page's URL sets another step). */
const ROWS_STEP = Math.max(1, Number(new URLSearchParams(location.search).get("rows")) || 200);

const state = {
  chain: null, wallet: null, patient: null, data: null, providers: [], now: 0, editing: null, busy: false, refreshes: 0,
  logRows: ROWS_STEP,
};

/** Builds an element: h("button", { type: "button", onclick }, "Revoke"). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function say(text) {
  $("status").textContent = text;
}

function fail(e) {
  const kind = e instanceof PageError ? e.kind : "error";
  const text = e instanceof PageError ? e.message : `Something went wrong: ${e?.message ?? e}`;
  const box = $("alert");
  box.className = `alert ${kind}`;
  box.replaceChildren(h("strong", {}, headline(kind)), " ", text);
  if (e?.logs?.length) {
    box.append(h("details", {}, h("summary", {}, "Program logs"), h("pre", {}, e.logs.join("\n"))));
  }
  say("");
}

const headline = (kind) =>
  ({ network: "Network problem.", gateway: "The gateway refused.", program: "The program refused.", rejected: "Not signed.", transaction: "Not done.", input: "Check the form.", busy: "One thing at a time." })[kind] ??
  "Error.";

function clearAlert() {
  const box = $("alert");
  box.className = "";
  box.replaceChildren();
}

/**
 * Runs one action of the patient's: one at a time, errors shown; `done` is
 * said once the page shows the new state. An action asked for while another
 * runs is refused out loud, never dropped silently.
 */
async function act(doing, done, fn) {
  if (state.busy) {
    fail(new PageError("busy", "Still working on the previous step; nothing was done. Try again when it has finished."));
    return;
  }
  state.busy = true;
  document.body.setAttribute("aria-busy", "true");
  clearAlert();
  say(doing);
  try {
    await fn();
    await refresh();
    say(done);
  } catch (e) {
    fail(state.chain.classify(e));
  } finally {
    state.busy = false;
    document.body.removeAttribute("aria-busy");
  }
}

const send = (ixs) => state.chain.send(ixs, state.wallet.address, (bytes) => state.wallet.sign(bytes, state.chain.url));

// ---- cluster and wallet ----------------------------------------------------

function defaultCluster() {
  const saved = localStorage.getItem("hdx.cluster");
  if (saved) return saved;
  return location.protocol.startsWith("http") ? location.origin : "http://127.0.0.1:8899";
}

function useCluster(url) {
  state.chain = new Chain(url);
  state.refreshes += 1; // what was being read belongs to the old cluster
  // Nothing of the previous cluster stays on screen, even if this one cannot be reached.
  Object.assign(state, { patient: null, data: null, providers: [], guardianWork: [], directory: null, read: false, editing: null });
  setProvenNames(new Map());
  $("balance")?.replaceChildren();
  show();
  localStorage.setItem("hdx.cluster", url);
  $("cluster").value = url;
  const served = url.replace(/\/$/, "") === location.origin;
  $("fhir-note").textContent = served
    ? ""
    : `The FHIR export is made by hdx serve for the ledger it serves; for ${url} run: hdx audit log PATIENT --format fhir -u ${url}`;
}

function renderWallets() {
  const body = $("wallet-body");
  if (state.wallet) {
    body.replaceChildren(
      h("p", { class: "row" },
        h("span", {}, "Connected: ", h("strong", {}, state.wallet.wallet.name), " ", h("code", { title: state.wallet.address }, short(state.wallet.address))),
        h("span", { id: "balance" }),
        h("button", { type: "button", class: "secondary", onclick: reload }, "Refresh"),
        h("button", { type: "button", class: "secondary", onclick: disconnect }, "Disconnect")),
    );
    return;
  }
  const wallets = solanaWallets();
  if (wallets.length === 0) {
    body.replaceChildren(h("p", {}, "No Solana wallet found in this browser. Install one (Phantom, Solflare, Backpack) and reload."));
    return;
  }
  body.replaceChildren(
    h("p", { class: "row" }, ...wallets.map((w) =>
      h("button", { type: "button", onclick: () => connect(w) },
        w.icon ? h("img", { src: w.icon, alt: "", width: 20, height: 20 }) : null, `Connect ${w.name}`))),
  );
}

async function connect(wallet) {
  clearAlert();
  try {
    state.wallet = await Connected.connect(wallet);
    state.wallet.onChange?.(() => {
      const a = wallet.accounts[0];
      if (!a) return disconnect();
      state.wallet.account = a;
      refresh();
    });
  } catch (e) {
    fail(new PageError("rejected", `${wallet.name} did not connect: ${e?.message ?? e}`));
    return;
  }
  renderWallets();
  await refresh();
}

async function disconnect() {
  await state.wallet?.disconnect().catch(() => {});
  state.wallet = null;
  state.patient = null;
  state.data = null;
  state.refreshes += 1; // what was being read belongs to the wallet that left
  renderWallets();
  show();
}

// ---- reading -------------------------------------------------------------

/** Reads everything again; of overlapping refreshes only the latest is shown (never an older state over a newer one). */
async function refresh() {
  if (!state.wallet) return show();
  const generation = ++state.refreshes;
  try {
    const [patient, now, balance] = await Promise.all([
      state.chain.patientOf(state.wallet.address),
      state.chain.now(),
      state.chain.balance(state.wallet.address),
    ]);
    const data = patient ? await state.chain.load(patient) : null;
    // A wallet that is only someone's guardian still needs the directory to name providers.
    const providers = data ? data.providers : await state.chain.all("provider");
    const [guardianWork, directory] = await Promise.all([
      state.chain.guardianOf(state.wallet.address),
      state.chain.directoryNames(providers),
    ]);
    if (generation !== state.refreshes) return;
    setProvenNames(directory.names);
    Object.assign(state, { now, patient, data, providers, guardianWork, directory, read: true });
    renderBalance(balance);
    show();
  } catch (e) {
    if (generation === state.refreshes) fail(e);
  }
}

/** The Refresh button: reads everything again and says when the page is up to date. */
async function reload() {
  clearAlert();
  say("Reading the cluster…");
  await refresh();
  if (!$("alert").hasChildNodes()) say(`Up to date (network time ${time(state.now)}).`);
}

function renderBalance(lamports) {
  const el = $("balance");
  if (!el) return;
  const sol = lamports / LAMPORTS_PER_SOL;
  const local = /127\.0\.0\.1|localhost|devnet|testnet/.test(state.chain.url);
  el.replaceChildren(`${sol.toFixed(3)} SOL`);
  if (lamports < 0.01 * LAMPORTS_PER_SOL && local) {
    el.append(" ", h("button", {
      type: "button", class: "secondary",
      onclick: () => act("Asking the cluster for 1 test SOL…", "1 test SOL received.", () =>
        state.chain.airdrop(state.wallet.address, LAMPORTS_PER_SOL)),
    }, "Get 1 test SOL"));
  }
}

function show() {
  const connected = !!state.wallet;
  $("welcome").hidden = connected;
  $("register").hidden = !connected || !state.read || !!state.patient;
  $("patient").hidden = !state.data;
  renderGuardianWork();
  if (!state.data) return;
  renderConsents();
  renderDirectoryNote();
  renderGrantForm();
  renderRecords();
  renderLog();
  renderEmergency();
  renderGuardians();
  renderStudies();
  const id = state.patient.account.id.toBase58();
  $("fhir-link").href = `${state.chain.url.replace(/\/$/, "")}/export/fhir?patient=${id}`;
  $("fhir-link").setAttribute("download", `hdx-${id}-fhir.json`);
}

/** Why providers are shown by kind and number, when the directory names them not. */
function renderDirectoryNote() {
  const d = state.directory;
  let text = "";
  if (d?.why) text = `Providers are shown by kind and number: ${d.why}.`;
  else if (d) {
    const unnamed = state.providers.filter((p) => !isNamed(p.account))
      .map((p) => `${providerName(p.account)}: ${d.unnamed.get(p.account.id.toBase58()) ?? "not named"}`);
    if (unnamed.length) text = `Not named by the directory: ${unnamed.join("; ")}.`;
  }
  $("directory-note").textContent = text;
}

const providerById = (id) => state.providers.find((p) => p.account.id.equals(id))?.account;
const providerByNumber = (n) => state.providers.find((p) => p.account.number === n)?.account;

// ---- consents ------------------------------------------------------------

function renderConsents() {
  const items = state.data.consents
    .slice()
    .sort((a, b) => Number(a.account.expiresAt) - Number(b.account.expiresAt))
    .map(({ publicKey, account: c }) => {
      const provider = providerById(c.provider);
      const live = isLive(c, state.now);
      return h("li", { class: live ? "card" : "card muted" },
        h("p", { class: "sentence" }, consentSentence(c, provider, state.now)),
        h("p", { class: "row" },
          h("button", { type: "button", class: "secondary", onclick: () => edit(publicKey, c) }, live || state.now < Number(c.notBefore.toString()) ? "Change" : "Renew or replace"),
          h("button", {
            type: "button", class: "danger", "aria-label": `Revoke ${providerName(provider)}'s consent`,
            onclick: () => revoke(publicKey, provider),
          }, "Revoke")));
    });
  $("consent-list").replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "No provider may see your records.")]));
}

function checkboxes(fieldsetId, table, name, isMask = true) {
  const fs = $(fieldsetId);
  const legend = fs.querySelector("legend");
  fs.replaceChildren(legend, ...table.map((e) => {
    const id = `${fieldsetId}-${e.name.toLowerCase()}`;
    return h("div", { class: "checkbox" },
      h("input", { type: "checkbox", id, name, value: isMask ? 1 << e.code : e.code }),
      h("label", { for: id }, e.label));
  }));
}

function maskOf(fieldsetId) {
  return [...$(fieldsetId).querySelectorAll("input:checked")].reduce((m, i) => m | Number(i.value), 0);
}

function setMask(fieldsetId, mask) {
  for (const i of $(fieldsetId).querySelectorAll("input")) i.checked = (mask & Number(i.value)) !== 0;
}

function renderGrantForm() {
  const select = $("grant-provider");
  const keep = select.value;
  const verified = state.data.providers.filter((p) => enumCode("ProviderStatus", p.account.status) === constant("PROVIDER_STATUS_VERIFIED"));
  select.replaceChildren(h("option", { value: "" }, "Choose a provider"),
    ...verified.sort((a, b) => a.account.number - b.account.number)
      .map((p) => h("option", { value: p.account.id.toBase58() }, providerName(p.account))));
  select.value = keep;
  if (!$("grant-categories").querySelector("input")) {
    checkboxes("grant-categories", CATEGORIES, "categories");
    checkboxes("grant-modes", MODES, "modes", false);
    checkboxes("grant-purposes", PURPOSES.filter((p) => p.code !== constant("PURPOSE_EMERGENCY_TREATMENT")), "purposes");
    $("record-category").replaceChildren(...CATEGORIES.map((c) => h("option", { value: c.code }, c.label)));
  }
}

function edit(address, c) {
  state.editing = { address, consent: c };
  const f = $("grant-form");
  $("grant").open = true;
  $("grant-provider").value = c.provider.toBase58();
  $("grant-provider").disabled = true;
  setMask("grant-categories", c.categories);
  setMask("grant-modes", c.modes);
  setMask("grant-purposes", c.purposes);
  f.from.value = Number(c.notBefore) > 0 ? isoDay(c.notBefore) : "";
  f.until.value = isoDay(Number(c.expiresAt) - 1);
  f.cap.value = c.accessLimit || "";
  f.rangeFrom.value = c.fromDay ? isoDay(c.fromDay * DAY) : "";
  f.rangeTo.value = c.toDay ? isoDay(c.toDay * DAY) : "";
  f.renewDays.value = c.renewalPeriodSecs ? Math.round(c.renewalPeriodSecs / DAY) : "";
  f.renewals.value = c.renewalsAllowed || "";
  $("grant-submit").textContent = "Save the change";
  $("grant-cancel").hidden = false;
  $("grant-provider").focus();
}

function endEdit() {
  state.editing = null;
  $("grant-form").reset();
  $("grant-provider").disabled = false;
  $("grant-submit").textContent = "Grant consent";
  $("grant-cancel").hidden = true;
}

/** The form's terms, checked; a problem is named before anything is built. */
function termsFromForm() {
  const f = $("grant-form");
  const problem = (m) => { throw new PageError("input", m); };
  const provider = state.editing ? state.editing.consent.provider.toBase58() : f.provider.value;
  if (!provider) problem("Choose the provider to grant.");
  const categories = maskOf("grant-categories");
  if (!categories) problem("Choose at least one category of data.");
  const modes = maskOf("grant-modes");
  if (!modes) problem("Choose read, write or both.");
  const purposes = maskOf("grant-purposes");
  if (!purposes) problem("Choose at least one purpose.");
  if (!f.until.value) problem("Choose the last day of the consent.");
  /** A date field's value as unix seconds (00:00 UTC), or 0 when empty; a bad one is named. */
  const dateOf = (field, what) => {
    if (!field.value.trim()) return 0;
    const unix = parseIsoDay(field.value);
    if (unix === null) problem(`${what}: "${field.value}" is not a date written YYYY-MM-DD.`);
    return unix;
  };
  // A changed consent keeps its exact start and expiry unless the patient changed those dates
  // (a consent granted for "30d" ends mid-day; the form shows days).
  const was = state.editing?.consent;
  const notBefore = was && f.from.value === (Number(was.notBefore) > 0 ? isoDay(was.notBefore) : "")
    ? Number(was.notBefore)
    : dateOf(f.from, "The start");
  const expiresAt = was && f.until.value === isoDay(Number(was.expiresAt) - 1)
    ? Number(was.expiresAt)
    : dateOf(f.until, "The last day") + DAY;
  if (expiresAt <= state.now) problem("The last day is in the past.");
  if (notBefore && expiresAt <= notBefore) problem("The consent must end after it starts.");
  const whole = (v, what) => {
    if (v === "") return 0;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 0xffff_ffff) problem(`${what} must be a whole number from 1.`);
    return n;
  };
  const accessLimit = whole(f.cap.value, "The number of accesses");
  const fromDay = dateOf(f.rangeFrom, "The date range's first day") / DAY;
  const toDay = dateOf(f.rangeTo, "The date range's last day") / DAY;
  if ((fromDay === 0) !== (toDay === 0)) problem("Give both ends of the date range, or neither.");
  if (fromDay > toDay) problem("The date range ends before it starts.");
  const renewDays = whole(f.renewDays.value, "The renewal period (days)");
  const renewals = whole(f.renewals.value, "The number of renewals");
  if ((renewDays === 0) !== (renewals === 0)) problem("Give both the renewal period and the number of renewals, or neither.");
  if (renewals > 0xffff) problem("At most 65,535 renewals.");
  return {
    provider: new Key(provider),
    terms: {
      categories, modes, purposes,
      notBefore, expiresAt,
      accessLimit, fromDay, toDay, renewalPeriodSecs: renewDays * DAY, renewalsAllowed: renewals,
    },
  };
}

function submitGrant(event) {
  event.preventDefault();
  let input;
  try {
    input = termsFromForm();
  } catch (e) {
    return fail(e);
  }
  const { provider, terms } = input;
  const patient = state.patient.publicKey;
  const authority = new Key(state.wallet.address);
  const name = providerName(providerById(provider));
  if (state.editing) {
    const consent = state.editing.address;
    const { revision } = state.editing.consent;
    return act(`Changing ${name}'s consent: confirm in your wallet…`, `Changed ${name}'s consent.`, async () => {
      // The form replaces the consent's terms whole: never over a version it was not filled from.
      const current = await state.chain.consent(consent);
      if (!current) throw new PageError("input", `${name}'s consent was revoked since you opened the form; nothing was changed.`);
      if (current.revision !== revision) {
        edit(consent, current);
        throw new PageError("input", `${name}'s consent was changed elsewhere since you opened the form; nothing was changed. The form now shows its current terms: check them and save again.`);
      }
      const ix = await state.chain.instruction("updateConsent", { terms }, { authority, patient, consent });
      await send([ix]);
      endEdit();
      $("grant").open = false;
    });
  }
  // An expired consent still holds the (patient, provider) address: a new grant
  // replaces it in one step (its terms, a new revision) rather than fail.
  const expired = state.data.consents.find(
    (c) => c.account.provider.equals(provider) && state.now >= Number(c.account.expiresAt.toString()),
  );
  if (expired) {
    return act(`Replacing ${name}'s expired consent: confirm in your wallet…`, `Replaced ${name}'s expired consent.`, async () => {
      const ix = await state.chain.instruction("updateConsent", { terms }, { authority, patient, consent: expired.publicKey });
      await send([ix]);
      endEdit();
      $("grant").open = false;
    });
  }
  const providerAccount = state.data.providers.find((p) => p.account.id.equals(provider)).publicKey;
  return act(`Granting ${name}: confirm in your wallet…`, `Granted ${name}.`, async () => {
    const ix = await state.chain.instruction("grantConsent", { terms }, { authority, patient, provider: providerAccount, systemProgram: SYSTEM });
    await send([ix]);
    endEdit();
    $("grant").open = false;
  });
}

function revoke(consent, provider) {
  const name = providerName(provider);
  return act(`Revoking ${name}'s consent: confirm in your wallet…`, `Revoked ${name}'s consent: it stops with the next transaction.`, async () => {
    const ix = await state.chain.instruction("revokeConsent", {}, { authority: new Key(state.wallet.address), patient: state.patient.publicKey, consent });
    await send([ix]);
  });
}

// ---- records ---------------------------------------------------------------

function renderRecords() {
  const me = state.patient.account.id;
  const rows = state.data.records.map(({ account: r }) => {
    const cat = byCode(CATEGORIES, enumCode("Category", r.category));
    const author = r.author.equals(me) ? "you" : providerName(providerById(r.author));
    return h("tr", {}, h("td", { "data-label": "No." }, String(r.index)), h("td", { "data-label": "Category" }, cat?.label ?? "?"),
      h("td", { "data-label": "Clinical date" }, day(r.clinicalDay)), h("td", { "data-label": "Added by" }, author),
      h("td", { "data-label": "Added" }, date(r.createdAt)));
  });
  $("record-table").tBodies[0].replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 5 }, "No records yet."))]));
}

/** What the record form holds: a file for the gateway, or a pointer typed by hand (never both). */
function recordInput(f) {
  const file = f.file.files[0] ?? null;
  const locatorText = f.locator.value.trim();
  const hash = f.hash.value.trim();
  if (file && (locatorText || hash)) {
    throw new PageError("input", "Choose a file or type a pointer under Advanced, not both.");
  }
  if (file) {
    const gateway = f.gateway.value.trim();
    if (!gateway) throw new PageError("input", "Give your data gateway's URL (hdx gateway listens on http://127.0.0.1:8898 unless told otherwise).");
    try {
      if (!/^https?:$/.test(new URL(gateway).protocol)) throw new Error();
    } catch {
      throw new PageError("input", `${gateway} is not an http(s) URL; give your data gateway's URL.`);
    }
    return { file, gateway };
  }
  if (!locatorText && !hash) throw new PageError("input", "Choose the record's file (or type a pointer under Advanced).");
  const locator = new TextEncoder().encode(locatorText);
  if (locator.length < 1 || locator.length > 128) throw new PageError("input", "The locator must be 1 to 128 bytes.");
  if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new PageError("input", "The content hash must be 64 hexadecimal digits (SHA-256).");
  return { locator, hash: Uint8Array.from(hash.match(/../g), (b) => parseInt(b, 16)) };
}

function submitRecord(event) {
  event.preventDefault();
  const f = $("record-form");
  let input;
  try {
    input = recordInput(f);
  } catch (e) {
    return fail(e);
  }
  const category = Number(f.category.value);
  const day = f.day.value.trim() ? dayNumber(f.day.value) : 0;
  if (day === null) return fail(new PageError("input", `The clinical date: "${f.day.value}" is not a date written YYYY-MM-DD.`));
  const doing = input.file ? "Uploading the file to your gateway: confirm in your wallet…" : "Adding the record: confirm in your wallet…";
  return act(doing, "Added the record.", async () => {
    // The record's index is the patient's count now; the transaction adds exactly that record or fails.
    const patient = await state.chain.patientOf(state.wallet.address);
    if (!patient) throw new PageError("program", "This wallet is no longer a patient's authority; nothing was uploaded.");
    const index = patient.account.recordCount;
    if (input.file) {
      localStorage.setItem("hdx.gateway", input.gateway);
      const bytes = new Uint8Array(await input.file.arrayBuffer());
      let sent;
      try {
        sent = await upload({
          base: input.gateway,
          patient: patient.account.id.toBase58(),
          record: index,
          category: stableName("CATEGORY_", category),
          bytes,
          sign: (message) => state.wallet.signMessage(message).catch((e) => {
            throw new PageError("rejected", isRejection(e)
              ? "You declined to sign the upload in your wallet. Nothing was uploaded and nothing changed."
              : `The wallet did not sign the upload: ${e?.message ?? e}. Nothing was uploaded and nothing changed.`);
          }),
          encode58: (signature) => base58.encode(signature),
          signer: state.wallet.address,
          now: Date.now() / 1000,
        });
      } catch (e) {
        if (e instanceof GatewayError) {
          const kind = e.name === "GatewayUnreachable" ? "network" : "gateway";
          throw new PageError(kind, `${e.name}: ${e.message} Nothing was added.`);
        }
        throw e;
      }
      say("Uploaded; adding the record: confirm in your wallet…");
      input.locator = new TextEncoder().encode(sent.locator);
      input.hash = sent.hash;
    }
    const args = {
      category: enumValue("Category", category),
      clinicalDay: day,
      locator: input.locator,
      contentHash: Array.from(input.hash),
    };
    const [record] = Key.findProgramAddressSync(
      [new TextEncoder().encode("record"), patient.account.id.toBytes(), u32le(index)],
      PROGRAM_ID,
    );
    const ix = await state.chain.instruction("addRecord", { args }, { authority: new Key(state.wallet.address), patient: patient.publicKey, record, systemProgram: SYSTEM });
    await send([ix]);
    f.reset();
    f.gateway.value = localStorage.getItem("hdx.gateway") ?? "";
  });
}

// ---- the accounting of disclosures -------------------------------------------

function entries() {
  const out = [];
  for (const { account: page } of state.data.pages) {
    page.entries.slice(0, page.count).forEach((e, i) => out.push({ ...e, sequence: Number(page.firstSequence) + i }));
  }
  return out;
}

function renderLog() {
  const f = $("log-filters");
  const providerSelect = f.provider;
  const keep = providerSelect.value;
  providerSelect.replaceChildren(h("option", { value: "" }, "All providers"),
    ...state.data.providers.sort((a, b) => a.account.number - b.account.number)
      .map((p) => h("option", { value: String(p.account.number) }, providerName(p.account))));
  providerSelect.value = keep;
  if (f.category.options.length === 1) {
    f.category.append(...CATEGORIES.map((c) => h("option", { value: String(c.code) }, c.label)));
  }
  // A filter date applies once it is a whole date (YYYY-MM-DD); while it is being typed, it does not.
  const since = parseIsoDay(f.since.value);
  const untilDay = parseIsoDay(f.until.value);
  const until = untilDay === null ? null : untilDay + DAY;
  const all = entries();
  const shown = all.filter((e) =>
    (f.provider.value === "" || e.provider === Number(f.provider.value)) &&
    (f.outcome.value === "" || (f.outcome.value === "granted") === (e.outcome === GRANTED)) &&
    (f.category.value === "" || e.category === Number(f.category.value)) &&
    (since === null || e.time >= since) && (until === null || e.time < until) &&
    (!f.emergency.checked || EMERGENCY_ACTIONS.includes(e.action)));
  // A long log is shown a step at a time, newest first: the DOM never holds 100,000 rows.
  const visible = shown.reverse().slice(0, state.logRows);
  const filtered = shown.length === all.length ? "" : ` (${all.length} in all)`;
  $("log-count").textContent = visible.length < shown.length
    ? `Newest ${visible.length} of ${shown.length} entries${filtered}`
    : `${shown.length} of ${all.length} entries`;
  $("log-more").hidden = visible.length >= shown.length;
  $("log-more").textContent = `Show ${Math.min(ROWS_STEP, shown.length - visible.length)} more`;
  const rows = visible.map((e) => {
    const emergency = EMERGENCY_ACTIONS.includes(e.action);
    const outcome = byCode(OUTCOMES, e.outcome);
    const action = byCode(ACTIONS, e.action)?.label ?? "?";
    const purpose = byCode(PURPOSES, e.purpose);
    // An emergency entry names its window (`basis`): the reason is the window's.
    const window = emergency ? state.data.windows.find((w) => w.account.index === e.basis)?.account : null;
    const reason = window ? byCode(EMERGENCY_REASONS, enumCode("EmergencyReason", window.reason)) : null;
    const record = e.recordIndex === constant("NO_RECORD") ? "-" : `no. ${e.recordIndex} (${byCode(CATEGORIES, e.category)?.label ?? "?"})`;
    return h("tr", { class: emergency ? "emergency" : "" },
      h("td", { "data-label": "No." }, String(e.sequence)),
      h("td", { "data-label": "When" }, time(e.time)),
      h("td", { "data-label": "Who" }, providerName(providerByNumber(e.provider))),
      // The badge says "Emergency": the action after it is "read" or "open", not "emergency read".
      h("td", { "data-label": "What" }, emergency ? h("span", { class: "badge" }, "Emergency") : null, emergency ? " " : null,
        emergency ? action.replace(/^emergency /, "") : action),
      h("td", { "data-label": "Record" }, record),
      h("td", { "data-label": "Why" }, `${purpose?.label ?? "?"}${purpose?.hl7 ? ` (${purpose.hl7})` : ""}${reason ? `: ${reason.label}` : ""}`),
      h("td", { "data-label": "Outcome", class: e.outcome === GRANTED ? "granted" : "denied" },
        e.outcome === GRANTED ? "Granted" : `Denied: ${outcome?.label ?? e.outcome}`));
  });
  $("log-table").tBodies[0].replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7 }, "No entries."))]));
}

/** Whether every code of a log entry names something (an opening names no category). */
function wellFormed(e) {
  const known = (t, code) => byCode(t, code) !== undefined;
  return known(ACTIONS, e.action) && known(OUTCOMES, e.outcome) && known(PURPOSES, e.purpose) &&
    (e.action === constant("ACTION_EMERGENCY_OPEN") ? e.category === constant("NO_CATEGORY") : known(CATEGORIES, e.category));
}

async function verify() {
  const out = $("verify-result");
  out.className = "";
  out.textContent = "Verifying…";
  try {
    await refresh();
    const result = await verifyChain(
      state.patient.account.id.toBytes(),
      state.patient.account.logPages,
      state.data.pages.map((p) => p.account),
      CAPACITY,
      (entry) => encodeType("LogEntry", entry),
      wellFormed,
    );
    if (result.ok) {
      out.className = "ok";
      out.textContent = `Hash chain verified: ${result.entries} entries fold to the on-chain head ${result.head.slice(0, 16)}…`;
    } else {
      out.className = "bad";
      out.textContent = `The hash chain does NOT verify: ${result.problem}.`;
    }
  } catch (e) {
    out.textContent = "";
    fail(e);
  }
}

// ---- emergency access ------------------------------------------------------

function renderEmergency() {
  const r = state.data.registry;
  const p = state.patient.account;
  const hours = (s) => (s % 3600 === 0 ? `${s / 3600} hour${s === 3600 ? "" : "s"}` : `${Math.round(s / 60)} minutes`);
  $("emergency-policy").textContent = r
    ? `A hospital with the emergency role may open a window on your records for at most ${hours(r.emergency.maxSecs)}, with a coded reason; each window is reviewed by the registry authority, and the same hospital must wait ${hours(r.emergency.cooldownSecs)} before another. ` +
      (p.emergency.optOut ? "You have opted out." : p.emergency.excluded ? `Never shown in an emergency: ${list(categoryNames(p.emergency.excluded))}.` : "You allow it for every category.")
    : "The registry is not initialised on this cluster.";
  if (!$("emergency-excluded").querySelector("input")) checkboxes("emergency-excluded", CATEGORIES, "excluded");
  $("emergency-opt-out").checked = p.emergency.optOut;
  setMask("emergency-excluded", p.emergency.excluded);
  const items = state.data.windows.map(({ publicKey, account: w }) => {
    const provider = providerById(w.provider);
    const ended = enumCode("EndedBy", w.endedBy);
    const open = ended === constant("ENDED_BY_NOT_ENDED") && state.now < Number(w.expiresAt);
    const verdict = byCode(VERDICTS, enumCode("Verdict", w.verdict));
    const reason = byCode(EMERGENCY_REASONS, enumCode("EmergencyReason", w.reason))?.label ?? "?";
    const how = open ? `open until ${time(w.expiresAt)}` : ended !== constant("ENDED_BY_NOT_ENDED")
      ? `${byCode(ENDED_BY, ended).label} at ${time(w.endedAt)}` : `expired at ${time(w.expiresAt)}`;
    const buttons = [];
    if (open) buttons.push(h("button", { type: "button", class: "danger", onclick: () => endWindow(publicKey, w, provider) }, "End it now"));
    if (Number(w.acknowledgedAt) === 0) buttons.push(h("button", { type: "button", class: "secondary", onclick: () => acknowledge(publicKey) }, "Mark as seen"));
    return h("li", { class: "card emergency" },
      h("p", {}, h("span", { class: "badge" }, "Emergency"), ` ${providerName(provider)} opened a window on ${time(w.openedAt)} (${reason}); ${how}; ${w.reads} read${w.reads === 1 ? "" : "s"}. Review: ${verdict?.label ?? "?"}.`),
      buttons.length ? h("p", { class: "row" }, ...buttons) : null);
  });
  $("window-list").replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "No emergency access so far.")]));
}

function saveEmergency(event) {
  event.preventDefault();
  const optOut = $("emergency-opt-out").checked;
  const excluded = maskOf("emergency-excluded");
  return act("Saving your emergency preferences: confirm in your wallet…", "Saved your emergency preferences.", async () => {
    const ix = await state.chain.instruction("setEmergencyPreferences", { args: { optOut, excluded } }, { authority: new Key(state.wallet.address), patient: state.patient.publicKey });
    await send([ix]);
  });
}

function endWindow(window, w, provider) {
  return act("Ending the emergency window: confirm in your wallet…", `Ended ${providerName(provider)}'s emergency window.`, async () => {
    const tracker = await state.chain.trackerFor(w.patient, w.provider);
    const ix = await state.chain.instruction("endEmergency", {}, { authority: new Key(state.wallet.address), patient: state.patient.publicKey, window, tracker });
    await send([ix]);
  });
}

function acknowledge(window) {
  return act("Marking the window as seen: confirm in your wallet…", "Marked as seen.", async () => {
    const ix = await state.chain.instruction("acknowledgeEmergency", {}, { authority: new Key(state.wallet.address), patient: state.patient.publicKey, window });
    await send([ix]);
  });
}

// ---- guardians -------------------------------------------------------------

// Anchor decodes the proposal's action as { variantName: { ...its fields } }.
function proposalWords(p) {
  const [kind, a] = Object.entries(p.action)[0];
  switch (kind) {
    case "grant": return `grant ${providerName(providerById(a.provider))} ${list(categoryNames(a.terms.categories))} until ${date(Number(a.terms.expiresAt) - 1)}`;
    case "update": return `change ${providerName(providerById(a.provider))}'s consent to ${list(categoryNames(a.terms.categories))} until ${date(Number(a.terms.expiresAt) - 1)}`;
    case "recover": return `move control to the key ${short(a.newAuthority)} (recovery)`;
    case "handOver": return `hand control over to the key ${short(a.newAuthority)}`;
    case "emergencyPreferences": {
      const ex = a.preferences.excluded;
      return a.preferences.optOut ? "opt out of emergency access" : ex ? `exclude ${list(categoryNames(ex))} from emergency access` : "allow emergency access for every category";
    }
    default: return "an unknown proposal";
  }
}

function approvals(p, set) {
  let n = 0;
  for (let i = 0; i < set.count; i++) if (p.approvals & (1 << i)) n++;
  return n;
}

function proposalState(p, set) {
  if (p.executed) return "carried out";
  if (p.generation !== set.generation) return "stale (the guardians changed since)";
  if (state.now >= Number(p.expiresAt)) return "expired";
  return `open until ${time(p.expiresAt)}`;
}

function renderGuardians() {
  const g = state.data.guardianSet?.account;
  const mode = byCode(GUARDIAN_MODES, enumCode("GuardianMode", state.patient.account.guardianMode));
  $("guardian-set").textContent = !g || g.count === 0
    ? "You have no guardians."
    : `${g.count} guardian${g.count === 1 ? "" : "s"} (${g.guardians.slice(0, g.count).map(short).join(", ")}), ${g.threshold === 1 ? "any one of them acts" : `${g.threshold} of them must approve together`}; mode: ${mode?.label}.`;
  const items = g ? state.data.proposals.map(({ account: p }) =>
    h("li", { class: "card" }, `Proposal ${p.index}: ${proposalWords(p)}. ${approvals(p, g)} of ${g.threshold} approvals; ${proposalState(p, g)}.`)) : [];
  $("proposal-list").replaceChildren(...items);
}

function renderGuardianWork() {
  const work = (state.guardianWork ?? []).filter(({ set, proposal }) =>
    !proposal.account.executed && proposal.account.generation === set.account.generation && state.now < Number(proposal.account.expiresAt));
  $("guardian-of").hidden = work.length === 0;
  const me = state.wallet ? new Key(state.wallet.address) : null;
  $("guardian-work").replaceChildren(...work.map(({ set, proposal }) => {
    const p = proposal.account;
    const position = set.account.guardians.findIndex((k) => me && k.equals(me));
    const approved = position >= 0 && (p.approvals & (1 << position)) !== 0;
    return h("li", { class: "card" },
      h("p", {}, `For patient ${short(set.account.patient)}: proposal ${p.index} to ${proposalWords(p)}. ${approvals(p, set.account)} of ${set.account.threshold} approvals; ${proposalState(p, set.account)}.`),
      approved ? h("p", {}, "You approved it.") : h("button", {
        type: "button", onclick: () => act("Approving: confirm in your wallet…", `Approved proposal ${p.index}.`, async () => {
          const ix = await state.chain.instruction("approveGuardianAction", {}, { guardian: me, guardianSet: set.publicKey, proposal: proposal.publicKey });
          await send([ix]);
        }),
      }, `Approve proposal ${p.index}`));
  }));
}

// ---- research studies --------------------------------------------------------

const epsilon = (milli) => (Number(milli) / 1000).toFixed(3).replace(/\.?0+$/, "");

/** A study's terms in words. */
function studyWords(st) {
  const t = st.terms;
  const uses = bits(DUO_TERMS, t.duo).map((d) =>
    d.name === "DISEASE_SPECIFIC" ? `research on one disease (MONDO:${String(t.disease).padStart(7, "0")})` : d.label);
  const sponsor = providerName(providerById(st.sponsor));
  const days = t.fromDay === 0 ? "" : ` dated ${day(t.fromDay)} to ${day(t.toDay)}`;
  return `${sponsor}'s study no. ${st.number}, for ${list(uses)}: it may use ${list(categoryNames(t.categories))}${days}. ` +
    `Every answer counts at least ${t.minCohort} patients and adds noise; its privacy budget is epsilon ${epsilon(t.epsilonMilli)} ` +
    `(${epsilon(st.epsilonSpentMilli)} spent in ${st.releases} answer${st.releases === 1 ? "" : "s"}). ` +
    `${st.enrolled} patient${st.enrolled === 1 ? "" : "s"} enrolled; joining is open until ${date(t.enrollmentClosesAt)}.`;
}

function renderStudies() {
  const mine = new Map(state.data.enrollments.map((e) => [e.account.study.toBase58(), e]));
  const status = (st) => enumCode("StudyStatus", st.status);
  const APPROVED = 1;
  const items = state.data.studies
    .filter(({ publicKey, account: st }) => mine.has(publicKey.toBase58()) ||
      (status(st) === APPROVED && state.now < Number(st.terms.enrollmentClosesAt)))
    .map(({ publicKey, account: st }) => {
      const e = mine.get(publicKey.toBase58())?.account;
      const active = e?.active && state.now < Number(e.until);
      const parts = [h("p", { class: "sentence" }, studyWords(st))];
      if (e) {
        const since = Number(e.joinedAt);
        const end = e.active ? Number(e.until) : Number(e.withdrawnAt);
        parts.push(h("p", {}, e.active
          ? `You joined on ${date(since)}, sharing ${list(categoryNames(e.categories))} until ${date(e.until)}.`
          : `You left on ${date(e.withdrawnAt)}.`));
        // The answers given while you were enrolled: the ones your data may be in.
        const used = state.data.releases
          .filter(({ account: r }) => r.study.equals(publicKey) && Number(r.at) >= since && Number(r.at) < end)
          .map(({ account: r }) => h("li", {}, `Answer ${r.index} on ${time(r.at)}: ${r.facts.cohortSize} patients, epsilon ${epsilon(r.facts.epsilonMilli)}.`));
        parts.push(used.length
          ? h("div", {}, h("p", {}, "Answers given while you were enrolled:"), h("ul", { class: "study-releases" }, ...used))
          : h("p", {}, "No answer has been given while you were enrolled."));
      }
      const button = active
        ? h("button", { type: "button", class: "danger", onclick: () => leaveStudy(publicKey, st) }, `Leave study no. ${st.number}`)
        : status(st) === APPROVED && state.now < Number(st.terms.enrollmentClosesAt)
          ? h("button", { type: "button", onclick: () => joinStudy(publicKey, st) }, `Join study no. ${st.number}`)
          : null;
      if (button) parts.push(h("p", { class: "row" }, button));
      return h("li", { class: active ? "card" : "card muted" }, ...parts);
    });
  $("study-list").replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "No study is open to join.")]));
}

/** Joins with every category the study uses, for one year. */
function joinStudy(study, st) {
  const until = state.now + 365 * DAY;
  return act(`Joining study no. ${st.number}: confirm in your wallet…`, `Joined study no. ${st.number}.`, async () => {
    const ix = await state.chain.instruction("enrollInStudy", { args: { categories: st.terms.categories, until } },
      { authority: new Key(state.wallet.address), patient: state.patient.publicKey, study, systemProgram: SYSTEM });
    await send([ix]);
  });
}

function leaveStudy(study, st) {
  return act(`Leaving study no. ${st.number}: confirm in your wallet…`, `Left study no. ${st.number}: no answer counts you from the next transaction.`, async () => {
    const [enrollment] = Key.findProgramAddressSync(
      [new TextEncoder().encode("enrollment"), study.toBytes(), state.patient.account.id.toBytes()], PROGRAM_ID);
    const ix = await state.chain.instruction("withdrawFromStudy", {}, {
      authority: new Key(state.wallet.address), patient: state.patient.publicKey, study, enrollment });
    await send([ix]);
  });
}

// ---- start -----------------------------------------------------------------

function register() {
  return act("Registering: confirm in your wallet…", "Registered. Your audit log is open.", async () => {
    const ix = await state.chain.instruction("registerPatient", {}, { id: new Key(state.wallet.address), systemProgram: SYSTEM });
    await send([ix]);
  });
}

function start() {
  $("program-id").textContent = idl.address;
  useCluster(defaultCluster());
  $("cluster-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const url = $("cluster").value.trim();
    try {
      new URL(url);
    } catch {
      return fail(new PageError("input", `${url || "An empty text"} is not a URL (for example http://127.0.0.1:8899 or https://api.devnet.solana.com).`));
    }
    useCluster(url);
    clearAlert();
    say(`Using ${url}.`);
    refresh();
  });
  $("register-button").addEventListener("click", register);
  $("grant-form").addEventListener("submit", submitGrant);
  $("grant-cancel").addEventListener("click", endEdit);
  $("record-form").addEventListener("submit", submitRecord);
  $("record-gateway").value = localStorage.getItem("hdx.gateway") ?? "";
  $("log-filters").addEventListener("input", () => {
    state.logRows = ROWS_STEP; // a new filter starts from the newest again
    if (state.data) renderLog();
  });
  $("log-more").addEventListener("click", () => {
    state.logRows += ROWS_STEP;
    renderLog();
  });
  $("verify-button").addEventListener("click", verify);
  $("emergency-form").addEventListener("submit", saveEmergency);
  onWalletsChanged(renderWallets);
  renderWallets();
  show();
}

start();
