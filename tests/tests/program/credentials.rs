//! Licence attestations and the provider directory (docs/DESIGN.md,
//! "Licence attestations", "The provider directory"): byte-exact accounts
//! of the attestation service's layout written into the bank, every attack
//! class refused by its name with nothing changed, exact account contents.

use hdx_sdk::credential::{attestation_account_data, attestation_data, npi_commitment, Npi};
use hdx_sdk::events::HdxEvent;
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::codes::{
    IdentifierSystem, LapseReason, ProviderKind, ProviderStatus, StatusBasis,
    ATTESTATION_PROGRAM_ID,
};
use health_data_exchange::error::HdxError;
use health_data_exchange::events::{DirectoryPublished, ProviderAttested, ProviderLapsed};
use health_data_exchange::state::{Directory, Provider, Registry};
use health_data_exchange::CredentialPolicy;
use solana_sdk::account::Account;
use solana_sdk::instruction::Instruction;

const SALT: [u8; 32] = [0x42; 32];

struct Setup {
    f: Fixture,
    policy: CredentialPolicy,
    issuer: Pubkey,
}

fn setup() -> Setup {
    let f = Fixture::new();
    let policy = CredentialPolicy {
        credential: Pubkey::new_unique(),
        schema: Pubkey::new_unique(),
    };
    f.ok(
        &[ix::set_credential_policy(f.authority.pubkey(), policy)],
        &f.authority,
        &[],
    );
    Setup {
        f,
        policy,
        issuer: Pubkey::new_unique(),
    }
}

impl Setup {
    /// A pending laboratory committed to an NPI.
    fn lab(&self) -> Keypair {
        let p = self.f.funded();
        let npi = Npi::parse("1234567893").unwrap();
        self.f.ok(
            &[ix::register_provider_npi(
                p.pubkey(),
                ProviderKind::Laboratory,
                &SALT,
                &npi,
            )],
            &p,
            &[],
        );
        p
    }

    fn provider(&self, p: &Keypair) -> Provider {
        self.f.decode(&pda::provider(&p.pubkey()).0)
    }

    /// The attestation service's account bytes for `provider_id` with `data`.
    fn bytes(&self, provider_id: &Pubkey, data: &[u8], expiry: i64) -> Vec<u8> {
        attestation_account_data(
            &self.policy,
            provider_id,
            data,
            &self.issuer,
            expiry,
            &Pubkey::default(),
        )
    }

    /// The right attestation for `p`, expiring at `expiry`.
    fn good_bytes(&self, p: &Keypair, expiry: i64) -> Vec<u8> {
        let commitment = self.provider(p).credential_commitment;
        self.bytes(
            &p.pubkey(),
            &attestation_data(&commitment, ProviderKind::Laboratory),
            expiry,
        )
    }

    fn put(&self, address: &Pubkey, owner: Pubkey, data: Vec<u8>) {
        self.f.ledger().set_account(
            address,
            Account {
                lamports: self.f.ledger().minimum_balance(data.len()),
                data,
                owner,
                executable: false,
                rent_epoch: 0,
            },
        );
    }

    fn close(&self, address: &Pubkey) {
        self.f.ledger().set_account(address, Account::default());
    }

    fn address(&self, p: &Keypair) -> Pubkey {
        pda::attestation(&self.policy.credential, &self.policy.schema, &p.pubkey()).0
    }

    /// Writes the right attestation for `p` at its address.
    fn attest(&self, p: &Keypair, expiry: i64) -> Pubkey {
        let at = self.address(p);
        self.put(&at, ATTESTATION_PROGRAM_ID, self.good_bytes(p, expiry));
        at
    }

    fn verify_ix(&self, caller: &Keypair, p: &Keypair) -> Instruction {
        ix::verify_provider_by_attestation(caller.pubkey(), &p.pubkey(), &self.policy)
    }

    /// `verify_provider_by_attestation` with the attestation account replaced.
    fn verify_with(&self, caller: &Keypair, p: &Keypair, attestation: Pubkey) -> Instruction {
        let mut i = self.verify_ix(caller, p);
        i.accounts[3].pubkey = attestation;
        i
    }

    fn refused(&self, i: Instruction, caller: &Keypair, p: &Keypair, error: HdxError) {
        let before = self.provider(p);
        self.f.fails_with(&[i], caller, &[], hdx(error));
        assert_eq!(self.provider(p), before, "nothing changed");
    }
}

#[test]
fn an_attestation_of_the_policy_verifies_a_provider_and_its_expiry_stops_it_by_itself() {
    let s = setup();
    let f = &s.f;
    let lab = s.lab();
    let registered = s.provider(&lab);
    assert_eq!(registered.identifier_system, IdentifierSystem::UsNpi);
    assert_eq!(
        registered.credential_commitment,
        npi_commitment(&SALT, &Npi::parse("1234567893").unwrap())
    );
    let expiry = f.now() + 30 * 86_400;
    let at = s.attest(&lab, expiry);
    // Anyone may send it: here a stranger, not the provider, not the authority.
    let stranger = f.funded();
    let r = f.ok(&[s.verify_ix(&stranger, &lab)], &stranger, &[]);
    assert_eq!(
        only(&r),
        HdxEvent::ProviderAttested(ProviderAttested {
            provider: lab.pubkey(),
            number: registered.number,
            attestation: at,
            expires_at: expiry,
            previous: ProviderStatus::Pending,
        })
    );
    let verified_at = f.now();
    assert_eq!(
        s.provider(&lab),
        Provider {
            status: ProviderStatus::Verified,
            basis: StatusBasis::Attestation,
            attestation: at,
            attestation_expiry: expiry,
            status_changed_at: verified_at,
            ..registered
        }
    );
    // Verified: it reads under a consent.
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(&patient, &lab, hdx_sdk::codes::MODE_READ);
    f.access(&lab, &patient, rec, Purpose::Treatment).unwrap();
    // Nothing to lapse while it holds.
    f.fails_with(
        &[ix::lapse_provider(&lab.pubkey(), at)],
        &stranger,
        &[],
        hdx(HdxError::AttestationStillHolds),
    );
    // One second before the expiry it still reads; at the expiry it is
    // refused by name, before anyone cranks anything (nothing logged).
    f.advance(expiry - f.now() - 1);
    f.access(&lab, &patient, rec, Purpose::Treatment).unwrap();
    f.advance(1);
    let logged = f.log_len(&patient.pubkey());
    f.fails_with(
        &[f.access_ix(f.access_accounts(&lab, &patient, rec), Purpose::Treatment)],
        &lab,
        &[],
        hdx(HdxError::ProviderAttestationExpired),
    );
    assert_eq!(f.log_len(&patient.pubkey()), logged);
    // The same attestation no longer verifies.
    s.refused(
        s.verify_ix(&stranger, &lab),
        &stranger,
        &lab,
        HdxError::AttestationExpired,
    );
    // The crank suspends it, with the reason.
    let r = f.ok(&[ix::lapse_provider(&lab.pubkey(), at)], &stranger, &[]);
    assert_eq!(
        only(&r),
        HdxEvent::ProviderLapsed(ProviderLapsed {
            provider: lab.pubkey(),
            number: registered.number,
            attestation: at,
            reason: LapseReason::Expired,
        })
    );
    let lapsed = s.provider(&lab);
    assert_eq!(
        lapsed,
        Provider {
            status: ProviderStatus::Suspended,
            basis: StatusBasis::Lapsed,
            status_changed_at: f.now(),
            ..s.provider(&lab)
        }
    );
    assert_eq!(
        (lapsed.attestation, lapsed.attestation_expiry),
        (at, expiry)
    );
    f.fails_with(
        &[f.access_ix(f.access_accounts(&lab, &patient, rec), Purpose::Treatment)],
        &lab,
        &[],
        hdx(HdxError::ProviderSuspended),
    );
    // A renewed licence (the issuer re-attests) verifies it again.
    let renewed = f.now() + 365 * 86_400;
    s.attest(&lab, renewed);
    f.ok(&[s.verify_ix(&stranger, &lab)], &stranger, &[]);
    let back = s.provider(&lab);
    assert_eq!(
        (back.status, back.basis, back.attestation_expiry),
        (ProviderStatus::Verified, StatusBasis::Attestation, renewed)
    );
    // (The month-long consent ran out meanwhile: a new one.)
    f.revoke(&patient, &lab);
    f.grant_all(&patient, &lab, hdx_sdk::codes::MODE_READ);
    f.access(&lab, &patient, rec, Purpose::Treatment).unwrap();
}

#[test]
fn attestations_that_are_not_the_providers_own_are_refused_by_name() {
    let s = setup();
    let f = &s.f;
    let lab = s.lab();
    let other = s.lab();
    let caller = f.funded();
    let far = f.now() + 86_400;
    let right = s.good_bytes(&lab, far);
    let at = s.address(&lab);

    // Owner: the right bytes at the right address, owned by another program
    // (this one, the system program).
    for owner in [health_data_exchange::ID, anchor_lang::system_program::ID] {
        s.put(&at, owner, right.clone());
        s.refused(
            s.verify_ix(&caller, &lab),
            &caller,
            &lab,
            HdxError::AttestationOwnerMismatch,
        );
    }
    // Address: the right bytes, owned by the service, elsewhere.
    let elsewhere = Pubkey::new_unique();
    s.put(&elsewhere, ATTESTATION_PROGRAM_ID, right.clone());
    s.refused(
        s.verify_with(&caller, &lab, elsewhere),
        &caller,
        &lab,
        HdxError::AttestationAddressMismatch,
    );
    // Another provider's valid attestation, at its own address.
    let theirs = s.attest(&other, far);
    s.refused(
        s.verify_with(&caller, &lab, theirs),
        &caller,
        &lab,
        HdxError::AttestationAddressMismatch,
    );
    // The right address under another schema (the policy's issuer, another schema).
    let wrong_schema =
        pda::attestation(&s.policy.credential, &Pubkey::new_unique(), &lab.pubkey()).0;
    s.put(&wrong_schema, ATTESTATION_PROGRAM_ID, right.clone());
    s.refused(
        s.verify_with(&caller, &lab, wrong_schema),
        &caller,
        &lab,
        HdxError::AttestationAddressMismatch,
    );
    // A bump that is not the address's.
    let mut wrong_bump = s.verify_ix(&caller, &lab);
    let last = wrong_bump.data.len() - 1;
    wrong_bump.data[last] = wrong_bump.data[last].wrapping_sub(1);
    s.put(&at, ATTESTATION_PROGRAM_ID, right.clone());
    s.refused(
        wrong_bump,
        &caller,
        &lab,
        HdxError::AttestationAddressMismatch,
    );
    // Content at the right address that names another schema or issuer
    // (what the service never writes, refused all the same).
    for policy in [
        CredentialPolicy {
            schema: Pubkey::new_unique(),
            ..s.policy
        },
        CredentialPolicy {
            credential: Pubkey::new_unique(),
            ..s.policy
        },
    ] {
        let commitment = s.provider(&lab).credential_commitment;
        let data = attestation_data(&commitment, ProviderKind::Laboratory);
        let bytes = attestation_account_data(
            &policy,
            &lab.pubkey(),
            &data,
            &s.issuer,
            far,
            &Pubkey::default(),
        );
        s.put(&at, ATTESTATION_PROGRAM_ID, bytes);
        s.refused(
            s.verify_ix(&caller, &lab),
            &caller,
            &lab,
            HdxError::AttestationPolicyMismatch,
        );
    }
    // Type cosplay: the service's credential (0) and schema (1) accounts, and
    // an unknown discriminator, at the address.
    for disc in [0u8, 1, 3, 255] {
        let mut bytes = right.clone();
        bytes[0] = disc;
        s.put(&at, ATTESTATION_PROGRAM_ID, bytes);
        s.refused(
            s.verify_ix(&caller, &lab),
            &caller,
            &lab,
            HdxError::AttestationMalformed,
        );
    }
    // Truncated, trailing, a data length past the end.
    let mut lying = right.clone();
    lying[97..101].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut trailing = right.clone();
    trailing.push(0);
    for bytes in [
        right[..1].to_vec(),
        right[..right.len() - 1].to_vec(),
        trailing,
        lying,
    ] {
        s.put(&at, ATTESTATION_PROGRAM_ID, bytes);
        s.refused(
            s.verify_ix(&caller, &lab),
            &caller,
            &lab,
            HdxError::AttestationMalformed,
        );
    }
    // Subject: another commitment, another kind, extra data.
    let commitment = s.provider(&lab).credential_commitment;
    for data in [
        attestation_data(&[9; 32], ProviderKind::Laboratory).to_vec(),
        attestation_data(&commitment, ProviderKind::Hospital).to_vec(),
        [
            &attestation_data(&commitment, ProviderKind::Laboratory)[..],
            &[0],
        ]
        .concat(),
        Vec::new(),
    ] {
        s.put(
            &at,
            ATTESTATION_PROGRAM_ID,
            s.bytes(&lab.pubkey(), &data, far),
        );
        s.refused(
            s.verify_ix(&caller, &lab),
            &caller,
            &lab,
            HdxError::AttestationSubjectMismatch,
        );
    }
    // Expired: at the expiry, and long ago.
    for expiry in [f.now(), 1, i64::MIN] {
        s.put(&at, ATTESTATION_PROGRAM_ID, s.good_bytes(&lab, expiry));
        s.refused(
            s.verify_ix(&caller, &lab),
            &caller,
            &lab,
            HdxError::AttestationExpired,
        );
    }
    // A provider the authority suspended stays suspended.
    s.put(&at, ATTESTATION_PROGRAM_ID, right.clone());
    f.ok(
        &[ix::suspend_provider(f.authority.pubkey(), &lab.pubkey())],
        &f.authority,
        &[],
    );
    s.refused(
        s.verify_ix(&caller, &lab),
        &caller,
        &lab,
        HdxError::ProviderSuspended,
    );
    // Through all of it the provider stayed what the authority left.
    assert_eq!(s.provider(&lab).basis, StatusBasis::Authority);
    // Expiry 0 is the service's "never": accepted, and never expires.
    let fresh = s.lab();
    s.attest(&fresh, 0);
    f.ok(&[s.verify_ix(&caller, &fresh)], &caller, &[]);
    assert_eq!(s.provider(&fresh).attestation_expiry, 0);
}

#[test]
fn no_policy_means_only_the_authority_verifies() {
    let s = setup();
    let f = &s.f;
    let lab = s.lab();
    s.attest(&lab, f.now() + 86_400);
    f.ok(
        &[ix::set_credential_policy(
            f.authority.pubkey(),
            CredentialPolicy::default(),
        )],
        &f.authority,
        &[],
    );
    let caller = f.funded();
    s.refused(
        s.verify_ix(&caller, &lab),
        &caller,
        &lab,
        HdxError::NoCredentialPolicy,
    );
    // Half a policy is refused; only the authority sets one.
    f.fails_with(
        &[ix::set_credential_policy(
            f.authority.pubkey(),
            CredentialPolicy {
                credential: Pubkey::new_unique(),
                schema: Pubkey::default(),
            },
        )],
        &f.authority,
        &[],
        hdx(HdxError::InvalidCredentialPolicy),
    );
    f.fails_with(
        &[ix::set_credential_policy(caller.pubkey(), s.policy)],
        &caller,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    let registry: Registry = f.decode(&pda::registry().0);
    assert_eq!(registry.credential_policy, CredentialPolicy::default());
    assert_eq!(registry.reserved, [0; Registry::RESERVED]);
}

#[test]
fn a_closed_replaced_or_no_longer_trusted_attestation_lapses_its_provider() {
    let s = setup();
    let f = &s.f;
    let caller = f.funded();
    let far = f.now() + 86_400;
    let verified = |p: &Keypair| {
        let at = s.attest(p, far);
        f.ok(&[s.verify_ix(&caller, p)], &caller, &[]);
        at
    };
    let lapse = |p: &Keypair, at: Pubkey, reason: LapseReason| {
        let r = f.ok(&[ix::lapse_provider(&p.pubkey(), at)], &caller, &[]);
        match only(&r) {
            HdxEvent::ProviderLapsed(e) => assert_eq!(e.reason, reason),
            other => panic!("{other:?}"),
        }
        let after = s.provider(p);
        assert_eq!(
            (after.status, after.basis),
            (ProviderStatus::Suspended, StatusBasis::Lapsed)
        );
    };
    // Closed by its issuer (revocation): the account is gone.
    let closed = s.lab();
    let at = verified(&closed);
    s.close(&at);
    lapse(&closed, at, LapseReason::Closed);
    // Closed and re-created by someone else's program at that address.
    let reassigned = s.lab();
    let at = verified(&reassigned);
    s.put(&at, anchor_lang::system_program::ID, Vec::new());
    lapse(&reassigned, at, LapseReason::Closed);
    // Replaced by an attestation of another subject.
    let replaced = s.lab();
    let at = verified(&replaced);
    s.put(
        &at,
        ATTESTATION_PROGRAM_ID,
        s.bytes(&replaced.pubkey(), &[1; 33], far),
    );
    lapse(&replaced, at, LapseReason::Replaced);
    // Another account passed in its place is refused by name.
    let kept = s.lab();
    let at = verified(&kept);
    f.fails_with(
        &[ix::lapse_provider(&kept.pubkey(), Pubkey::new_unique())],
        &caller,
        &[],
        hdx(HdxError::AttestationAddressMismatch),
    );
    // The policy changed: every provider of the old issuer lapses.
    f.ok(
        &[ix::set_credential_policy(
            f.authority.pubkey(),
            CredentialPolicy {
                credential: Pubkey::new_unique(),
                schema: Pubkey::new_unique(),
            },
        )],
        &f.authority,
        &[],
    );
    assert_eq!(
        f.client
            .lapse_due(f.now())
            .unwrap()
            .into_iter()
            .map(|(p, a, r)| (p.id, a, r))
            .collect::<Vec<_>>(),
        vec![(kept.pubkey(), at, LapseReason::PolicyChanged)]
    );
    lapse(&kept, at, LapseReason::PolicyChanged);
    assert!(f.client.lapse_due(f.now()).unwrap().is_empty());
    // A provider the authority verified does not lapse.
    let by_authority = f.verified_provider();
    f.fails_with(
        &[ix::lapse_provider(
            &by_authority.pubkey(),
            Pubkey::default(),
        )],
        &caller,
        &[],
        hdx(HdxError::NotAttested),
    );
    // Nor does one already lapsed.
    f.fails_with(
        &[ix::lapse_provider(&kept.pubkey(), at)],
        &caller,
        &[],
        hdx(HdxError::NotAttested),
    );
    // The authority's verification takes over from a lapse (its basis, no expiry).
    f.ok(
        &[ix::reinstate_provider(f.authority.pubkey(), &kept.pubkey())],
        &f.authority,
        &[],
    );
    let back = s.provider(&kept);
    assert_eq!(
        (back.status, back.basis),
        (ProviderStatus::Verified, StatusBasis::Authority)
    );
}

#[test]
fn the_directory_is_published_by_the_authority_with_exact_contents() {
    let s = setup();
    let f = &s.f;
    let lab = s.lab();
    let (address, bump) = pda::directory();
    let hash = [0xab; 32];
    f.fails_with(
        &[ix::publish_directory(lab.pubkey(), lab.pubkey(), hash, 1)],
        &lab,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    f.fails_with(
        &[ix::publish_directory(
            f.authority.pubkey(),
            f.authority.pubkey(),
            [0; 32],
            1,
        )],
        &f.authority,
        &[],
        hdx(HdxError::EmptyDirectoryHash),
    );
    // One provider is registered: two entries cannot be.
    f.fails_with(
        &[ix::publish_directory(
            f.authority.pubkey(),
            f.authority.pubkey(),
            hash,
            2,
        )],
        &f.authority,
        &[],
        hdx(HdxError::DirectoryTooLarge),
    );
    assert!(f.account(&address).is_none());
    // A payer other than the authority (a multisig holds no lamports).
    let payer = f.funded();
    let r = f.ok(
        &[ix::publish_directory(
            f.authority.pubkey(),
            payer.pubkey(),
            hash,
            1,
        )],
        &payer,
        &[&f.authority],
    );
    assert_eq!(
        only(&r),
        HdxEvent::DirectoryPublished(DirectoryPublished {
            bundle_sha256: hash,
            revision: 1,
            entries: 1,
        })
    );
    let first = f.decode::<Directory>(&address);
    assert_eq!(first, Directory::first(hash, 1, bump, f.now()));
    assert_eq!(f.account(&address).unwrap().data.len(), Directory::SPACE);
    f.advance(60);
    f.ok(
        &[ix::publish_directory(
            f.authority.pubkey(),
            f.authority.pubkey(),
            [0xcd; 32],
            0,
        )],
        &f.authority,
        &[],
    );
    assert_eq!(
        f.decode::<Directory>(&address),
        Directory {
            bundle_sha256: [0xcd; 32],
            revision: 2,
            entries: 0,
            published_at: f.now(),
            ..first
        }
    );
    assert_eq!(f.client.published_directory().unwrap().unwrap().revision, 2);
}
