pub mod idl;
