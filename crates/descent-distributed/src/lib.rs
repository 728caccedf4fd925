//! `descent` across machines: data-parallel training and distributed full-batch objectives,
//! on MPI.
//!
//! | module | what |
//! |---|---|
//! | [`comm`] | [`Communicator`]: all-reduce, broadcast, barrier, abort — over MPI (feature `mpi`) or one process ([`Local`]) |
//! | [`mod@train`] | [`train_data_parallel`]: data-parallel minibatch training of a descent-nn model with any descent rule, one all-reduce per step, replicas checked by hash |
//! | [`checkpoint`] | step checkpoints of a data-parallel run, written by rank 0 atomically, read by rank 0 and broadcast; resume is bit for bit |
//!
//! Built only when asked for: without the `mpi` feature the crate has the single-process
//! communicator alone and needs no MPI library.

#![warn(missing_docs)]

pub mod checkpoint;
pub mod comm;
pub mod error;
pub mod train;

#[cfg(feature = "mpi")]
pub use comm::Mpi;
pub use comm::{Communicator, Local};
pub use error::{Error, Result};
pub use train::{DataParallelConfig, train_data_parallel};
