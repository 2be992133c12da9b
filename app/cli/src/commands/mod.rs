//! The `hdx` commands: one file per subcommand, each a clap `Args` struct
//! whose [`Run::run`] takes the [`Session`] `main` built once and returns an
//! [`Output`]; `main` prints it and maps errors to exit codes. Around them:
//! [`args`] (value parsers and the record pointer), [`output`], [`session`]
//! (cluster, signer, faucet) and [`tx`] (send or print unsigned).

pub mod args;
pub mod output;
pub mod session;
pub mod tx;

pub mod access;
pub mod audit;
pub mod bench;
pub mod cluster;
pub mod consent;
pub mod cost;
pub mod demo;
pub mod emergency;
pub mod fetch;
pub mod fhir;
pub mod gateway;
pub mod guardian;
pub mod guardians;
pub mod idl;
pub mod keys;
pub mod patient;
pub mod provider;
pub mod record;
pub mod registry;
pub mod serve;
pub mod study;
pub mod write;

pub use output::Output;
pub use session::Session;

/// A command that runs in a [`Session`].
pub trait Run {
    /// Whether it sends transactions (only such a command may create an
    /// embedded ledger; the others open it read-only).
    fn sends(&self) -> bool {
        true
    }

    fn run(self, s: &Session) -> anyhow::Result<Output>;
}

/// A command group: an enum of subcommands, one variant per file, whose
/// [`Run`] dispatches to the variant's.
macro_rules! group {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident($ty:ty),)* }) => {
        $(#[$meta])*
        #[derive(clap::Subcommand, Debug)]
        pub enum $name {
            $($variant($ty),)*
        }

        impl $crate::commands::Run for $name {
            fn sends(&self) -> bool {
                match self {
                    $(Self::$variant(c) => $crate::commands::Run::sends(c),)*
                }
            }

            fn run(self, s: &$crate::commands::Session) -> anyhow::Result<$crate::commands::Output> {
                match self {
                    $(Self::$variant(c) => $crate::commands::Run::run(c, s),)*
                }
            }
        }
    };
}
pub(crate) use group;

/// Every `hdx` command.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Keygen(keys::keygen::Keygen),
    Address(keys::address::Address),
    #[command(subcommand)]
    Registry(registry::RegistryCmd),
    #[command(subcommand)]
    Provider(provider::ProviderCmd),
    #[command(subcommand)]
    Patient(patient::PatientCmd),
    #[command(subcommand)]
    Record(record::RecordCmd),
    #[command(subcommand)]
    Consent(consent::ConsentCmd),
    Access(access::Access),
    Write(write::Write),
    Fetch(fetch::Fetch),
    Gateway(gateway::GatewayArgs),
    #[command(subcommand)]
    Fhir(fhir::FhirCmd),
    #[command(subcommand)]
    Emergency(emergency::EmergencyCmd),
    #[command(subcommand)]
    Guardians(guardians::GuardiansCmd),
    #[command(subcommand)]
    Guardian(guardian::GuardianCmd),
    #[command(subcommand)]
    Study(study::StudyCmd),
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    Cluster(cluster::ClusterInfo),
    Serve(serve::Serve),
    Demo(demo::Demo),
    Cost(cost::Cost),
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    Idl(idl::Idl),
}

/// A command to run alone.
pub type AloneRun = Box<dyn FnOnce() -> anyhow::Result<Output>>;
/// A command to run in a session.
pub type SessionRun = Box<dyn FnOnce(&Session) -> anyhow::Result<Output>>;

/// A command, ready to run: one that needs no cluster runs alone (no
/// settings are resolved, so a broken config cannot stop `hdx keygen`);
/// any other in a session, with whether it sends.
pub enum Ready {
    Alone(AloneRun),
    InSession(SessionRun, bool),
}

impl Command {
    pub fn ready(self, json_output: bool) -> Ready {
        fn session<C: Run + 'static>(c: C) -> Ready {
            let sends = c.sends();
            Ready::InSession(Box::new(move |s| c.run(s)), sends)
        }
        match self {
            Command::Keygen(c) => Ready::Alone(Box::new(move || c.run())),
            Command::Idl(c) => Ready::Alone(Box::new(move || c.run())),
            Command::Demo(c) => Ready::Alone(Box::new(move || c.run())),
            Command::Cost(c) => Ready::Alone(Box::new(move || c.run(json_output))),
            Command::Bench(c) => Ready::Alone(Box::new(move || c.run(json_output))),
            Command::Address(c) => session(c),
            Command::Registry(c) => session(c),
            Command::Provider(c) => session(c),
            Command::Patient(c) => session(c),
            Command::Record(c) => session(c),
            Command::Consent(c) => session(c),
            Command::Access(c) => session(c),
            Command::Write(c) => session(c),
            Command::Fetch(c) => session(c),
            Command::Gateway(c) => session(c),
            Command::Fhir(c) => session(c),
            Command::Emergency(c) => session(c),
            Command::Guardians(c) => session(c),
            Command::Guardian(c) => session(c),
            Command::Study(c) => session(c),
            Command::Audit(c) => session(c),
            Command::Cluster(c) => session(c),
            Command::Serve(c) => session(c),
        }
    }
}
