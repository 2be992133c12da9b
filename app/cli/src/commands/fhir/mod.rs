//! `hdx fhir`: the EHR's front door (crate `hdx-fhir`).

pub mod assertion;
pub mod keygen;
pub mod serve;

use std::path::PathBuf;

/// An EHR client's key, as `keygen` writes it and `assertion` signs with it.
#[derive(clap::Args, Debug)]
pub struct ClientKey {
    /// The client's id (its assertions' iss and sub)
    #[arg(long)]
    pub client_id: String,
    /// The key's id (its assertions' kid)
    #[arg(long)]
    pub kid: String,
    /// The client's private key file (PKCS#8 PEM, mode 0600)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

crate::commands::group! {
    /// The EHR's front door: FHIR R4 reads behind SMART Backend Services, each the program's decision (serve); an EHR client's key and assertions for trying it (keygen, assertion)
    pub enum FhirCmd {
        Serve(serve::Serve),
        Keygen(keygen::Keygen),
        Assertion(assertion::Assertion),
    }
}
