// Plain words for accounts: dates, providers, consents as sentences.
import { CATEGORIES, PURPOSES, PROVIDER_KINDS, byCode, bits, enumCode, modeNames, constant } from "./idl.js";

const DAY = constant("SECONDS_PER_DAY");
const num = (v) => (typeof v === "number" ? v : Number(v.toString()));
/**
 * One date format, entered and shown: ISO 8601, year-month-day
 * (2026-10-02), in UTC, the chain's time. Unambiguous in every country
 * (02/10 is February in one and October in another), and what the date
 * fields take.
 */
export const isoDay = (unix) => new Date(num(unix) * 1000).toISOString().slice(0, 10);
export const date = (unix) => isoDay(unix);
export const time = (unix) => `${new Date(num(unix) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
/** A clinical day number (days since 1970-01-01, 0 = unknown) as a date. */
export const day = (d) => (d === 0 ? "date unknown" : isoDay(d * DAY));
/**
 * A date field's text (YYYY-MM-DD, a real day) as unix seconds at 00:00
 * UTC; `null` when it is not one.
 */
export function parseIsoDay(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const unix = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000;
  return isoDay(unix) === text.trim() ? unix : null;
}
/** A date field's text as a day number (days since 1970-01-01), or `null`. */
export const dayNumber = (text) => {
  const unix = parseIsoDay(text);
  return unix === null ? null : Math.floor(unix / DAY);
};

export const short = (key) => {
  const s = key.toString();
  return `${s.slice(0, 4)}…${s.slice(-4)}`;
};

/** "A and B", "A, B and C". */
export function list(items, last = "and") {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${last} ${items[items.length - 1]}`;
}

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** Names the published directory proves (src/directory.js), by provider id. */
let provenNames = new Map();
export function setProvenNames(names) {
  provenNames = names;
}
export const isNamed = (provider) => provenNames.has(provider.id.toBase58());

/**
 * A provider in words: "City Hospital · NPI 1234567893 ✓" when the directory
 * proves it, else "Laboratory no. 0 (E6Rc…2Zz)".
 */
export function providerName(provider) {
  if (!provider) return "an unknown provider";
  const proven = provenNames.get(provider.id.toBase58());
  if (proven) return `${proven.name} · NPI ${proven.npi} ✓`;
  const kind = byCode(PROVIDER_KINDS, enumCode("ProviderKind", provider.kind))?.label ?? "provider";
  return `${capital(kind)} no. ${provider.number} (${short(provider.id)})`;
}

export const categoryNames = (mask) => bits(CATEGORIES, mask).map((c) => c.label);
export const purposeNames = (mask) => bits(PURPOSES, mask).map((p) => p.label);

/**
 * A consent as a sentence: "Laboratory no. 0 (…) may read your lab results
 * for treatment until 2026-12-24", with its start, cap, date range and
 * renewals.
 */
export function consentSentence(c, provider, now) {
  const modes = modeNames(c.modes);
  const verb = modes.includes("read") && modes.includes("write") ? "may read and add to" : modes.includes("write") ? "may add to" : "may read";
  const lastDay = date(num(c.expiresAt) - 1);
  let when;
  if (now >= num(c.expiresAt)) when = `; this consent expired on ${lastDay}`;
  else if (now < num(c.notBefore)) when = ` from ${date(c.notBefore)} until ${lastDay}`;
  else when = ` until ${lastDay}`;
  let s = `${providerName(provider)} ${verb} your ${list(categoryNames(c.categories))} for ${list(purposeNames(c.purposes), "or")}${when}.`;
  if (c.fromDay !== 0 || c.toDay !== 0) s += ` Only records dated ${day(c.fromDay)} to ${day(c.toDay)}.`;
  if (c.accessLimit > 0) {
    const left = Math.max(0, c.accessLimit - c.accessesUsed);
    s += ` At most ${c.accessLimit} accesses: ${left} left.`;
  }
  if (c.renewalsAllowed > 0) {
    const left = Math.max(0, c.renewalsAllowed - c.renewalsUsed);
    const days = Math.round(c.renewalPeriodSecs / DAY);
    s += ` Renews by ${days} day${days === 1 ? "" : "s"} at a time: ${left} of ${c.renewalsAllowed} renewals left.`;
  }
  return s;
}

/** Whether a consent is live at `now` (`not_before <= now < expires_at`). */
export const isLive = (c, now) => num(c.notBefore) <= now && now < num(c.expiresAt);
