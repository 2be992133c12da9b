//! `hdx guardian`: a guardian proposes, approves and executes for a patient,
//! or revokes a consent at once.

pub mod approve;
pub mod execute;
pub mod propose;
pub mod revoke;

crate::commands::group! {
    /// (guardian) propose, approve, execute for a patient; revoke a consent at once
    pub enum GuardianCmd {
        Propose(propose::Propose),
        Approve(approve::Approve),
        Execute(execute::Execute),
        Revoke(revoke::Revoke),
    }
}
