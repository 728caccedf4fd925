//! `descent` across machines: data-parallel training and distributed full-batch objectives,
//! on MPI.
//!
//! | module | what |
//! |---|---|
//! | [`comm`] | [`Communicator`]: all-reduce, broadcast, barrier, abort — over MPI (feature `mpi`) or one process ([`Local`]) |
//!
//! Built only when asked for: without the `mpi` feature the crate has the single-process
//! communicator alone and needs no MPI library.

#![warn(missing_docs)]

pub mod comm;
pub mod error;

#[cfg(feature = "mpi")]
pub use comm::Mpi;
pub use comm::{Communicator, Local};
pub use error::{Error, Result};
