//! Integration tests: the program runs natively in solana-program-test.
//! One binary, one module per feature (a binary per file would link the
//! Solana runtime a dozen times).

mod authority;
mod consent;
mod gate;
