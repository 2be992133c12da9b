use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderKeyRotated;
use crate::state::Provider;

/// The provider's current key hands signing to a new key, which co-signs
/// (nobody can rotate to a key they do not hold). Consents name the
/// provider's id, so they survive; the old key is powerless from the next
/// transaction on. Allowed in any status and while paused: a leaked key must
/// always be replaceable.
#[derive(Accounts)]
pub struct RotateProviderKey<'info> {
    /// The provider's current key.
    pub signer: Signer<'info>,
    /// The new key (it co-signs).
    pub new_key: Signer<'info>,
    /// The provider (its current key checked).
    #[account(mut, constraint = provider.signer == signer.key() @ HdxError::NotProviderKey)]
    pub provider: Account<'info, Provider>,
}

pub fn handle_rotate_provider_key(ctx: Context<RotateProviderKey>) -> Result<()> {
    let new_key = ctx.accounts.new_key.key();
    require_keys_neq!(
        new_key,
        ctx.accounts.provider.signer,
        HdxError::KeyUnchanged
    );
    let now = Clock::get()?.unix_timestamp;
    let provider = &mut ctx.accounts.provider;
    let previous = provider.signer;
    provider.signer = new_key;
    emit_event!(ProviderKeyRotated {
        provider: provider.id,
        number: provider.number,
        previous,
        key: new_key,
        at: now,
    });
    Ok(())
}
