//! Class: arbitrary CPI — wherever a program id is taken (the system program), another is refused.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts as acc;
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::instruction as data;
use health_data_exchange::{AddRecordArgs, RegisterProviderArgs};

#[test]
fn a_fake_system_program_is_refused_everywhere_one_is_taken() {
    // arbitrary CPI: the system-program slot given another (executable) program id.
    let w = world();
    let impostor = health_data_exchange::ID; // an executable program that is not the system program
    let newcomer = w.f.funded();
    let (n, b, a, p) = (
        newcomer.pubkey(),
        w.bob.pubkey(),
        w.alice.pubkey(),
        w.p.pubkey(),
    );
    let cases = vec![
        (
            ix::build(
                acc::RegisterPatient {
                    system_program: impostor,
                    ..ix::register_patient_accounts(n)
                },
                data::RegisterPatient {},
            ),
            &newcomer,
        ),
        (
            ix::build(
                acc::RegisterProvider {
                    system_program: impostor,
                    ..ix::register_provider_accounts(n)
                },
                data::RegisterProvider {
                    args: RegisterProviderArgs {
                        kind: ProviderKind::Other,
                        credential_commitment: [1; 32],
                        identifier_system:
                            health_data_exchange::codes::IdentifierSystem::Unspecified,
                    },
                },
            ),
            &newcomer,
        ),
        (
            ix::build(
                acc::GrantConsent {
                    system_program: impostor,
                    ..ix::grant_consent_accounts(b, &b, &p)
                },
                data::GrantConsent {
                    terms: w.f.terms(1, 1, 1, 3),
                },
            ),
            &w.bob,
        ),
        (
            ix::build(
                acc::AddRecord {
                    system_program: impostor,
                    ..ix::add_record_accounts(b, &b, 1)
                },
                data::AddRecord {
                    args: AddRecordArgs {
                        category: Category::LabResults,
                        clinical_day: 0,
                        locator: b"x".to_vec(),
                        content_hash: [1; 32],
                    },
                },
            ),
            &w.bob,
        ),
        (
            w.f.write_ix(
                acc::WriteRecord {
                    system_program: impostor,
                    ..w.f.write_accounts(&w.p, &w.alice)
                },
                w.f.write_args(),
            ),
            &w.p,
        ),
    ];
    for (i, signer) in cases {
        w.f.fails_with(&[i], signer, &[], anchor(Anchor::InvalidProgramId));
    }
    assert!(w.f.account(&pda::patient(&n).0).is_none());
    assert!(w.f.account(&pda::record(&a, 1).0).is_none());
}
