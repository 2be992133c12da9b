//! `hdx registry`: the registry authority's commands. Each prints the
//! unsigned transaction instead of sending it with `--print-tx` (a multisig).

pub mod accept_authority;
pub mod credential_policy;
pub mod emergency_policy;
pub mod init;
pub mod pause;
pub mod propose_authority;
pub mod publish_directory;
pub mod show;
pub mod unpause;

crate::commands::group! {
    /// Registry authority: init, show; hand over (propose-authority, accept-authority); pause, unpause; emergency-policy; credential-policy; publish-directory
    pub enum RegistryCmd {
        Init(init::Init),
        Show(show::Show),
        ProposeAuthority(propose_authority::ProposeAuthority),
        AcceptAuthority(accept_authority::AcceptAuthority),
        Pause(pause::Pause),
        Unpause(unpause::Unpause),
        EmergencyPolicy(emergency_policy::EmergencyPolicy),
        CredentialPolicy(credential_policy::CredentialPolicyCmd),
        PublishDirectory(publish_directory::PublishDirectory),
    }
}
