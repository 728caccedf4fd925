//! `descent` across machines: data-parallel training and distributed full-batch objectives,
//! on MPI.
//!
//! | module | what |
//! |---|---|
//! | [`comm`] | [`Communicator`]: all-reduce, broadcast, barrier, abort — over MPI (feature `mpi`) or one process ([`Local`]) |
//! | [`objective`] | [`Sharded`]: a full-batch objective summed over shards with one all-reduce of n + 1 doubles per evaluation, for every `descent` solver unchanged |
//! | [`softmax`] | [`SoftmaxShard`]: softmax regression over one shard of a data set (value, gradient, exact Hessian-vector product); [`shard`]; the problem [`LOGISTIC_DIGITS`] |
//!
//! Built only when asked for: without the `mpi` feature the crate has the single-process
//! communicator alone and needs no MPI library.

#![warn(missing_docs)]

pub mod comm;
pub mod error;
pub mod objective;
pub mod softmax;

#[cfg(feature = "mpi")]
pub use comm::Mpi;
pub use comm::{Communicator, Local};
pub use error::{Error, Result};
pub use objective::Sharded;
pub use softmax::{LOGISTIC_DIGITS, SoftmaxShard, logistic_digits, shard};
