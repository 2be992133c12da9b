//! A reference model of the whole state machine, written from docs/DESIGN.md
//! and the README's code tables: small, obvious code that shares no logic
//! with the program (its own constants, its own gate, its own error order).
//! The model-based test runs the same operations against both and compares
//! every account after every step.
//!
//! Keys: each patient and provider has a chain of keys; index 0 is the key
//! that registered it (its id), index k the key after k rotations. An
//! operation says whether it is signed by the current key or by a key that
//! is not (a rotated-out key, or a stranger's when there was no rotation).

use std::collections::BTreeMap;

/// Outcome codes (README table).
pub const GRANTED: u8 = 0;
pub const NO_CONSENT: u8 = 1;
pub const NOT_YET_VALID: u8 = 2;
pub const EXPIRED: u8 = 3;
pub const CATEGORY: u8 = 4;
pub const MODE: u8 = 5;
pub const PURPOSE: u8 = 6;
pub const DATE_RANGE: u8 = 7;
pub const CAP: u8 = 8;
pub const WINDOW_ENDED: u8 = 9;
pub const OPTED_OUT: u8 = 10;
pub const EXCLUDED: u8 = 11;
/// The emergency outcomes, with their README names.
pub const EMERGENCY_OUTCOMES: [(u8, &str); 4] = [
    (GRANTED, "Granted"),
    (WINDOW_ENDED, "EmergencyWindowEnded"),
    (OPTED_OUT, "EmergencyOptedOut"),
    (EXCLUDED, "EmergencyCategoryExcluded"),
];
/// Log actions (README table).
pub const ACTION_EMERGENCY_OPEN: u8 = 2;
pub const ACTION_EMERGENCY_READ: u8 = 3;
/// `emergency-treatment` (ETREAT): every emergency entry's purpose.
pub const PURPOSE_EMERGENCY: u8 = 6;
/// Guardian modes and proposal kinds (README tables).
pub const G_NONE: u8 = 0;
pub const G_ALONE: u8 = 1;
pub const G_ALONGSIDE: u8 = 2;
pub const G_RECOVERY: u8 = 3;
pub const P_GRANT: u8 = 0;
pub const P_UPDATE: u8 = 1;
pub const P_RECOVER: u8 = 2;
pub const P_HAND_OVER: u8 = 3;
pub const P_PREFERENCES: u8 = 4;
/// Guardian keys each patient may draw from (index 4 = a stranger).
pub const GUARDIAN_POOL: usize = 4;
pub const PROPOSAL_LIFETIME: i64 = 7 * DAY;
/// An `Approve` or `Execute` of the newest proposal.
pub const LATEST: usize = usize::MAX;
/// The registry's emergency policy until it is set (README): 1 hour, 24 hours.
pub const DEFAULT_EMERGENCY_MAX: u32 = 3_600;
pub const DEFAULT_EMERGENCY_COOLDOWN: u32 = 86_400;
/// Every outcome code, in code order, with its README name.
pub const OUTCOMES: [(u8, &str); 9] = [
    (GRANTED, "Granted"),
    (NO_CONSENT, "NoConsent"),
    (NOT_YET_VALID, "NotYetValid"),
    (EXPIRED, "Expired"),
    (CATEGORY, "CategoryNotPermitted"),
    (MODE, "ModeNotPermitted"),
    (PURPOSE, "PurposeNotPermitted"),
    (DATE_RANGE, "OutsideDateRange"),
    (CAP, "AccessCapReached"),
];

pub const CATEGORY_COUNT: u8 = 14;
pub const PURPOSE_COUNT: u8 = 7;
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;
pub const DAY: i64 = 86_400;
/// The longest a consent may run (README): 10 years of 365 days.
pub const MAX_RUN: i64 = 3_650 * DAY;
pub const NO_RECORD: u32 = u32::MAX;
pub const NO_CATEGORY: u8 = u8::MAX;
/// The latest time and day the program keeps (2106).
pub const MAX_TIME: i64 = u32::MAX as i64;
pub const MAX_DAY: u32 = (MAX_TIME / DAY) as u32;

pub const PENDING: u8 = 0;
pub const VERIFIED: u8 = 1;
pub const SUSPENDED: u8 = 2;
/// What a provider's status rests on (README, "Licence attestations").
pub const BASIS_AUTHORITY: u8 = 0;
pub const BASIS_ATTESTATION: u8 = 1;
pub const BASIS_LAPSED: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terms {
    pub categories: u16,
    pub modes: u8,
    pub purposes: u8,
    pub not_before: i64,
    pub expires_at: i64,
    pub access_limit: u32,
    pub from_day: u32,
    pub to_day: u32,
    pub renewal_period: u32,
    pub renewals_allowed: u16,
}

/// Terms as generated: masks as given; the window, and the date range
/// (days back from today), relative to the clock.
#[derive(Debug, Clone, Copy)]
pub struct TermsSpec {
    pub categories: u16,
    pub modes: u8,
    pub purposes: u8,
    pub start: i64,
    pub length: i64,
    pub access_limit: u32,
    /// (from, to) as days before today; `None` = no range.
    pub range: Option<(i64, i64)>,
    /// (period seconds, renewals allowed).
    pub renewal: (u32, u16),
}

impl TermsSpec {
    pub fn at(&self, now: i64) -> Terms {
        let today = now.div_euclid(DAY);
        let day = |back: i64| (today - back).clamp(0, i64::from(u32::MAX)) as u32;
        let (from_day, to_day) = self.range.map_or((0, 0), |(f, t)| (day(f), day(t)));
        Terms {
            categories: self.categories,
            modes: self.modes,
            purposes: self.purposes,
            not_before: now + self.start,
            expires_at: now + self.start + self.length,
            access_limit: self.access_limit,
            from_day,
            to_day,
            renewal_period: self.renewal.0,
            renewals_allowed: self.renewal.1,
        }
    }
}

/// Which key signs: the current one, or one that is not (an old one after a
/// rotation, else a stranger's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Current,
    Stale,
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    RegisterProvider(usize),
    Verify(usize),
    Suspend(usize),
    Reinstate(usize),
    /// A non-authority tries to verify.
    VerifyByStranger(usize),
    /// The attestation service writes the provider's licence attestation
    /// (of the registry's policy, about its commitment and kind), expiring
    /// this many seconds from now (`None`: never), over any earlier one.
    Attest {
        provider: usize,
        expires_in: Option<i64>,
    },
    /// The attestation service closes the provider's attestation (revoked).
    CloseAttestation(usize),
    /// Anyone verifies the provider through its attestation.
    VerifyByAttestation(usize),
    /// Anyone lapses the provider through the attestation it stored.
    Lapse(usize),
    RotateProviderKey {
        provider: usize,
        key: Key,
    },
    RegisterPatient(usize),
    RotatePatientAuthority {
        patient: usize,
        key: Key,
    },
    AddRecord {
        patient: usize,
        category: u8,
        locator_len: usize,
        /// Days back from today; negative = in the future; `None` = unknown (0).
        day: Option<i64>,
        key: Key,
    },
    Grant {
        patient: usize,
        provider: usize,
        terms: TermsSpec,
        key: Key,
    },
    Update {
        patient: usize,
        provider: usize,
        terms: TermsSpec,
        key: Key,
    },
    Revoke {
        patient: usize,
        provider: usize,
        key: Key,
    },
    Renew {
        patient: usize,
        provider: usize,
    },
    Access {
        provider: usize,
        patient: usize,
        record: u32,
        purpose: u8,
        key: Key,
    },
    Write {
        provider: usize,
        patient: usize,
        category: u8,
        purpose: u8,
        /// Days back from today; `None` = unknown.
        day: Option<i64>,
        key: Key,
    },
    SetPaused(bool),
    Advance(i64),
    /// Moves the clock to an edge of a consent's window, give or take a
    /// second (no move if there is no consent or the instant has passed):
    /// boundaries are where off-by-one gates differ.
    AdvanceTo {
        patient: usize,
        provider: usize,
        edge: Edge,
        delta: i64,
    },
    /// The registry authority gives or takes the emergency role.
    SetEmergencyRole {
        provider: usize,
        on: bool,
    },
    SetEmergencyPolicy {
        max_secs: u32,
        cooldown_secs: u32,
    },
    SetEmergencyPreferences {
        patient: usize,
        opt_out: bool,
        excluded: u16,
        key: Key,
    },
    OpenEmergency {
        provider: usize,
        patient: usize,
        /// 1..=3
        /// 0..=2 (`EmergencyReason`)
        reason: u8,
        duration: u32,
        key: Key,
    },
    /// An emergency read in `window`: `None` = the provider's latest window
    /// for the patient; `Some(k)` = the patient's window `k mod count`.
    EmergencyRead {
        provider: usize,
        patient: usize,
        record: u32,
        window: Option<usize>,
        key: Key,
    },
    /// The provider closes its latest window for the patient.
    CloseEmergency {
        provider: usize,
        patient: usize,
        key: Key,
    },
    /// The patient ends the provider's latest window.
    EndEmergency {
        patient: usize,
        provider: usize,
        key: Key,
    },
    /// The registry authority reviews the patient's window `window mod count`.
    ReviewEmergency {
        patient: usize,
        window: usize,
        verdict: u8,
    },
    AcknowledgeEmergency {
        patient: usize,
        window: usize,
        key: Key,
    },
    /// The patient sets guardians: pool members (a bitmask over the pool),
    /// optionally with the patient's own key among them, threshold, mode.
    SetGuardians {
        patient: usize,
        members: u8,
        with_self: bool,
        threshold: u8,
        mode: u8,
        key: Key,
    },
    /// Guardian `guardian` (pool index; `GUARDIAN_POOL` = a stranger) proposes.
    Propose {
        patient: usize,
        guardian: usize,
        kind: u8,
        provider: usize,
        terms: TermsSpec,
        keep: bool,
        /// Emergency preferences (kind `P_PREFERENCES`).
        opt_out: bool,
        excluded: u16,
    },
    Approve {
        patient: usize,
        guardian: usize,
        proposal: usize,
    },
    /// Executes the patient's proposal `proposal mod count`, by its kind.
    Execute {
        patient: usize,
        guardian: usize,
        proposal: usize,
    },
    GuardianRevoke {
        patient: usize,
        guardian: usize,
        provider: usize,
    },
    /// Moves the clock to the end of the provider's latest window for the
    /// patient, or of the cooldown after it, give or take a second.
    AdvanceToWindow {
        patient: usize,
        provider: usize,
        cooldown: bool,
        delta: i64,
    },
}

/// An instant of a consent's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    NotBefore,
    Expiry,
    RenewalOpens,
    /// The provider's stored attestation expiry (no consent needed).
    AttestationExpiry,
}

/// What an operation should do: succeed (with an outcome for access/write) or fail with a named error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Ok,
    Outcome(u8),
    Error(&'static str),
}

impl Expect {
    /// What the program did, in the model's words: success (with an
    /// outcome), or the error by its name (from the IDL's table, or the
    /// code when no name is known). A failure that is not the program's
    /// (the cluster's) is a bug in the test: it panics.
    pub fn of(result: Result<Option<u8>, hdx_sdk::client::ClientError>) -> Expect {
        match result {
            Ok(None) => Expect::Ok,
            Ok(Some(o)) => Expect::Outcome(o),
            Err(e) => {
                let code = e
                    .program_code()
                    .unwrap_or_else(|| panic!("unexpected failure {e}"));
                let name = hdx_sdk::errors::lookup(code)
                    .map(|n| n.name.clone())
                    .unwrap_or_else(|| code.to_string());
                Expect::Error(Box::leak(name.into_boxed_str()))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The provider's registry number.
    pub provider: u32,
    pub time: i64,
    pub record: u32,
    /// The deciding consent's revision (0: none), or the emergency window's index.
    pub basis: u32,
    pub category: u8,
    pub action: u8,
    pub purpose: u8,
    pub outcome: u8,
}

/// An emergency window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    pub provider: usize,
    pub reason: u8,
    pub opened_at: i64,
    pub expires_at: i64,
    /// 0 = not ended early.
    pub ended_at: i64,
    /// 0 not ended, 1 provider, 2 patient.
    pub ended_by: u8,
    pub reads: u32,
    /// 0 unreviewed, 1 justified, 2 not justified.
    pub verdict: u8,
    pub reviewed_at: i64,
    pub acknowledged_at: i64,
}

impl WindowState {
    pub fn ends_at(&self) -> i64 {
        if self.ended_at != 0 {
            self.ended_at.min(self.expires_at)
        } else {
            self.expires_at
        }
    }

    pub fn is_open(&self, now: i64) -> bool {
        self.opened_at <= now && now < self.ends_at()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordState {
    pub category: u8,
    pub day: u32,
    /// None = the patient, Some(provider index).
    pub author: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct PatientState {
    pub records: Vec<RecordState>,
    pub log: Vec<Entry>,
    /// Index in the patient's key chain of its current authority.
    pub authority: usize,
    pub consent_revisions: u32,
    pub opt_out: bool,
    pub excluded: u16,
    pub windows: Vec<WindowState>,
    /// 0 none, 1 alone, 2 alongside, 3 recovery-only.
    pub guardian_mode: u8,
    pub guardians: Option<GuardianSetState>,
}

/// A patient's guardian set: members are indices into the patient's pool of
/// guardian keys, in position order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardianSetState {
    pub mode: u8,
    pub threshold: u8,
    pub members: Vec<usize>,
    pub generation: u32,
    pub proposals: Vec<ProposalState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposalState {
    /// 0 grant, 1 update, 2 recover, 3 hand-over, 4 emergency preferences.
    pub kind: u8,
    /// Pool index of the proposer.
    pub proposer: usize,
    pub approvals: u8,
    pub generation: u32,
    pub executed: bool,
    pub provider: usize,
    pub terms: Terms,
    pub keep: bool,
    pub opt_out: bool,
    pub excluded: u16,
    pub created_at: i64,
}

impl PatientState {
    /// The index of `provider`'s latest window, if any.
    pub fn latest_window(&self, provider: usize) -> Option<usize> {
        self.windows.iter().rposition(|w| w.provider == provider)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ProviderState {
    pub status: u8,
    pub number: u32,
    /// Index in the provider's key chain of its current key.
    pub key: usize,
    pub emergency: bool,
    pub basis: u8,
    /// Whether the provider stored its attestation's address (once verified through it).
    pub attested: bool,
    /// The expiry stored from the attestation (0: none).
    pub attestation_expiry: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentState {
    pub terms: Terms,
    pub revision: u32,
    pub accesses_used: u32,
    pub renewals_used: u16,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub now: i64,
    pub paused: bool,
    pub provider_count: u32,
    pub providers: BTreeMap<usize, ProviderState>,
    pub patients: BTreeMap<usize, PatientState>,
    pub consents: BTreeMap<(usize, usize), ConsentState>,
    pub emergency_max: u32,
    pub emergency_cooldown: u32,
    /// (patient, provider) -> (last window index, when it ends).
    pub trackers: BTreeMap<(usize, usize), (usize, i64)>,
    /// Each provider's attestation account at the service's address for it:
    /// its expiry (0: never) while it exists.
    pub attestations: BTreeMap<usize, i64>,
}

const MISSING: Expect = Expect::Error("AccountNotInitialized");

impl Model {
    pub fn new(now: i64) -> Self {
        Self {
            now,
            paused: false,
            provider_count: 0,
            providers: BTreeMap::new(),
            patients: BTreeMap::new(),
            consents: BTreeMap::new(),
            emergency_max: DEFAULT_EMERGENCY_MAX,
            emergency_cooldown: DEFAULT_EMERGENCY_COOLDOWN,
            trackers: BTreeMap::new(),
            attestations: BTreeMap::new(),
        }
    }

    fn today(&self) -> i64 {
        self.now.div_euclid(DAY)
    }

    /// How far `AdvanceTo` moves the clock (0 when it does not).
    pub fn advance_to(&self, patient: usize, provider: usize, edge: Edge, delta: i64) -> i64 {
        if edge == Edge::AttestationExpiry {
            return match self.providers.get(&provider) {
                // Not past the latest time the program keeps (an expiry far out is not reached).
                Some(p) if p.attestation_expiry != 0 && p.attestation_expiry < MAX_TIME => {
                    (p.attestation_expiry + delta - self.now).max(0)
                }
                _ => 0,
            };
        }
        let Some(c) = self.consents.get(&(patient, provider)) else {
            return 0;
        };
        let t = &c.terms;
        let at = match edge {
            Edge::NotBefore => t.not_before,
            Edge::Expiry => t.expires_at,
            Edge::RenewalOpens => t.expires_at - (t.expires_at - t.not_before) / 10,
            Edge::AttestationExpiry => unreachable!("handled above"),
        } + delta;
        (at - self.now).max(0)
    }

    /// A day as the chain stores it: `None` = 0 (unknown); days back from today.
    pub fn day(&self, back: Option<i64>) -> u32 {
        back.map_or(0, |b| {
            (self.today() - b).clamp(0, i64::from(u32::MAX)) as u32
        })
    }

    fn terms_error(&self, t: &Terms) -> Option<&'static str> {
        let all_categories: u16 = (1 << CATEGORY_COUNT) - 1;
        let all_purposes: u8 = (1 << PURPOSE_COUNT) - 1;
        if t.categories == 0 {
            Some("EmptyCategories")
        } else if t.categories & !all_categories != 0 {
            Some("UnknownCategoryBits")
        } else if t.modes == 0 {
            Some("EmptyModes")
        } else if t.modes & !(READ | WRITE) != 0 {
            Some("UnknownModeBits")
        } else if t.purposes == 0 {
            Some("EmptyPurposes")
        } else if t.purposes & !all_purposes != 0 {
            Some("UnknownPurposeBits")
        } else if !(0..=MAX_TIME).contains(&t.not_before) || !(0..=MAX_TIME).contains(&t.expires_at)
        {
            Some("TimeOutOfRange")
        } else if t.expires_at <= t.not_before {
            Some("InvalidValidityWindow")
        } else if t.expires_at <= self.now {
            Some("ExpiryInPast")
        } else if t.expires_at - self.now > MAX_RUN {
            Some("ExpiryTooFar")
        } else if (t.from_day != 0 || t.to_day != 0)
            && (t.from_day == 0 || t.to_day == 0 || t.from_day > t.to_day || t.to_day > MAX_DAY)
        {
            Some("InvalidDateRange")
        } else if (t.renewal_period == 0) != (t.renewals_allowed == 0)
            || i64::from(t.renewal_period) > MAX_RUN
        {
            Some("InvalidRenewalPolicy")
        } else {
            None
        }
    }

    /// The consent part of the gate, from docs/DESIGN.md, in its stated order.
    fn decide(
        &self,
        c: Option<&ConsentState>,
        category: u8,
        mode: u8,
        purpose: u8,
        day: u32,
    ) -> u8 {
        let Some(c) = c else {
            return NO_CONSENT;
        };
        let t = &c.terms;
        if self.now < t.not_before {
            NOT_YET_VALID
        } else if self.now >= t.expires_at {
            EXPIRED
        } else if t.categories & (1 << category) == 0 {
            CATEGORY
        } else if t.modes & mode == 0 {
            MODE
        } else if t.purposes & (1 << purpose) == 0 {
            PURPOSE
        } else if (t.from_day != 0 || t.to_day != 0)
            && (day == 0 || day < t.from_day || day > t.to_day)
        {
            DATE_RANGE
        } else if t.access_limit != 0 && c.accesses_used >= t.access_limit {
            CAP
        } else {
            GRANTED
        }
    }

    /// The caller checks, in the program's order: key, pause, status.
    fn caller_error(&self, provider: usize, key: Key) -> Option<&'static str> {
        if key == Key::Stale {
            return Some("NotProviderKey");
        }
        if self.paused {
            return Some("ProgramPaused");
        }
        self.status_error(provider)
    }

    /// A provider's status as the gate reads it at the clock: verified, and
    /// (verified through an attestation) its stored expiry not reached.
    fn status_error(&self, provider: usize) -> Option<&'static str> {
        let p = &self.providers[&provider];
        match p.status {
            VERIFIED
                if p.basis == BASIS_ATTESTATION
                    && p.attestation_expiry != 0
                    && self.now >= p.attestation_expiry =>
            {
                Some("ProviderAttestationExpired")
            }
            VERIFIED => None,
            SUSPENDED => Some("ProviderSuspended"),
            _ => Some("ProviderNotVerified"),
        }
    }

    /// Whether an attestation expiring at `expiry` holds now (0: always).
    fn holds(&self, expiry: i64) -> bool {
        expiry == 0 || self.now < expiry
    }

    fn patient_key_error(key: Key) -> Option<&'static str> {
        (key == Key::Stale).then_some("NotPatientAuthority")
    }

    /// The patient's own key acting: its key, then the guardians' lock.
    fn patient_acts(&self, patient: usize, key: Key) -> Option<&'static str> {
        Self::patient_key_error(key).or_else(|| {
            (self.patients.get(&patient).map(|p| p.guardian_mode) == Some(G_ALONE))
                .then_some("GuardiansActForPatient")
        })
    }

    fn next_revision(&mut self, patient: usize) -> u32 {
        let p = self.patients.get_mut(&patient).unwrap();
        p.consent_revisions += 1;
        p.consent_revisions
    }

    /// Decides, counts a capped grant, and logs one entry.
    #[allow(clippy::too_many_arguments)]
    fn gate(
        &mut self,
        provider: usize,
        patient: usize,
        category: u8,
        action: u8,
        purpose: u8,
        day: u32,
        record: Option<u32>,
    ) -> u8 {
        let consent = self.consents.get(&(patient, provider)).copied();
        let mode = if action == 0 { READ } else { WRITE };
        let outcome = self.decide(consent.as_ref(), category, mode, purpose, day);
        if outcome == GRANTED {
            if let Some(c) = self.consents.get_mut(&(patient, provider)) {
                if c.terms.access_limit != 0 {
                    c.accesses_used += 1;
                }
            }
        }
        let state = self.patients.get_mut(&patient).unwrap();
        let record = match (action, outcome) {
            (1, GRANTED) => {
                state.records.push(RecordState {
                    category,
                    day,
                    author: Some(provider),
                });
                (state.records.len() - 1) as u32
            }
            (1, _) => NO_RECORD,
            _ => record.unwrap_or(NO_RECORD),
        };
        let entry = Entry {
            provider: self.providers[&provider].number,
            time: self.now,
            record,
            basis: consent.map_or(0, |c| c.revision),
            category,
            action,
            purpose,
            outcome,
        };
        self.patients.get_mut(&patient).unwrap().log.push(entry);
        outcome
    }

    /// Applies `op`, returning what the program must answer.
    pub fn apply(&mut self, op: Op) -> Expect {
        use Expect::*;
        match op {
            Op::RegisterProvider(p) => {
                if self.providers.contains_key(&p) {
                    return Error("AccountAlreadyExists");
                }
                self.providers.insert(
                    p,
                    ProviderState {
                        status: PENDING,
                        number: self.provider_count,
                        key: 0,
                        emergency: false,
                        basis: BASIS_AUTHORITY,
                        attested: false,
                        attestation_expiry: 0,
                    },
                );
                self.provider_count += 1;
                Ok
            }
            Op::Verify(p) | Op::Suspend(p) | Op::Reinstate(p) => {
                let Some(state) = self.providers.get_mut(&p) else {
                    return MISSING;
                };
                state.status = match (op, state.status) {
                    (Op::Verify(_), PENDING) => VERIFIED,
                    (Op::Suspend(_), PENDING | VERIFIED) => SUSPENDED,
                    (Op::Reinstate(_), SUSPENDED) => VERIFIED,
                    _ => return Error("InvalidStatusTransition"),
                };
                state.basis = BASIS_AUTHORITY;
                Ok
            }
            Op::Attest {
                provider,
                expires_in,
            } => {
                // The service attests whom it likes: a provider not (yet) registered too.
                let expiry = expires_in.map_or(0, |s| self.now + s);
                self.attestations.insert(provider, expiry);
                Ok
            }
            Op::CloseAttestation(provider) => {
                self.attestations.remove(&provider);
                Ok
            }
            Op::VerifyByAttestation(p) => {
                if !self.providers.contains_key(&p) {
                    return MISSING;
                }
                // The account's owner, then its subject and policy (always right here), then its expiry.
                let Some(&expiry) = self.attestations.get(&p) else {
                    return Error("AttestationOwnerMismatch");
                };
                if !self.holds(expiry) {
                    return Error("AttestationExpired");
                }
                let state = self.providers.get_mut(&p).unwrap();
                if state.status == SUSPENDED && state.basis != BASIS_LAPSED {
                    return Error("ProviderSuspended");
                }
                state.status = VERIFIED;
                state.basis = BASIS_ATTESTATION;
                state.attested = true;
                state.attestation_expiry = expiry;
                Ok
            }
            Op::Lapse(p) => {
                let Some(state) = self.providers.get(&p) else {
                    return MISSING;
                };
                if state.status != VERIFIED || state.basis != BASIS_ATTESTATION {
                    return Error("NotAttested");
                }
                let stored_expired =
                    state.attestation_expiry != 0 && self.now >= state.attestation_expiry;
                // Closed (revoked), or expired by the account's or the stored expiry: it lapses.
                if let Some(&expiry) = self.attestations.get(&p) {
                    if self.holds(expiry) && !stored_expired {
                        return Error("AttestationStillHolds");
                    }
                }
                let state = self.providers.get_mut(&p).unwrap();
                state.status = SUSPENDED;
                state.basis = BASIS_LAPSED;
                Ok
            }
            Op::VerifyByStranger(p) => {
                if !self.providers.contains_key(&p) {
                    return MISSING;
                }
                Error("NotRegistryAuthority")
            }
            Op::RotateProviderKey { provider, key } => {
                let Some(state) = self.providers.get_mut(&provider) else {
                    return MISSING;
                };
                if key == Key::Stale {
                    return Error("NotProviderKey");
                }
                state.key += 1;
                Ok
            }
            Op::RegisterPatient(pt) => {
                if self.patients.contains_key(&pt) {
                    return Error("AccountAlreadyExists");
                }
                self.patients.insert(pt, PatientState::default());
                Ok
            }
            Op::RotatePatientAuthority { patient, key } => {
                if !self.patients.contains_key(&patient) {
                    return MISSING;
                }
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                self.patients.get_mut(&patient).unwrap().authority += 1;
                Ok
            }
            Op::AddRecord {
                patient,
                category,
                locator_len,
                day,
                key,
            } => {
                if !self.patients.contains_key(&patient) {
                    return MISSING;
                }
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                let day = self.day(day);
                if i64::from(day) > self.today() + 1 {
                    return Error("ClinicalDayInFuture");
                }
                if locator_len == 0 {
                    return Error("EmptyLocator");
                }
                if locator_len > 128 {
                    return Error("LocatorTooLong");
                }
                self.patients
                    .get_mut(&patient)
                    .unwrap()
                    .records
                    .push(RecordState {
                        category,
                        day,
                        author: None,
                    });
                Ok
            }
            Op::Grant {
                patient,
                provider,
                terms,
                key,
            } => {
                if !self.patients.contains_key(&patient) || !self.providers.contains_key(&provider)
                {
                    return MISSING;
                }
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                let t = terms.at(self.now);
                if let Some(e) = self.terms_error(&t) {
                    return Error(e);
                }
                if self.consents.contains_key(&(patient, provider)) {
                    return Error("AccountAlreadyExists");
                }
                let revision = self.next_revision(patient);
                self.consents.insert(
                    (patient, provider),
                    ConsentState {
                        terms: t,
                        revision,
                        accesses_used: 0,
                        renewals_used: 0,
                    },
                );
                Ok
            }
            Op::Update {
                patient,
                provider,
                terms,
                key,
            } => {
                if !self.patients.contains_key(&patient)
                    || !self.consents.contains_key(&(patient, provider))
                {
                    return MISSING;
                }
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                let t = terms.at(self.now);
                if let Some(e) = self.terms_error(&t) {
                    return Error(e);
                }
                let revision = self.next_revision(patient);
                let c = self.consents.get_mut(&(patient, provider)).unwrap();
                c.terms = t;
                c.revision = revision;
                c.renewals_used = 0;
                Ok
            }
            Op::Revoke {
                patient,
                provider,
                key,
            } => {
                if !self.patients.contains_key(&patient)
                    || !self.consents.contains_key(&(patient, provider))
                {
                    return MISSING;
                }
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                self.consents.remove(&(patient, provider));
                Ok
            }
            Op::Renew { patient, provider } => {
                if !self.patients.contains_key(&patient) || !self.providers.contains_key(&provider)
                {
                    return MISSING;
                }
                let Some(c) = self.consents.get(&(patient, provider)).copied() else {
                    return MISSING;
                };
                let t = c.terms;
                if t.renewal_period == 0 {
                    return Error("NoRenewalPolicy");
                }
                if c.renewals_used >= t.renewals_allowed {
                    return Error("NoRenewalsLeft");
                }
                if self.now >= t.expires_at {
                    return Error("ConsentExpired");
                }
                // The last tenth of the window (integer division, as written in the README).
                if self.now < t.expires_at - (t.expires_at - t.not_before) / 10 {
                    return Error("RenewalNotDue");
                }
                if let Some(e) = self.status_error(provider) {
                    return Error(e);
                }
                let expires_at = t.expires_at + i64::from(t.renewal_period);
                if expires_at - self.now > MAX_RUN {
                    return Error("ExpiryTooFar");
                }
                let revision = self.next_revision(patient);
                let c = self.consents.get_mut(&(patient, provider)).unwrap();
                c.terms.expires_at = expires_at;
                c.renewals_used += 1;
                c.revision = revision;
                Ok
            }
            Op::Access {
                provider,
                patient,
                record,
                purpose,
                key,
            } => {
                let Some(state) = self.patients.get(&patient) else {
                    return MISSING;
                };
                let Some(rec) = state.records.get(record as usize).copied() else {
                    return MISSING;
                };
                if !self.providers.contains_key(&provider) {
                    return MISSING;
                }
                if let Some(e) = self.caller_error(provider, key) {
                    return Error(e);
                }
                Outcome(self.gate(
                    provider,
                    patient,
                    rec.category,
                    0,
                    purpose,
                    rec.day,
                    Some(record),
                ))
            }
            Op::Write {
                provider,
                patient,
                category,
                purpose,
                day,
                key,
            } => {
                if !self.providers.contains_key(&provider) || !self.patients.contains_key(&patient)
                {
                    return MISSING;
                }
                if let Some(e) = self.caller_error(provider, key) {
                    return Error(e);
                }
                let day = self.day(day);
                if i64::from(day) > self.today() + 1 {
                    return Error("ClinicalDayInFuture");
                }
                Outcome(self.gate(provider, patient, category, 1, purpose, day, None))
            }
            Op::SetPaused(b) => {
                self.paused = b;
                Ok
            }
            Op::Advance(secs) => {
                self.now += secs;
                Ok
            }
            Op::AdvanceTo {
                patient,
                provider,
                edge,
                delta,
            } => {
                self.now += self.advance_to(patient, provider, edge, delta);
                Ok
            }
            Op::AdvanceToWindow {
                patient,
                provider,
                cooldown,
                delta,
            } => {
                self.now += self.advance_to_window(patient, provider, cooldown, delta);
                Ok
            }
            Op::SetGuardians { .. }
            | Op::Propose { .. }
            | Op::Approve { .. }
            | Op::Execute { .. }
            | Op::GuardianRevoke { .. } => self.apply_guardians(op),
            op => self.apply_emergency(op),
        }
    }

    /// The proposal an operation names: `LATEST` is the newest, else `proposal mod count`.
    pub fn pick_proposal(&self, patient: usize, proposal: usize) -> Option<usize> {
        let set = self.patients.get(&patient)?.guardians.as_ref()?;
        let n = set.proposals.len();
        (n > 0).then(|| {
            if proposal == LATEST {
                n - 1
            } else {
                proposal % n
            }
        })
    }

    fn mode_allows(mode: u8, kind: u8) -> bool {
        match kind {
            P_GRANT | P_UPDATE | P_PREFERENCES => mode == G_ALONE || mode == G_ALONGSIDE,
            P_RECOVER => mode != G_NONE,
            _ => mode == G_ALONE,
        }
    }

    /// Guardians, from docs/DESIGN.md and the README.
    fn apply_guardians(&mut self, op: Op) -> Expect {
        use Expect::*;
        let now = self.now;
        match op {
            Op::SetGuardians {
                patient,
                members,
                with_self,
                threshold,
                mode,
                key,
            } => {
                if !self.patients.contains_key(&patient) {
                    return MISSING;
                }
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                let list: Vec<usize> = (0..GUARDIAN_POOL)
                    .filter(|i| members & (1 << i) != 0)
                    .collect();
                let n = list.len() + usize::from(with_self);
                let valid = if mode == G_NONE {
                    n == 0 && threshold == 0
                } else {
                    (1..=5).contains(&n) && (1..=n).contains(&(threshold as usize)) && !with_self
                };
                if !valid {
                    return Error("InvalidGuardianSet");
                }
                let p = self.patients.get_mut(&patient).unwrap();
                if p.guardians.is_none() && mode == G_NONE {
                    return Error("InvalidGuardianSet");
                }
                let set = p.guardians.get_or_insert_with(GuardianSetState::default);
                set.mode = mode;
                set.threshold = threshold;
                set.members = list;
                set.generation += 1;
                p.guardian_mode = mode;
                Ok
            }
            Op::Propose {
                patient,
                guardian,
                kind,
                provider,
                terms,
                keep,
                opt_out,
                excluded,
            } => {
                let Some(p) = self.patients.get(&patient) else {
                    return MISSING;
                };
                let Some(set) = p.guardians.as_ref() else {
                    return MISSING;
                };
                let Some(position) = set.members.iter().position(|m| *m == guardian) else {
                    return Error("NotAGuardian");
                };
                if !Self::mode_allows(set.mode, kind) {
                    return Error("GuardianModeForbids");
                }
                let t = terms.at(now);
                if kind == P_GRANT || kind == P_UPDATE {
                    if let Some(e) = self.terms_error(&t) {
                        return Error(e);
                    }
                }
                if kind == P_PREFERENCES && excluded >> CATEGORY_COUNT != 0 {
                    return Error("UnknownCategoryBits");
                }
                let generation = set.generation;
                self.patients
                    .get_mut(&patient)
                    .unwrap()
                    .guardians
                    .as_mut()
                    .unwrap()
                    .proposals
                    .push(ProposalState {
                        kind,
                        proposer: guardian,
                        approvals: 1 << position,
                        generation,
                        executed: false,
                        provider,
                        terms: t,
                        // Only a hand-over carries the flag.
                        keep: keep && kind == P_HAND_OVER,
                        opt_out: opt_out && kind == P_PREFERENCES,
                        excluded: if kind == P_PREFERENCES { excluded } else { 0 },
                        created_at: now,
                    });
                Ok
            }
            Op::Approve {
                patient,
                guardian,
                proposal,
            } => {
                let Some(i) = self.pick_proposal(patient, proposal) else {
                    return MISSING;
                };
                let set = self
                    .patients
                    .get_mut(&patient)
                    .unwrap()
                    .guardians
                    .as_mut()
                    .unwrap();
                let Some(position) = set.members.iter().position(|m| *m == guardian) else {
                    return Error("NotAGuardian");
                };
                let generation = set.generation;
                let prop = &mut set.proposals[i];
                if let Some(e) = Self::open_error(prop, generation, now) {
                    return Error(e);
                }
                if prop.approvals & (1 << position) != 0 {
                    return Error("AlreadyApproved");
                }
                prop.approvals |= 1 << position;
                Ok
            }
            Op::Execute {
                patient,
                guardian,
                proposal,
            } => {
                let Some(i) = self.pick_proposal(patient, proposal) else {
                    return MISSING;
                };
                let set = self.patients[&patient].guardians.clone().unwrap();
                let prop = set.proposals[i];
                // Accounts first: a grant needs its provider, an update its consent.
                if prop.kind == P_GRANT && !self.providers.contains_key(&prop.provider) {
                    return MISSING;
                }
                if prop.kind == P_UPDATE && !self.consents.contains_key(&(patient, prop.provider)) {
                    return MISSING;
                }
                if !set.members.contains(&guardian) {
                    return Error("NotAGuardian");
                }
                if let Some(e) = Self::open_error(&prop, set.generation, now) {
                    return Error(e);
                }
                if prop.approvals.count_ones() < u32::from(set.threshold) {
                    return Error("NotEnoughApprovals");
                }
                if !Self::mode_allows(set.mode, prop.kind) {
                    return Error("GuardianModeForbids");
                }
                match prop.kind {
                    P_GRANT => {
                        if let Some(e) = self.terms_error(&prop.terms) {
                            return Error(e);
                        }
                        if self.consents.contains_key(&(patient, prop.provider)) {
                            return Error("AccountAlreadyExists");
                        }
                        let revision = self.next_revision(patient);
                        self.consents.insert(
                            (patient, prop.provider),
                            ConsentState {
                                terms: prop.terms,
                                revision,
                                accesses_used: 0,
                                renewals_used: 0,
                            },
                        );
                    }
                    P_UPDATE => {
                        if let Some(e) = self.terms_error(&prop.terms) {
                            return Error(e);
                        }
                        let revision = self.next_revision(patient);
                        let c = self.consents.get_mut(&(patient, prop.provider)).unwrap();
                        c.terms = prop.terms;
                        c.revision = revision;
                        c.renewals_used = 0;
                    }
                    P_PREFERENCES => {
                        let p = self.patients.get_mut(&patient).unwrap();
                        p.opt_out = prop.opt_out;
                        p.excluded = prop.excluded;
                    }
                    _ => {
                        let p = self.patients.get_mut(&patient).unwrap();
                        p.authority += 1;
                        if prop.kind == P_HAND_OVER {
                            let set = p.guardians.as_mut().unwrap();
                            if prop.keep {
                                set.mode = G_RECOVERY;
                            } else {
                                set.mode = G_NONE;
                                set.members.clear();
                                set.threshold = 0;
                            }
                            set.generation += 1;
                            p.guardian_mode = set.mode;
                        }
                    }
                }
                let p = self.patients.get_mut(&patient).unwrap();
                p.guardians.as_mut().unwrap().proposals[i].executed = true;
                Ok
            }
            Op::GuardianRevoke {
                patient,
                guardian,
                provider,
            } => {
                let Some(p) = self.patients.get(&patient) else {
                    return MISSING;
                };
                let Some(set) = p.guardians.as_ref() else {
                    return MISSING;
                };
                if !self.consents.contains_key(&(patient, provider)) {
                    return MISSING;
                }
                if !set.members.contains(&guardian) {
                    return Error("NotAGuardian");
                }
                if set.mode != G_ALONE && set.mode != G_ALONGSIDE {
                    return Error("GuardianModeForbids");
                }
                self.consents.remove(&(patient, provider));
                Ok
            }
            _ => unreachable!("handled in apply"),
        }
    }

    fn open_error(p: &ProposalState, generation: u32, now: i64) -> Option<&'static str> {
        if p.generation != generation {
            Some("ProposalStale")
        } else if now >= p.created_at + PROPOSAL_LIFETIME {
            Some("ProposalExpired")
        } else if p.executed {
            Some("ProposalExecuted")
        } else {
            None
        }
    }

    /// How far `AdvanceToWindow` moves the clock (0 when it does not).
    pub fn advance_to_window(
        &self,
        patient: usize,
        provider: usize,
        cooldown: bool,
        delta: i64,
    ) -> i64 {
        let Some(w) = self
            .patients
            .get(&patient)
            .and_then(|p| p.latest_window(provider).map(|i| p.windows[i]))
        else {
            return 0;
        };
        let at = w.ends_at()
            + if cooldown {
                i64::from(self.emergency_cooldown)
            } else {
                0
            }
            + delta;
        (at - self.now).max(0)
    }

    /// Emergency access, from docs/DESIGN.md and the README: who may open,
    /// for how long, what a window allows, how it ends, its review.
    fn apply_emergency(&mut self, op: Op) -> Expect {
        use Expect::*;
        let now = self.now;
        match op {
            Op::SetEmergencyRole { provider, on } => {
                let Some(p) = self.providers.get_mut(&provider) else {
                    return MISSING;
                };
                p.emergency = on;
                Ok
            }
            Op::SetEmergencyPolicy {
                max_secs,
                cooldown_secs,
            } => {
                if !(1..=7 * 86_400).contains(&max_secs) || cooldown_secs > 30 * 86_400 {
                    return Error("InvalidEmergencyPolicy");
                }
                self.emergency_max = max_secs;
                self.emergency_cooldown = cooldown_secs;
                Ok
            }
            Op::SetEmergencyPreferences {
                patient,
                opt_out,
                excluded,
                key,
            } => {
                if !self.patients.contains_key(&patient) {
                    return MISSING;
                }
                // While guardians act alone, only they change preferences (invariant 8).
                if let Some(e) = self.patient_acts(patient, key) {
                    return Error(e);
                }
                if excluded >> CATEGORY_COUNT != 0 {
                    return Error("UnknownCategoryBits");
                }
                let p = self.patients.get_mut(&patient).unwrap();
                p.opt_out = opt_out;
                p.excluded = excluded;
                Ok
            }
            Op::OpenEmergency {
                provider,
                patient,
                reason,
                duration,
                key,
            } => {
                if !self.providers.contains_key(&provider) || !self.patients.contains_key(&patient)
                {
                    return MISSING;
                }
                if let Some(e) = self.caller_error(provider, key) {
                    return Error(e);
                }
                if !self.providers[&provider].emergency {
                    return Error("NoEmergencyRole");
                }
                if self.patients[&patient].opt_out {
                    return Error("EmergencyOptedOut");
                }
                if duration < 1 || duration > self.emergency_max {
                    return Error("EmergencyDurationInvalid");
                }
                if let Some((_, ends)) = self.trackers.get(&(patient, provider)) {
                    if now < *ends {
                        return Error("EmergencyWindowAlreadyOpen");
                    }
                    if now < ends + i64::from(self.emergency_cooldown) {
                        return Error("EmergencyCooldown");
                    }
                }
                let expires_at = now + i64::from(duration);
                let number = self.providers[&provider].number;
                let p = self.patients.get_mut(&patient).unwrap();
                p.windows.push(WindowState {
                    provider,
                    reason,
                    opened_at: now,
                    expires_at,
                    ended_at: 0,
                    ended_by: 0,
                    reads: 0,
                    verdict: 0,
                    reviewed_at: 0,
                    acknowledged_at: 0,
                });
                let index = p.windows.len() - 1;
                p.log.push(Entry {
                    provider: number,
                    time: now,
                    record: NO_RECORD,
                    basis: index as u32,
                    category: NO_CATEGORY,
                    action: ACTION_EMERGENCY_OPEN,
                    purpose: PURPOSE_EMERGENCY,
                    outcome: GRANTED,
                });
                self.trackers
                    .insert((patient, provider), (index, expires_at));
                Ok
            }
            Op::EmergencyRead {
                provider,
                patient,
                record,
                window,
                key,
            } => {
                let Some(state) = self.patients.get(&patient) else {
                    return MISSING;
                };
                let Some(rec) = state.records.get(record as usize).copied() else {
                    return MISSING;
                };
                if !self.providers.contains_key(&provider) {
                    return MISSING;
                }
                let Some(w) = self.pick_window(patient, provider, window) else {
                    return MISSING;
                };
                if let Some(e) = self.caller_error(provider, key) {
                    return Error(e);
                }
                if !self.providers[&provider].emergency {
                    return Error("NoEmergencyRole");
                }
                let p = &self.patients[&patient];
                let win = p.windows[w];
                if win.provider != provider {
                    return Error("EmergencyWindowMismatch");
                }
                let outcome = if !win.is_open(now) {
                    WINDOW_ENDED
                } else if p.opt_out {
                    OPTED_OUT
                } else if p.excluded & (1 << rec.category) != 0 {
                    EXCLUDED
                } else {
                    GRANTED
                };
                let number = self.providers[&provider].number;
                let p = self.patients.get_mut(&patient).unwrap();
                if outcome == GRANTED {
                    p.windows[w].reads += 1;
                }
                p.log.push(Entry {
                    provider: number,
                    time: now,
                    record,
                    basis: w as u32,
                    category: rec.category,
                    action: ACTION_EMERGENCY_READ,
                    purpose: PURPOSE_EMERGENCY,
                    outcome,
                });
                Outcome(outcome)
            }
            Op::CloseEmergency {
                provider,
                patient,
                key,
            } => {
                if !self.providers.contains_key(&provider) {
                    return MISSING;
                }
                let Some(w) = self
                    .patients
                    .get(&patient)
                    .and_then(|p| p.latest_window(provider))
                else {
                    return MISSING;
                };
                if key == Key::Stale {
                    return Error("NotProviderKey");
                }
                self.end_window(patient, provider, w, 1)
            }
            Op::EndEmergency {
                patient,
                provider,
                key,
            } => {
                let Some(w) = self
                    .patients
                    .get(&patient)
                    .and_then(|p| p.latest_window(provider))
                else {
                    return MISSING;
                };
                if let Some(e) = Self::patient_key_error(key) {
                    return Error(e);
                }
                self.end_window(patient, provider, w, 2)
            }
            Op::ReviewEmergency {
                patient,
                window,
                verdict,
            } => {
                let Some(w) = self.pick_window(patient, 0, Some(window)) else {
                    return MISSING;
                };
                let win = &mut self.patients.get_mut(&patient).unwrap().windows[w];
                if verdict == 0 {
                    return Error("InvalidVerdict");
                }
                if win.verdict != 0 {
                    return Error("AlreadyReviewed");
                }
                if now < win.ends_at() {
                    return Error("EmergencyWindowStillOpen");
                }
                win.verdict = verdict;
                win.reviewed_at = now;
                Ok
            }
            Op::AcknowledgeEmergency {
                patient,
                window,
                key,
            } => {
                let Some(w) = self.pick_window(patient, 0, Some(window)) else {
                    return MISSING;
                };
                if let Some(e) = Self::patient_key_error(key) {
                    return Error(e);
                }
                let win = &mut self.patients.get_mut(&patient).unwrap().windows[w];
                if win.acknowledged_at != 0 {
                    return Error("AlreadyAcknowledged");
                }
                win.acknowledged_at = now;
                Ok
            }
            _ => unreachable!("handled in apply"),
        }
    }

    /// The window an operation names (see `Op::EmergencyRead`).
    pub fn pick_window(
        &self,
        patient: usize,
        provider: usize,
        window: Option<usize>,
    ) -> Option<usize> {
        let p = self.patients.get(&patient)?;
        match window {
            None => p.latest_window(provider),
            Some(_) if p.windows.is_empty() => None,
            Some(k) => Some(k % p.windows.len()),
        }
    }

    fn end_window(&mut self, patient: usize, provider: usize, w: usize, by: u8) -> Expect {
        let now = self.now;
        let win = &mut self.patients.get_mut(&patient).unwrap().windows[w];
        if !win.is_open(now) {
            return Expect::Error("EmergencyWindowEnded");
        }
        win.ended_at = now;
        win.ended_by = by;
        if let Some(t) = self.trackers.get_mut(&(patient, provider)) {
            if t.0 == w {
                t.1 = now;
            }
        }
        Expect::Ok
    }
}
