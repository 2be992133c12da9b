//! Account types, one file each. Every account is a PDA: its seeds live in
//! [`seeds`], its bump is stored in the account and reused, and it is
//! created only by its type's `create`, over the one helper [`create_pda`],
//! which refuses an address that already holds an account of this program
//! (`AccountAlreadyExists`).
//!
//! Layouts (docs/DESIGN.md, "Layouts"): the fields auditors filter on come
//! first, right after the discriminator; then the layout version
//! ([`LAYOUT_VERSION`]); every account ends with reserved bytes, zero today,
//! sized for what the roadmap adds, so a later version grows into them
//! without a migration.
//!
//! Why not Anchor's `init`: every account here is a PDA whose address
//! anyone can compute, and anyone can send lamports to it first. Anchor
//! 1.2.2's `init` funds such a pre-funded address with the system
//! program's `CreateAccountAllowPrefund`, which the system program of this
//! runtime (agave 3.1.12, and the clusters of today) does not know: the
//! instruction fails, so one lamport sent ahead would block a patient's
//! registration, a grant or a record for good. The test
//! `attacks::prefunding::pre_funded_addresses_do_not_block_creation`
//! pre-funds every address an instruction creates; it fails with `init`
//! (checked: `InstructionError::InvalidInstructionData` from the system
//! program) and passes with [`create_pda`], which tops up, allocates and
//! assigns instead.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};

use crate::error::HdxError;

pub mod attestation;
pub mod consent;
pub mod directory;
pub mod emergency;
pub mod guardians;
pub mod log;
pub mod patient;
pub mod provider;
pub mod record;
pub mod registry;
pub mod seeds;
pub mod study;

pub use attestation::*;
pub use consent::*;
pub use directory::*;
pub use emergency::*;
pub use guardians::*;
pub use log::*;
pub use patient::*;
pub use provider::*;
pub use record::*;
pub use registry::*;
pub use study::*;

/// The layout version every account this program writes carries today.
#[constant]
pub const LAYOUT_VERSION: u8 = 1;

/// An account that carries its layout version. Readers off-chain (the SDK,
/// the page) refuse a version they do not know rather than misread it.
pub trait Versioned {
    /// The account's layout version.
    fn layout_version(&self) -> u8;
}

macro_rules! versioned {
    ($($t:ty),* $(,)?) => {
        $(impl Versioned for $t {
            fn layout_version(&self) -> u8 {
                self.version
            }
        })*
    };
}

versioned!(
    Registry,
    Provider,
    Directory,
    Patient,
    Record,
    Consent,
    LogPage,
    EmergencyWindow,
    EmergencyTracker,
    GuardianSet,
    Proposal,
    Study,
    Enrollment,
    StudyRelease,
);

/// Creates the program-owned PDA `target` (signed for by `signer_seeds`) of
/// `space` zeroed bytes, rent paid by `payer`. Refuses an address that
/// already holds an account of this program. Works when the address was
/// pre-funded by someone else (a griefing attempt that would make a plain
/// `create_account` fail).
pub fn create_pda<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    signer_seeds: &[&[u8]],
) -> Result<()> {
    require_absent(target)?;
    // Checked here, before any CPI, so a read-only payer or target is a named
    // error on every runtime (natively the harness would panic on the CPI).
    require!(
        payer.is_writable && target.is_writable,
        HdxError::AccountNotWritable
    );
    let required = Rent::get()?.minimum_balance(space);
    let signer = &[signer_seeds];
    let current = target.lamports();
    if current == 0 {
        return system_program::create_account(
            CpiContext::new_with_signer(
                system_program::ID,
                CreateAccount {
                    from: payer.clone(),
                    to: target.clone(),
                },
                signer,
            ),
            required,
            space as u64,
            &crate::ID,
        );
    }
    let top_up = required.saturating_sub(current);
    if top_up > 0 {
        system_program::transfer(
            CpiContext::new(
                system_program::ID,
                Transfer {
                    from: payer.clone(),
                    to: target.clone(),
                },
            ),
            top_up,
        )?;
    }
    system_program::allocate(
        CpiContext::new_with_signer(
            system_program::ID,
            Allocate {
                account_to_allocate: target.clone(),
            },
            signer,
        ),
        space as u64,
    )?;
    system_program::assign(
        CpiContext::new_with_signer(
            system_program::ID,
            Assign {
                account_to_assign: target.clone(),
            },
            signer,
        ),
        &crate::ID,
    )?;
    Ok(())
}

/// [`create_pda`], then `value` written into it.
pub fn create_account<'info, T: AccountSerialize>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    signer_seeds: &[&[u8]],
    value: &T,
) -> Result<()> {
    create_pda(payer, target, space, signer_seeds)?;
    write_account(target, value)
}

/// The one "already exists" check: `target` holds no account of this
/// program. Handlers call it among their checks, before any effect;
/// [`create_pda`] calls it again as the guard of last resort.
pub fn require_absent(target: &AccountInfo) -> Result<()> {
    require!(target.owner != &crate::ID, HdxError::AccountAlreadyExists);
    Ok(())
}

/// Writes an Anchor account (discriminator + borsh) into its data.
pub fn write_account<T: AccountSerialize>(target: &AccountInfo, value: &T) -> Result<()> {
    let mut data = target.try_borrow_mut_data()?;
    let mut cursor: &mut [u8] = &mut data;
    value.try_serialize(&mut cursor)
}

/// The account at `info` if this program owns one there (type checked by
/// its discriminator), `None` if the address holds none yet. The caller
/// checks the address (a `seeds` constraint): then "none" means "not
/// created yet", never "some other account".
pub fn load_existing<T: AccountDeserialize>(info: &AccountInfo) -> Result<Option<T>> {
    if info.owner != &crate::ID {
        return Ok(None);
    }
    let data = info.try_borrow_data()?;
    T::try_deserialize(&mut &data[..]).map(Some)
}

/// `a + b` for a time: refuses overflow by name.
pub fn add_time(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b)
        .ok_or_else(|| error!(HdxError::ArithmeticOverflow))
}

/// `n + 1` for a counter: refuses overflow by name.
pub fn next(n: u32) -> Result<u32> {
    n.checked_add(1)
        .ok_or_else(|| error!(HdxError::ArithmeticOverflow))
}
