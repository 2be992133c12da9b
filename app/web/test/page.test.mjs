// The patient's page in a real browser (Debian's Chromium, driven by
// playwright-core), against `hdx serve` on a temporary ledger, with a test
// wallet injected through the Wallet Standard that signs in this process.
// Started by app/cli/tests/web.rs, which serves the ledger and registers a
// verified lab and an emergency-role hospital; providers act through the
// `hdx` binary (the SDK's client). Run with node's own test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, createPrivateKey, sign } from "node:crypto";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { testWallet } from "./wallet.js";

const env = (k) => {
  const v = process.env[k];
  assert.ok(v, `${k} is set by app/cli/tests/web.rs`);
  return v;
};
const URL = env("HDX_URL");
const HDX = env("HDX_BIN");
const LAB = env("HDX_LAB");
const LAB_KEY = env("HDX_LAB_KEY");
const HOSPITAL_KEY = env("HDX_HOSPITAL_KEY");
const MUM_KEY = env("HDX_MUM_KEY");
const CHILD_KEY = env("HDX_CHILD_KEY");
const RESEARCHER_KEY = env("HDX_RESEARCHER_KEY");
const COHORT_KEYS = env("HDX_COHORT_KEYS").split(",");
const PATIENT = env("HDX_PATIENT");
const PATIENT_KEY = env("HDX_PATIENT_KEY");
const AUTHORITY_KEY = env("HDX_AUTHORITY_KEY");
const DIRECTORY_FILE = env("HDX_DIRECTORY_FILE");
const SHOTS = env("HDX_SCREENSHOTS");
const GATEWAY = env("HDX_GATEWAY");
const TMP = env("HDX_TMP");
const IDL = JSON.parse(readFileSync(env("HDX_IDL"), "utf8"));
const b64url = (b) => Buffer.from(b).toString("base64url");
/** A keypair file as the test wallet holds it: its address, public key bytes and signing key. */
function walletKey(file, address) {
  const secret = Uint8Array.from(JSON.parse(readFileSync(file, "utf8")));
  const key = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: b64url(secret.slice(0, 32)), x: b64url(secret.slice(32)) },
    format: "jwk",
  });
  return { address, publicKey: Array.from(secret.slice(32)), key };
}

/** `hdx -u URL ...`: { code, out, err }. */
function hdx(...args) {
  const r = spawnSync(HDX, ["-u", URL, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const ok = (...args) => {
  const r = hdx(...args);
  assert.equal(r.code, 0, `hdx ${args.join(" ")}: ${r.err}`);
  return r.out;
};

const wallet = { signed: 0, rejectNext: false };

/** A browser context whose test wallet holds `holder` (signing here, counted in `wallet`), on the page. */
async function open(browser, viewport, holder) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: "en-GB" });
  await context.exposeFunction("__hdxWalletSign", (message) => {
    if (wallet.rejectNext) {
      wallet.rejectNext = false;
      return null;
    }
    wallet.signed += 1;
    return Array.from(sign(null, Buffer.from(message), holder.key));
  });
  await context.addInitScript(testWallet, { address: holder.address, publicKey: holder.publicKey });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(URL);
  return { context, page, errors };
}

const status = (page) => page.locator("#status");
const alertBox = (page) => page.getByRole("alert");
async function done(page, text) {
  await assert.doesNotReject(status(page).filter({ hasText: text }).waitFor({ timeout: 30_000 }), `status: ${text}`);
}
async function refused(page, text) {
  await alertBox(page).filter({ hasText: text }).waitFor({ timeout: 30_000 });
}
const rows = (page) => page.locator("#log-table tbody tr");

/** Types a cluster URL into the page's setting and uses it. */
async function useCluster(page, url) {
  await page.getByLabel("Network (RPC URL)").fill(url);
  await page.getByRole("button", { name: "Use this network" }).click();
}

/** A date as the page writes it: as it is entered, YYYY-MM-DD (ISO 8601), in every locale. */
const inWords = (iso) => {
  assert.match(iso, /^\d{4}-\d{2}-\d{2}$/);
  return iso;
};

/** Clicks Refresh and waits until the page shows what the cluster holds now. */
async function reload(page) {
  await page.getByRole("button", { name: "Refresh" }).click();
  await done(page, "Up to date");
}

/** Opens a <details> section by its summary, as a person would, unless it is open. */
async function expand(page, summary) {
  const exactly = new RegExp(`^${summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  const own = page.locator("summary").filter({ hasText: exactly });
  if (!(await own.evaluate((s) => s.closest("details").open))) await own.click();
}

/** Presses Tab until the focused element's text is `name` (bounded), then Enter. */
async function keyboard(page, name) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const text = await page.evaluate(() => document.activeElement?.textContent?.trim());
    if (text === name) {
      await page.keyboard.press("Enter");
      return;
    }
  }
  assert.fail(`"${name}" cannot be reached with the keyboard`);
}

async function noOverflow(page, what) {
  const { scroll, client, wide } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    // The innermost elements reaching past the window: what to fix.
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > client + 0.5)
      .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > client + 0.5))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} (${Math.round(el.getBoundingClientRect().right)}px)`);
    // Text wider than its box (an unbreakable word) shows only in its own rectangle.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let n = walker.nextNode(); n && wide.length < 8; n = walker.nextNode()) {
      range.selectNodeContents(n);
      const right = range.getBoundingClientRect().right;
      if (right > client + 0.5) wide.push(`text "${n.textContent.trim().slice(0, 40)}" in ${n.parentElement.tagName.toLowerCase()}#${n.parentElement.id} (${Math.round(right)}px)`);
    }
    return { scroll: document.documentElement.scrollWidth, client, wide };
  });
  assert.ok(scroll <= client, `${what}: the page is ${scroll}px wide in a ${client}px window: ${wide.join(", ")}`);
}

test("a patient manages consent from the page, signed by their wallet", { timeout: 240_000 }, async () => {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.HDX_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--lang=en-GB"],
    // The browser's own language (what its date fields are entered in) is the page's locale too.
    env: { ...process.env, LANG: "en_GB.UTF-8", LANGUAGE: "en_GB" },
  });
  let page;
  try {
    const opened = await open(browser, { width: 1280, height: 900 }, walletKey(env("HDX_PATIENT_KEY"), PATIENT));
    page = opened.page;
    const errors = opened.errors;

    // Every control has a label (a name a screen reader reads).
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, button, textarea")]
        .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim()))
        .map((el) => el.id || el.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabelled, []);

    // Bad input names the problem.
    await useCluster(page, "not a url");
    await refused(page, "not a URL");

    // The wallet is discovered through the Wallet Standard; funded from the node's faucet.
    await useCluster(page, URL);
    await page.getByRole("button", { name: "Connect HDX Test Wallet" }).click();
    await page.getByRole("button", { name: "Get 1 test SOL" }).click();
    await done(page, "1 test SOL received");

    // Register, with the keyboard alone.
    await page.locator("body").focus();
    await keyboard(page, "Register");
    await done(page, "Registered");
    assert.equal(wallet.signed, 1);
    assert.match(ok("patient", "show", PATIENT), /authority/i);

    // Two record pointers typed by hand (under Advanced): lab results and imaging.
    const addRecord = async (category, date, locator) => {
      await expand(page, "Add a record");
      await expand(page, "Advanced: a pointer typed by hand");
      await page.locator("#record-category").selectOption({ label: category });
      await page.getByLabel("Clinical date (optional)").fill(date);
      await page.getByLabel("Locator (1 to 128 bytes)").fill(locator);
      await page.getByLabel("Content hash (SHA-256, 64 hex digits)").fill("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
      await page.getByRole("button", { name: "Add the record" }).click();
      await done(page, "Added the record");
    };
    await addRecord("lab results", "2026-10-02", "enc:v1:lab");
    await addRecord("imaging", "2026-10-03", "enc:v1:ct");
    await assert.doesNotReject(page.locator("#record-table tbody tr").nth(1).filter({ hasText: "imaging" }).waitFor());
    assert.deepEqual((await page.locator("#record-table tbody tr").first().locator("td").allTextContents()).slice(0, 4),
      ["0", "lab results", inWords("2026-10-02"), "you"]);

    // The grant form names what is missing; nothing is signed.
    const signedBefore = wallet.signed;
    await expand(page, "Grant a provider access");
    const providerOption = await page.getByLabel("Provider (verified providers only)").locator("option").nth(1).textContent();
    assert.match(providerOption, /^Laboratory no\. 0 \(\w{4}…\w{4}\)$/);
    await page.getByLabel("Provider (verified providers only)").selectOption({ label: providerOption });
    await page.getByRole("button", { name: "Grant consent" }).click();
    await refused(page, "Choose at least one category of data.");
    assert.equal(wallet.signed, signedBefore);

    const until = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
    const untilWords = inWords(until);
    await page.locator("#grant-categories").getByLabel("lab results").check();
    await page.locator("#grant-modes").getByLabel("read").check();
    await page.locator("#grant-purposes").getByLabel("treatment", { exact: true }).check();
    await page.getByLabel("Until (last day, UTC)").fill(until);

    // The wallet declines: nothing changes, and the page says so.
    wallet.rejectNext = true;
    await page.getByRole("button", { name: "Grant consent" }).click();
    await refused(page, "You declined to sign in your wallet. Nothing was sent and nothing changed.");
    assert.equal(hdx("consent", "list", "--patient", PATIENT, "--output", "json").out.includes(LAB), false);

    await page.getByRole("button", { name: "Grant consent" }).click();
    await done(page, "Granted Laboratory no. 0");
    const sentence = `${providerOption} may read your lab results for treatment until ${untilWords}.`;
    assert.equal(await page.getByRole("button", { name: "Cancel the change" }).isVisible(), false);
    await assert.doesNotReject(page.locator("#consent-list li").filter({ hasText: sentence }).waitFor());

    // A second grant to the same provider: the program's error by name, never offered to the wallet.
    const signedBeforeDuplicate = wallet.signed;
    await expand(page, "Grant a provider access");
    await page.getByLabel("Provider (verified providers only)").selectOption({ label: providerOption });
    await page.locator("#grant-categories").getByLabel("imaging").check();
    await page.locator("#grant-modes").getByLabel("read").check();
    await page.locator("#grant-purposes").getByLabel("treatment", { exact: true }).check();
    await page.getByLabel("Until (last day, UTC)").fill(until);
    await page.getByRole("button", { name: "Grant consent" }).click();
    await refused(page, "The program refused.");
    const refusal = await alertBox(page).textContent();
    assert.ok(refusal.startsWith(
      "The program refused. AccountAlreadyExists: The account to be created already exists (this id is registered, this consent or window exists): nothing was changed"), refusal);
    assert.equal(wallet.signed, signedBeforeDuplicate, "a failing transaction is not offered to the wallet");
    await page.getByText("Grant a provider access").click();

    // Change the consent: a cap of 10 and a later last day; the form is filled in, the sentence follows.
    const later = new Date(Date.now() + 60 * 86400_000).toISOString().slice(0, 10);
    const laterWords = inWords(later);
    await page.getByRole("button", { name: "Change" }).click();
    assert.equal(await page.getByLabel("Until (last day, UTC)").inputValue(), until, "the form is filled with the consent's terms");
    await page.getByLabel("Until (last day, UTC)").fill(later);
    await page.getByLabel("At most this many accesses (optional)").fill("10");
    await page.getByLabel("Only records dated from (optional)").fill("2026-10-01");
    await page.getByLabel("Only records dated to (optional)").fill("2026-10-31");
    await page.getByLabel("Renew by this many days (optional)").fill("30");
    await page.getByLabel("How many renewals (optional)").fill("2");
    await page.getByRole("button", { name: "Save the change" }).click();
    await done(page, "Changed Laboratory no. 0");
    assert.equal(await page.getByRole("button", { name: "Cancel the change" }).isVisible(), false, "the form is back to granting");
    await assert.doesNotReject(page.locator("#consent-list li").filter({
      hasText: `${providerOption} may read your lab results for treatment until ${laterWords}. Only records dated ${inWords("2026-10-01")} to ${inWords("2026-10-31")}. At most 10 accesses: 10 left. Renews by 30 days at a time: 2 of 2 renewals left.`,
    }).waitFor());
    // Half a date range, or a date that is not one, is named before anything is signed.
    const signedBeforeHalf = wallet.signed;
    await page.getByRole("button", { name: "Change" }).click();
    await page.getByLabel("Only records dated to (optional)").fill("2026-02-30");
    await page.getByRole("button", { name: "Save the change" }).click();
    await refused(page, `The date range's last day: "2026-02-30" is not a date written YYYY-MM-DD.`);
    await page.getByLabel("Only records dated to (optional)").fill("31/10/2026");
    await page.getByRole("button", { name: "Save the change" }).click();
    await refused(page, `The date range's last day: "31/10/2026" is not a date written YYYY-MM-DD.`);
    await page.getByLabel("Only records dated to (optional)").fill("");
    await page.getByRole("button", { name: "Save the change" }).click();
    await refused(page, "Give both ends of the date range, or neither.");
    assert.equal(wallet.signed, signedBeforeHalf);
    await page.getByRole("button", { name: "Cancel the change" }).click();
    assert.match(ok("consent", "list", "--patient", PATIENT, "--output", "json"), /"max_accesses":\s*10/);
    // A consent whose expiry is mid-day (the CLI's "45d"): changing only its cap keeps the exact expiry.
    ok("consent", "update", LAB, "--categories", "lab-results", "--modes", "read", "--purposes", "treatment", "--expires", "45d",
      "--max-accesses", "10", "-k", env("HDX_PATIENT_KEY"));
    const expiry = () => JSON.parse(ok("consent", "list", "--patient", PATIENT, "--output", "json")).map((c) => c.expires_at);
    const [midDay] = expiry();
    await reload(page);
    await page.getByRole("button", { name: "Change" }).click();
    await page.getByLabel("At most this many accesses (optional)").fill("12");
    await page.getByRole("button", { name: "Save the change" }).click();
    await done(page, "Changed Laboratory no. 0");
    assert.deepEqual(expiry(), [midDay]);

    // A form filled before someone else changed the consent is never saved over that change.
    await page.getByRole("button", { name: "Change" }).click();
    ok("consent", "update", LAB, "--categories", "lab-results", "--modes", "read", "--purposes", "treatment", "--expires", "50d",
      "--max-accesses", "11", "-k", env("HDX_PATIENT_KEY"));
    const [elsewhere] = expiry();
    await page.getByLabel("At most this many accesses (optional)").fill("13");
    await page.getByRole("button", { name: "Save the change" }).click();
    await refused(page, "consent was changed elsewhere since you opened the form; nothing was changed.");
    assert.deepEqual(expiry(), [elsewhere]);
    assert.equal(await page.getByLabel("At most this many accesses (optional)").inputValue(), "11", "the form shows the current terms");
    await page.getByLabel("At most this many accesses (optional)").fill("12");
    await page.getByRole("button", { name: "Save the change" }).click();
    await done(page, "Changed Laboratory no. 0");
    assert.deepEqual(expiry(), [elsewhere]);
    await page.getByRole("button", { name: "Change" }).click();
    await page.getByLabel("At most this many accesses (optional)").fill("10");
    await page.getByRole("button", { name: "Save the change" }).click();
    await done(page, "Changed Laboratory no. 0");

    // The lab reads: granted on lab results, denied (and logged) on imaging.
    assert.match(ok("access", PATIENT, "0", "--purpose", "treatment", "-k", LAB_KEY), /Granted \(log entry 0\)/);
    const denied = hdx("access", PATIENT, "1", "--purpose", "treatment", "-k", LAB_KEY);
    assert.equal(denied.code, 3, denied.err);
    assert.match(denied.out + denied.err, /CategoryNotPermitted/);

    await reload(page);
    await assert.doesNotReject(rows(page).filter({ hasText: "Denied: category not permitted" }).waitFor());
    // The cap counts the granted read only.
    await assert.doesNotReject(page.locator("#consent-list li").filter({ hasText: "At most 10 accesses: 9 left." }).waitFor());
    assert.equal(await rows(page).count(), 2);
    const denial = await rows(page).nth(0).locator("td").allTextContents();
    assert.deepEqual([denial[0], denial[2], denial[3], denial[4], denial[5], denial[6]],
      ["1", providerOption, "read", "no. 1 (imaging)", "treatment (TREAT)", "Denied: category not permitted"]);
    const grant = await rows(page).nth(1).locator("td").allTextContents();
    assert.deepEqual([grant[0], grant[4], grant[6]], ["0", "no. 0 (lab results)", "Granted"]);
    // Filters.
    await page.getByLabel("Outcome").selectOption({ label: "Denied only" });
    assert.equal(await rows(page).count(), 1);
    await page.getByLabel("Outcome").selectOption({ label: "All outcomes" });
    await page.locator("#filter-category").selectOption({ label: "lab results" });
    assert.equal(await rows(page).count(), 1);
    await page.locator("#filter-category").selectOption({ label: "All categories" });

    // The provider directory: until it is published the lab is "Laboratory no. 0";
    // once published, its name is on the consent sentence, the grant form and the disclosures.
    ok("registry", "publish-directory", DIRECTORY_FILE, "-k", AUTHORITY_KEY);
    const named = "Valley Lab · NPI 1245319599 ✓";
    await reload(page);
    await assert.doesNotReject(page.locator("#consent-list").filter({ hasText: `${named} may read your lab results` }).waitFor({ timeout: 30_000 }));
    assert.ok((await page.locator("#grant-provider option").allTextContents()).includes(named));
    assert.ok((await page.locator("#grant-provider option").allTextContents()).includes("City Hospital · NPI 1234567893 ✓"));
    assert.ok((await rows(page).allTextContents()).some((t) => t.includes(named)), "the disclosures name the lab");
    // A directory served that is not the published one (tampered in transit): nobody is named.
    const tampered = readFileSync(DIRECTORY_FILE, "utf8").replace("Valley", "Va11ey");
    await page.route(`${URL}/directory`, (route) => route.fulfill({ status: 200, contentType: "application/fhir+json", body: tampered }));
    await reload(page);
    await assert.doesNotReject(page.locator("#consent-list").filter({ hasText: "Laboratory no. 0" }).waitFor({ timeout: 30_000 }));
    assert.ok(!(await page.locator("#consent-list").textContent()).includes("Valley"));
    assert.ok(!(await page.locator("#grant-provider option").allTextContents()).some((t) => t.includes("✓")));
    assert.equal(await page.locator("#directory-note").textContent(),
      "Providers are shown by kind and number: the directory served does not match the published hash.");
    await page.unroute(`${URL}/directory`);
    await reload(page);
    await assert.doesNotReject(page.locator("#consent-list").filter({ hasText: named }).waitFor({ timeout: 30_000 }));
    assert.equal(await page.locator("#directory-note").textContent(), "");

    // Emergency preferences: mental health excluded.
    // Clicked twice at once: one transaction, and the second click is refused out loud, not dropped.
    await page.locator("#emergency-excluded").getByLabel("mental health").check();
    const signedBeforeTwice = wallet.signed;
    await page.evaluate(() => {
      const save = [...document.querySelectorAll("button")].find((b) => b.textContent === "Save emergency preferences");
      save.click();
      save.click();
    });
    await done(page, "Saved your emergency preferences");
    await refused(page, "Still working on the previous step; nothing was done.");
    assert.equal(wallet.signed, signedBeforeTwice + 1);
    await assert.doesNotReject(page.locator("#emergency-policy").filter({ hasText: "Never shown in an emergency: mental health." }).waitFor());
    assert.equal(await page.locator("#emergency-excluded").getByLabel("mental health").isChecked(), true);

    // Emergency: a hospital with the emergency role breaks the glass and reads.
    ok("emergency", "open", PATIENT, "--reason", "life-threatening", "--duration", "30m", "-k", HOSPITAL_KEY);
    ok("emergency", "access", PATIENT, "1", "-k", HOSPITAL_KEY);
    await reload(page);
    await assert.doesNotReject(page.locator("#window-list li").filter({ hasText: "life threatening" }).waitFor());
    await page.getByLabel("Emergency access only").check();
    assert.equal(await rows(page).count(), 2);
    assert.match(await rows(page).nth(0).textContent(), /Emergency read.*no\. 1 \(imaging\).*emergency treatment \(ETREAT\): life threatening.*Granted/);
    await page.getByLabel("Emergency access only").uncheck();
    // The screenshots the README shows: a live consent, both outcomes, an open emergency window.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, "patient-page-desktop.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, "patient-page-phone.png") });
    await page.locator("#disclosures").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "patient-page-phone-disclosures.png") });
    // On the phone, from the end of the page: the section menu is at the top, its
    // Emergency link brings the window on screen, and "End it now" is one tap away.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    const menu = await page.getByRole("navigation", { name: "Sections" }).boundingBox();
    assert.ok(menu && menu.y >= 0 && menu.y < 5, `the menu is at the top of the screen: ${JSON.stringify(menu)}`);
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Emergency" }).click();
    const end = page.getByRole("button", { name: "End it now" });
    await end.waitFor();
    const box = await end.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 844, `"End it now" is on screen: ${JSON.stringify(box)}`);
    await end.click({ trial: false });
    await page.setViewportSize({ width: 1280, height: 900 });
    await done(page, "emergency window");
    await assert.doesNotReject(page.locator("#window-list li").filter({ hasText: "ended by you at" }).waitFor());
    const after = hdx("emergency", "access", PATIENT, "1", "--window", "0", "-k", HOSPITAL_KEY);
    assert.equal(after.code, 3, `the ended window denies the next read: ${after.out}${after.err}`);
    assert.match(after.out + after.err, /EmergencyWindowEnded/);

    // Revoke, with one click (here from the keyboard); the next access is denied.
    await keyboard(page, "Revoke");
    await done(page, "Revoked");
    await assert.doesNotReject(page.locator("#consent-list li").filter({ hasText: "No provider may see your records." }).waitFor());
    const revoked = hdx("access", PATIENT, "0", "--purpose", "treatment", "-k", LAB_KEY);
    assert.equal(revoked.code, 3);
    assert.match(revoked.out + revoked.err, /NoConsent/);

    // The chain, verified in the browser, agrees with the SDK's verification.
    await page.getByRole("button", { name: "Verify the hash chain" }).click();
    const verdict = page.locator("#verify-result");
    await verdict.filter({ hasText: "Hash chain verified: 6 entries" }).waitFor({ timeout: 30_000 });
    const head = JSON.parse(ok("audit", "verify", PATIENT, "--output", "json")).head;
    assert.ok((await verdict.textContent()).includes(head.slice(0, 16)), `${await verdict.textContent()} vs ${head}`);

    // A lying RPC node: entry 2's time, one byte changed on its way to the page. The page says so.
    const logPage = Buffer.from(IDL.accounts.find((a) => a.name === "LogPage").discriminator);
    await page.route(URL, async (route) => {
      const request = route.request().postDataJSON?.();
      const response = await route.fetch();
      if (request?.method !== "getProgramAccounts") return route.fulfill({ response });
      const body = await response.json();
      for (const { account } of body.result ?? []) {
        const data = Buffer.from(account.data[0], "base64");
        if (data.subarray(0, 8).equals(logPage)) {
          data[96 + 2 * 24 + 4] ^= 1; // entries start at 96; an entry is 24 bytes; time at +4
          account.data[0] = data.toString("base64");
        }
      }
      return route.fulfill({ response, json: body });
    });
    await page.getByRole("button", { name: "Verify the hash chain" }).click();
    await verdict.filter({ hasText: "The hash chain does NOT verify: the entries up to 5 do not fold to the head stored on log page 0." })
      .waitFor({ timeout: 30_000 });
    await page.unroute(URL);
    await page.getByRole("button", { name: "Verify the hash chain" }).click();
    await verdict.filter({ hasText: "Hash chain verified: 6 entries" }).waitFor({ timeout: 30_000 });

    // A research study: its terms in words; joined and left from the page, each signed by the wallet.
    const researcher = ok("address", "-k", RESEARCHER_KEY).trim();
    ok("provider", "register", "--kind", "researcher", "--credential-commitment", "ab".repeat(32), "-k", RESEARCHER_KEY);
    ok("provider", "verify", researcher, "-k", AUTHORITY_KEY);
    ok("study", "create", "1", "--custodian", researcher, "--duo", "hmb,pub", "--categories", "lab-results,vital-signs",
      "--min-cohort", "5", "--epsilon", "1.5", "--enrollment-closes", "30d", "-k", RESEARCHER_KEY);
    const study = ok("study", "address", researcher, "1").trim();
    await reload(page);
    await assert.doesNotReject(page.locator("#study-list li").filter({ hasText: "No study is open to join." }).waitFor());
    ok("study", "approve", study, "-k", AUTHORITY_KEY);
    await reload(page);
    const studyCard = page.locator("#study-list li").first();
    const terms = await studyCard.locator(".sentence").textContent();
    assert.match(terms, /study no\. 1, for health, medical and biomedical research and results published: it may use lab results and vital signs\. Every answer counts at least 5 patients and adds noise; its privacy budget is epsilon 1\.5 \(0 spent in 0 answers\)\. 0 patients enrolled; joining is open until \d{4}-\d{2}-\d{2}\./);
    const signedBeforeStudy = wallet.signed;
    await page.getByRole("button", { name: "Join study no. 1" }).click();
    await done(page, "Joined study no. 1");
    assert.equal(wallet.signed, signedBeforeStudy + 1);
    assert.equal(JSON.parse(ok("study", "show", study, "--output", "json")).enrolled, 1);
    await assert.doesNotReject(studyCard.filter({ hasText: "You joined on" }).waitFor());
    await assert.doesNotReject(studyCard.filter({ hasText: "No answer has been given while you were enrolled." }).waitFor());
    // Four more join; the researcher asks the custodian gateway a question; the page lists the answer.
    for (const k of COHORT_KEYS) {
      ok("patient", "register", "-k", k);
      ok("study", "enroll", study, "--until", "365d", "-k", k);
    }
    const answer = JSON.parse(ok("study", "query", study, "--code", "8867-4", "--epsilon", "0.5", "--gateway", GATEWAY,
      "--output", "json", "-k", RESEARCHER_KEY));
    assert.equal(answer.cohort_size, 5);
    await reload(page);
    await assert.doesNotReject(studyCard.locator(".study-releases li")
      .filter({ hasText: /^Answer 0 on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: 5 patients, epsilon 0\.5\.$/ }).waitFor());
    await page.getByRole("button", { name: "Leave study no. 1" }).click();
    await done(page, "Left study no. 1");
    assert.equal(JSON.parse(ok("study", "show", study, "--output", "json")).enrolled, 4);
    await assert.doesNotReject(studyCard.filter({ hasText: "You left on" }).waitFor());
    await assert.doesNotReject(page.getByRole("button", { name: "Join study no. 1" }).waitFor());
    const studyHistory = JSON.parse(ok("consent", "history", PATIENT, "--output", "json")).filter((v) => v.study === study);
    assert.deepEqual(studyHistory.map((v) => [v.origin, v.ending]), [["enrolled", "withdrawn"]]);

    // The FHIR export, served by hdx serve from the SDK's exporter: the CLI's export, resource for resource.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByText("Download the FHIR export").click()]);
    const served = JSON.parse(readFileSync(await download.path(), "utf8"));
    const cli = JSON.parse(ok("audit", "log", PATIENT, "--format", "fhir"));
    assert.equal(served.resourceType, "Bundle");
    assert.equal(served.entry.filter((e) => e.resource.resourceType === "AuditEvent").length, 6);
    assert.deepEqual(served.entry.map((e) => e.resource.id), cli.entry.map((e) => e.resource.id));
    assert.deepEqual(served.entry.map((e) => e.resource.outcome ?? null), cli.entry.map((e) => e.resource.outcome ?? null));

    // Guardians: this wallet is one of a child's two guardians; mum proposes, the page approves.
    const child = ok("address", "-k", CHILD_KEY).trim();
    ok("patient", "register", "-k", CHILD_KEY);
    ok("guardians", "set", "--guardian", `${PATIENT},${ok("address", "-k", MUM_KEY).trim()}`, "--threshold", "2", "--mode", "alone", "-k", CHILD_KEY);
    ok("guardian", "propose", child, "grant", LAB, "--categories", "immunizations", "--modes", "read", "--purposes", "treatment", "--expires", "30d", "-k", MUM_KEY);
    await reload(page);
    await page.getByRole("button", { name: "Approve proposal 0" }).click();
    await done(page, "Approved proposal 0");
    await assert.doesNotReject(page.locator("#guardian-work li").filter({ hasText: "You approved it." }).waitFor());
    // Mum's wallet: a guardian who is no patient here sees the same proposal, provider named.
    const mumAddress = ok("address", "-k", MUM_KEY).trim();
    const mum = await open(browser, { width: 1280, height: 900 }, walletKey(MUM_KEY, mumAddress));
    await mum.page.getByRole("button", { name: "Connect HDX Test Wallet" }).click();
    const proposalText = `proposal 0 to grant ${named} immunizations until `;
    await assert.doesNotReject(mum.page.locator("#guardian-work li").filter({ hasText: "You approved it." }).waitFor());
    assert.ok((await mum.page.locator("#guardian-work li").textContent()).includes(proposalText),
      `${await mum.page.locator("#guardian-work li").textContent()} / ${proposalText}`);
    assert.equal(await mum.page.locator("#register").isVisible(), true, "mum is no patient here");
    assert.deepEqual(mum.errors, []);
    await mum.context.close();
    assert.match(ok("guardian", "execute", child, "0", "-k", MUM_KEY), /./);

    // A cluster that cannot be reached is named.
    await useCluster(page, "http://127.0.0.1:9");
    await refused(page, "Cannot reach the cluster at http://127.0.0.1:9");
    // Nothing of the previous cluster stays on screen; nor is the wallet told to register there.
    assert.equal(await page.locator("#patient").isVisible(), false, "the previous cluster's consents are gone");
    assert.equal(await page.locator("#register").isVisible(), false);
    assert.equal(await page.locator("#guardian-of").isVisible(), false);
    assert.ok(!(await page.locator("main").innerText()).includes("Valley Lab"), "no provider of the previous cluster is named");
    await useCluster(page, URL);
    await reload(page);

    // 200% zoom (a 1280 px window at 2x is 640 CSS px) and a phone: nothing wider than the window.
    await page.setViewportSize({ width: 640, height: 450 });
    await noOverflow(page, "200% zoom");
    await page.setViewportSize({ width: 320, height: 640 });
    for (const summary of ["Grant a provider access", "Add a record", "Advanced: a pointer typed by hand"]) await expand(page, summary);
    await noOverflow(page, "320 px");
    // A long log is shown a step at a time (here 2 rows a step, `?rows=2`), newest first.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${URL}/?rows=2`);
    await page.getByRole("button", { name: "Connect HDX Test Wallet" }).click();
    await page.locator("#log-count").filter({ hasText: "Newest 2 of 6 entries" }).waitFor();
    assert.deepEqual(await rows(page).locator("td:first-child").allTextContents(), ["5", "4"]);
    await page.getByRole("button", { name: "Show 2 more" }).click();
    assert.deepEqual(await rows(page).locator("td:first-child").allTextContents(), ["5", "4", "3", "2"]);
    await page.getByRole("button", { name: "Show 2 more" }).click();
    assert.equal(await page.locator("#log-count").textContent(), "6 of 6 entries");
    assert.equal(await page.locator("#log-more").isVisible(), false);
    await page.getByLabel("Outcome").selectOption({ label: "Denied only" });
    assert.equal(await page.locator("#log-count").textContent(), "Newest 2 of 3 entries (6 in all)");

    // An expired consent does not block a new grant: the form replaces it in one step.
    ok("consent", "grant", LAB, "--categories", "imaging", "--modes", "read", "--purposes", "treatment", "--expires", "2s", "-k", PATIENT_KEY);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await reload(page);
    await assert.doesNotReject(page.locator("#consent-list li").filter({ hasText: "this consent expired on" }).waitFor({ timeout: 30_000 }));
    assert.equal(await page.getByRole("button", { name: "Renew or replace" }).isVisible(), true);
    await expand(page, "Grant a provider access");
    await page.getByLabel("Provider (verified providers only)").selectOption({ label: named });
    await page.locator("#grant-categories").getByLabel("lab results").check();
    await page.locator("#grant-modes").getByLabel("read").check();
    await page.locator("#grant-purposes").getByLabel("treatment", { exact: true }).check();
    await page.getByLabel("Until (last day, UTC)").fill(new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10));
    await page.getByRole("button", { name: "Grant consent" }).click();
    await done(page, "Replaced");
    const replaced = JSON.parse(hdx("consent", "list", "--patient", PATIENT, "--output", "json").out);
    assert.equal(replaced.length, 1);
    assert.match(JSON.stringify(replaced[0]), /lab-results/);

    // A record added by choosing a file: uploaded to the gateway (signed by the wallet), its hash
    // computed in the browser, the record added with the gateway's ipfs:// locator; the lab
    // then fetches the same bytes through the gateway under the consent just granted.
    const file = { name: "bloodwork.csv", mimeType: "text/csv", buffer: Buffer.from("test,value,unit\nhaemoglobin,13.9,g/dL\n") };
    const signedBeforeUpload = wallet.signed;
    await expand(page, "Add a record");
    await page.locator("#record-category").selectOption({ label: "lab results" });
    await page.getByLabel("Clinical date (optional)").fill("2026-10-05");
    await page.getByLabel("File").setInputFiles(file);
    await page.getByLabel("Data gateway (URL)").fill("");
    await page.getByRole("button", { name: "Add the record" }).click();
    await refused(page, "Give your data gateway's URL");
    await page.getByLabel("Data gateway (URL)").fill("http://127.0.0.1:9");
    await page.getByRole("button", { name: "Add the record" }).click();
    await refused(page, "Cannot reach the gateway at http://127.0.0.1:9");
    await expand(page, "Advanced: a pointer typed by hand");
    await page.getByLabel("Locator (1 to 128 bytes)").fill("enc:v1:x");
    await page.getByRole("button", { name: "Add the record" }).click();
    await refused(page, "Choose a file or type a pointer under Advanced, not both.");
    await page.getByLabel("Locator (1 to 128 bytes)").fill("");
    assert.equal(wallet.signed, signedBeforeUpload, "nothing was signed for refused input");
    await page.getByLabel("Data gateway (URL)").fill(GATEWAY);
    await page.getByRole("button", { name: "Add the record" }).click();
    await done(page, "Added the record");
    assert.equal(wallet.signed, signedBeforeUpload + 2, "the upload and the transaction, each signed once");
    const added = JSON.parse(ok("record", "list", PATIENT, "--output", "json"));
    const sha = createHash("sha256").update(file.buffer).digest("hex");
    const record = added.find((r) => r.index === 2);
    assert.ok(record, JSON.stringify(added));
    assert.equal(record.content_hash, sha);
    assert.match(record.locator, /^ipfs:\/\/bafkrei[a-z2-7]{52}$/);
    assert.equal(await page.getByLabel("Data gateway (URL)").inputValue(), GATEWAY, "the gateway is remembered");
    const out = join(TMP, "fetched.csv");
    ok("fetch", PATIENT, "2", "--purpose", "treatment", "--gateway", GATEWAY, "-o", out, "-k", LAB_KEY);
    assert.deepEqual(readFileSync(out), file.buffer, "the lab got the bytes the patient chose");
    assert.deepEqual(errors, [], "no script errors on the page");
  } catch (e) {
    await page?.screenshot({ path: join(SHOTS, "failure.png"), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
});
