use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::DirectoryPublished;
use crate::state::{load_existing, seeds, write_account, Directory, Registry};

/// Arguments of `publish_directory`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishDirectoryArgs {
    /// SHA-256 of the bundle's bytes; not all zeros.
    pub bundle_sha256: [u8; 32],
    /// Its Organization entries: at most the providers registered.
    pub entries: u32,
}

/// The registry authority publishes the provider directory: the bundle's
/// hash, its entry count and the time, under the next revision. The first
/// publication creates the directory account (rent from `payer`, so a
/// multisig authority need not hold lamports).
#[derive(Accounts)]
pub struct PublishDirectory<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// Pays the directory's rent at the first publication.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The registry (its authority checked).
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    /// The directory, created at the first publication.
    /// CHECK: the canonical directory PDA, checked by `seeds`; its type by `load_existing`.
    #[account(mut, seeds = [seeds::DIRECTORY], bump)]
    pub directory: UncheckedAccount<'info>,
    /// The system program (creates the directory).
    pub system_program: Program<'info, System>,
}

pub fn handle_publish_directory(
    ctx: Context<PublishDirectory>,
    args: PublishDirectoryArgs,
) -> Result<()> {
    require!(
        args.bundle_sha256 != [0u8; 32],
        HdxError::EmptyDirectoryHash
    );
    require!(
        args.entries <= ctx.accounts.registry.provider_count,
        HdxError::DirectoryTooLarge
    );
    let info = ctx.accounts.directory.to_account_info();
    let existing = load_existing::<Directory>(&info)?;
    let now = Clock::get()?.unix_timestamp;
    let directory = match existing {
        Some(mut d) => {
            d.revision = crate::state::next(d.revision)?;
            d.bundle_sha256 = args.bundle_sha256;
            d.entries = args.entries;
            d.published_at = now;
            write_account(&info, &d)?;
            d
        }
        None => {
            let d = Directory::first(args.bundle_sha256, args.entries, ctx.bumps.directory, now);
            d.create(&ctx.accounts.payer.to_account_info(), &info)?;
            d
        }
    };
    emit_event!(DirectoryPublished {
        bundle_sha256: directory.bundle_sha256,
        revision: directory.revision,
        entries: directory.entries,
    });
    Ok(())
}
