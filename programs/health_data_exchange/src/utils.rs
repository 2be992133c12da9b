//! Small helpers shared by handlers: account creation and writing.
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
//! program) and passes with [`create_pda_account`], which tops up,
//! allocates and assigns instead.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};

/// Creates a program-owned PDA of `space` bytes, rent paid by `payer`.
/// Works when the address was pre-funded by someone else (a griefing attempt
/// that would make a plain `create_account` fail).
pub fn create_pda_account<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    signer_seeds: &[&[u8]],
) -> Result<()> {
    // Checked here, before any CPI, so a read-only payer or target is a named
    // error on every runtime (natively the harness would panic on the CPI).
    require!(
        payer.is_writable && target.is_writable,
        crate::error::HdxError::AccountNotWritable
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
    )
}

/// Creates a program-owned PDA, refusing with `AlreadyRegistered` when it
/// exists already (so a second registration gets a named error, not the
/// system program's).
pub fn create_new_pda_account<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    signer_seeds: &[&[u8]],
) -> Result<()> {
    require!(
        target.owner != &crate::ID,
        crate::error::HdxError::AlreadyRegistered
    );
    create_pda_account(payer, target, space, signer_seeds)
}

/// Writes an Anchor account (discriminator + borsh) into freshly created data.
pub fn write_account<T: AccountSerialize>(target: &AccountInfo, value: &T) -> Result<()> {
    let mut data = target.try_borrow_mut_data()?;
    let mut cursor: &mut [u8] = &mut data;
    value.try_serialize(&mut cursor)
}

/// Creates log page `page_index` of `patient` and writes its header in place
/// (the 3.6 KB page never sits on the stack).
pub fn create_log_page<'info>(
    payer: &AccountInfo<'info>,
    page: &AccountInfo<'info>,
    patient: &Pubkey,
    page_index: u32,
    first_sequence: u64,
    head: [u8; 32],
    bump: u8,
) -> Result<()> {
    use crate::state::{seeds, LogPage};
    use anchor_lang::Discriminator;
    create_pda_account(
        payer,
        page,
        LogPage::SPACE,
        &[
            seeds::LOG,
            patient.as_ref(),
            &page_index.to_le_bytes(),
            &[bump],
        ],
    )?;
    let mut data = page.try_borrow_mut_data()?;
    data[..8].copy_from_slice(LogPage::DISCRIMINATOR);
    let header: &mut LogPage =
        bytemuck::from_bytes_mut(&mut data[8..8 + core::mem::size_of::<LogPage>()]);
    header.patient = *patient;
    header.head = head;
    header.first_sequence = first_sequence;
    header.page_index = page_index;
    header.count = 0;
    header.bump = bump;
    Ok(())
}

/// Creates record `record.index` of `record.patient` at `target` and writes it.
pub fn create_record<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    record: &crate::state::Record,
) -> Result<()> {
    use crate::state::{seeds, Record};
    create_pda_account(
        payer,
        target,
        Record::SPACE,
        &[
            seeds::RECORD,
            record.patient.as_ref(),
            &record.index.to_le_bytes(),
            &[record.bump],
        ],
    )?;
    write_account(target, record)
}
