//! `hdx fhir`: the EHR's front door (crate `hdx-fhir`).

pub mod serve;

crate::commands::group! {
    /// The EHR's front door: FHIR R4 reads behind SMART Backend Services, each the program's decision (serve)
    pub enum FhirCmd {
        Serve(serve::Serve),
    }
}
