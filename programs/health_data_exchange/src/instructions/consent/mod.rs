//! Consents: the patient's grant, update and revocation (shared, checks and
//! effects apart, with the guardians' executed proposals), and anyone's renewal.

pub mod grant_consent;
pub mod renew_consent;
pub mod revoke_consent;
pub mod update_consent;

pub use grant_consent::*;
pub use renew_consent::*;
pub use revoke_consent::*;
pub use update_consent::*;
