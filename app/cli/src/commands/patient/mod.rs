//! `hdx patient`: the patient's account, its authority, and what it allows
//! in an emergency.

use hdx_sdk::codes::Category;
use hdx_sdk::program::EmergencyPreferences;

use crate::commands::args::parse_category;

pub mod emergency_policy;
pub mod register;
pub mod rotate_authority;
pub mod show;

crate::commands::group! {
    /// Patients: register, show, rotate-authority, emergency-policy
    pub enum PatientCmd {
        Register(register::Register),
        Show(show::Show),
        RotateAuthority(rotate_authority::RotateAuthority),
        EmergencyPolicy(emergency_policy::EmergencyPolicy),
    }
}

/// Emergency preferences as typed: what `patient emergency-policy` and a
/// guardians' `propose ... emergency-preferences` take. Flags not given keep
/// the patient's current preferences.
#[derive(clap::Args, Debug, Clone)]
pub struct PreferenceArgs {
    /// Refuse all emergency access
    #[arg(long, conflicts_with = "opt_in")]
    pub opt_out: bool,
    /// Allow emergency access again
    #[arg(long)]
    pub opt_in: bool,
    /// Categories emergency access may not read, comma-separated, or `none`
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
}

impl PreferenceArgs {
    /// The preferences to set: the flags given, over `current`.
    pub fn resolve(&self, current: EmergencyPreferences) -> anyhow::Result<EmergencyPreferences> {
        let excluded = if self.exclude.is_empty() {
            current.excluded
        } else if self.exclude == ["none"] {
            0
        } else {
            self.exclude.iter().try_fold(0u16, |m, c| {
                parse_category(c)
                    .map(|c| m | c.bit())
                    .map_err(|e| anyhow::anyhow!("--exclude: {e}"))
            })?
        };
        let opt_out = match (self.opt_out, self.opt_in) {
            (true, _) => true,
            (_, true) => false,
            _ => current.opt_out,
        };
        Ok(EmergencyPreferences { opt_out, excluded })
    }
}

/// The categories a preference excludes, by name.
pub fn excluded_names(p: &EmergencyPreferences) -> Vec<&'static str> {
    Category::ALL
        .iter()
        .filter(|c| p.excluded & c.bit() != 0)
        .map(|c| c.name())
        .collect()
}

/// Preferences in a few words.
pub fn preference_words(p: &EmergencyPreferences) -> String {
    let names = excluded_names(p);
    if p.opt_out {
        "opted out".to_string()
    } else if names.is_empty() {
        "allowed".to_string()
    } else {
        format!("allowed except {}", names.join(", "))
    }
}
