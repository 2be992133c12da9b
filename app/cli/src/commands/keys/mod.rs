//! `hdx keygen` and `hdx address`: a new user needs keys before anything else.

pub mod address;
pub mod keygen;
