//! A reference model of the whole state machine, written from DESIGN.md and
//! the README's code tables: small, obvious code that shares no logic with
//! the program (its own constants, its own gate). The model-based test runs
//! the same operations against both and compares after every step.

use std::collections::BTreeMap;

/// Outcome codes (README table).
pub const GRANTED: u8 = 0;
pub const NO_CONSENT: u8 = 1;
pub const NOT_YET_VALID: u8 = 2;
pub const EXPIRED: u8 = 3;
pub const CATEGORY: u8 = 4;
pub const MODE: u8 = 5;
pub const PURPOSE: u8 = 6;

pub const CATEGORY_COUNT: u8 = 14;
pub const PURPOSE_COUNT: u8 = 6;
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;

pub const PENDING: u8 = 0;
pub const VERIFIED: u8 = 1;
pub const SUSPENDED: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub categories: u16,
    pub modes: u8,
    pub purposes: u8,
    pub not_before: i64,
    pub expires_at: i64,
}

/// Terms as generated: masks as given, the window relative to the clock.
#[derive(Debug, Clone, Copy)]
pub struct TermsSpec {
    pub categories: u16,
    pub modes: u8,
    pub purposes: u8,
    pub start: i64,
    pub length: i64,
}

impl TermsSpec {
    pub fn at(&self, now: i64) -> Terms {
        Terms {
            categories: self.categories,
            modes: self.modes,
            purposes: self.purposes,
            not_before: now + self.start,
            expires_at: now + self.start + self.length,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    RegisterProvider(usize),
    Verify(usize),
    Suspend(usize),
    Reinstate(usize),
    /// A non-authority tries to verify.
    VerifyByStranger(usize),
    RegisterPatient(usize),
    AddRecord {
        patient: usize,
        category: u8,
        locator_len: usize,
    },
    Grant {
        patient: usize,
        provider: usize,
        terms: TermsSpec,
    },
    Update {
        patient: usize,
        provider: usize,
        terms: TermsSpec,
    },
    Revoke {
        patient: usize,
        provider: usize,
    },
    Access {
        provider: usize,
        patient: usize,
        record: u32,
        purpose: u8,
    },
    Write {
        provider: usize,
        patient: usize,
        category: u8,
        purpose: u8,
    },
    SetPaused(bool),
    Advance(i64),
}

/// What an operation should do: succeed (with an outcome for access/write) or fail with a named error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Ok,
    Outcome(u8),
    Error(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sequence: u64,
    pub provider: usize,
    pub time: i64,
    pub record: u32,
    pub category: u8,
    pub action: u8,
    pub purpose: u8,
    pub outcome: u8,
}

#[derive(Debug, Clone, Default)]
pub struct PatientState {
    /// (category, author: None = the patient, Some(provider))
    pub records: Vec<(u8, Option<usize>)>,
    pub log: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub now: i64,
    pub paused: bool,
    pub providers: BTreeMap<usize, u8>,
    pub patients: BTreeMap<usize, PatientState>,
    pub consents: BTreeMap<(usize, usize), Terms>,
}

impl Model {
    pub fn new(now: i64) -> Self {
        Self {
            now,
            paused: false,
            providers: BTreeMap::new(),
            patients: BTreeMap::new(),
            consents: BTreeMap::new(),
        }
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
        } else if t.expires_at <= t.not_before {
            Some("InvalidValidityWindow")
        } else if t.expires_at <= self.now {
            Some("ExpiryInPast")
        } else {
            None
        }
    }

    /// The consent part of the gate, from DESIGN.md.
    fn decide(&self, patient: usize, provider: usize, category: u8, mode: u8, purpose: u8) -> u8 {
        let Some(c) = self.consents.get(&(patient, provider)) else {
            return NO_CONSENT;
        };
        if self.now < c.not_before {
            NOT_YET_VALID
        } else if self.now >= c.expires_at {
            EXPIRED
        } else if c.categories & (1 << category) == 0 {
            CATEGORY
        } else if c.modes & mode == 0 {
            MODE
        } else if c.purposes & (1 << purpose) == 0 {
            PURPOSE
        } else {
            GRANTED
        }
    }

    fn caller_error(&self, provider: usize) -> Option<&'static str> {
        if self.paused {
            return Some("ProgramPaused");
        }
        match self.providers[&provider] {
            VERIFIED => None,
            SUSPENDED => Some("ProviderSuspended"),
            _ => Some("ProviderNotVerified"),
        }
    }

    fn log(&mut self, patient: usize, mut e: Entry) {
        let log = &mut self.patients.get_mut(&patient).unwrap().log;
        e.sequence = log.len() as u64;
        log.push(e);
    }

    /// Applies `op`, returning what the program must answer.
    pub fn apply(&mut self, op: Op) -> Expect {
        use Expect::*;
        const MISSING: Expect = Error("AccountNotInitialized");
        match op {
            Op::RegisterProvider(p) => {
                if self.providers.contains_key(&p) {
                    return Error("AlreadyRegistered");
                }
                self.providers.insert(p, PENDING);
                Ok
            }
            Op::Verify(p) | Op::Suspend(p) | Op::Reinstate(p) => {
                let Some(status) = self.providers.get(&p).copied() else {
                    return MISSING;
                };
                let next = match (op, status) {
                    (Op::Verify(_), PENDING) => VERIFIED,
                    (Op::Suspend(_), PENDING | VERIFIED) => SUSPENDED,
                    (Op::Reinstate(_), SUSPENDED) => VERIFIED,
                    _ => return Error("InvalidStatusTransition"),
                };
                self.providers.insert(p, next);
                Ok
            }
            Op::VerifyByStranger(p) => {
                if !self.providers.contains_key(&p) {
                    return MISSING;
                }
                Error("NotRegistryAuthority")
            }
            Op::RegisterPatient(pt) => {
                if self.patients.contains_key(&pt) {
                    return Error("AlreadyRegistered");
                }
                self.patients.insert(pt, PatientState::default());
                Ok
            }
            Op::AddRecord {
                patient,
                category,
                locator_len,
            } => {
                let Some(state) = self.patients.get_mut(&patient) else {
                    return MISSING;
                };
                if category >= CATEGORY_COUNT {
                    return Error("UnknownCategory");
                }
                if locator_len == 0 {
                    return Error("EmptyLocator");
                }
                if locator_len > 128 {
                    return Error("LocatorTooLong");
                }
                state.records.push((category, None));
                Ok
            }
            Op::Grant {
                patient,
                provider,
                terms,
            } => {
                if !self.patients.contains_key(&patient) || !self.providers.contains_key(&provider)
                {
                    return MISSING;
                }
                let t = terms.at(self.now);
                if let Some(e) = self.terms_error(&t) {
                    return Error(e);
                }
                if self.consents.contains_key(&(patient, provider)) {
                    return Error("ConsentAlreadyExists");
                }
                self.consents.insert((patient, provider), t);
                Ok
            }
            Op::Update {
                patient,
                provider,
                terms,
            } => {
                if !self.consents.contains_key(&(patient, provider)) {
                    return MISSING;
                }
                let t = terms.at(self.now);
                if let Some(e) = self.terms_error(&t) {
                    return Error(e);
                }
                self.consents.insert((patient, provider), t);
                Ok
            }
            Op::Revoke { patient, provider } => {
                if self.consents.remove(&(patient, provider)).is_none() {
                    return MISSING;
                }
                Ok
            }
            Op::Access {
                provider,
                patient,
                record,
                purpose,
            } => {
                let Some(state) = self.patients.get(&patient) else {
                    return MISSING;
                };
                if !self.providers.contains_key(&provider) || record as usize >= state.records.len()
                {
                    return MISSING;
                }
                if let Some(e) = self.caller_error(provider) {
                    return Error(e);
                }
                if purpose >= PURPOSE_COUNT {
                    return Error("UnknownPurpose");
                }
                let category = state.records[record as usize].0;
                let outcome = self.decide(patient, provider, category, READ, purpose);
                let e = Entry {
                    sequence: 0,
                    provider,
                    time: self.now,
                    record,
                    category,
                    action: 0,
                    purpose,
                    outcome,
                };
                self.log(patient, e);
                Outcome(outcome)
            }
            Op::Write {
                provider,
                patient,
                category,
                purpose,
            } => {
                if !self.providers.contains_key(&provider) || !self.patients.contains_key(&patient)
                {
                    return MISSING;
                }
                if let Some(e) = self.caller_error(provider) {
                    return Error(e);
                }
                if category >= CATEGORY_COUNT {
                    return Error("UnknownCategory");
                }
                if purpose >= PURPOSE_COUNT {
                    return Error("UnknownPurpose");
                }
                let outcome = self.decide(patient, provider, category, WRITE, purpose);
                let state = self.patients.get_mut(&patient).unwrap();
                let record = if outcome == GRANTED {
                    state.records.push((category, Some(provider)));
                    (state.records.len() - 1) as u32
                } else {
                    u32::MAX
                };
                let e = Entry {
                    sequence: 0,
                    provider,
                    time: self.now,
                    record,
                    category,
                    action: 1,
                    purpose,
                    outcome,
                };
                self.log(patient, e);
                Outcome(outcome)
            }
            Op::SetPaused(b) => {
                self.paused = b;
                Ok
            }
            Op::Advance(secs) => {
                self.now += secs;
                Ok
            }
        }
    }
}
