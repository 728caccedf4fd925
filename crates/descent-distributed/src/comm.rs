//! The communicator: the few collective operations the distributed algorithms need, over MPI
//! (feature `mpi`) or within one process ([`Local`]).
//!
//! Every algorithm in this crate is written against [`Communicator`], so the same code runs as
//! one process (tests, the default build) and as `p` MPI ranks. All operations are collective:
//! every rank must call them, in the same order, with buffers of the same length.

/// Collective operations over the ranks of a job.
pub trait Communicator {
    /// This process's rank, 0 ≤ rank < [`size`](Communicator::size).
    fn rank(&self) -> usize;

    /// The number of ranks p.
    fn size(&self) -> usize;

    /// Replaces `buf` on every rank by the element-wise sum over ranks (MPI_Allreduce with
    /// MPI_SUM, in place).
    fn all_reduce_sum_f64(&self, buf: &mut [f64]);

    /// As [`all_reduce_sum_f64`](Communicator::all_reduce_sum_f64), for f32.
    fn all_reduce_sum_f32(&self, buf: &mut [f32]);

    /// The element-wise minimum and maximum over ranks, in place (used to check that a value
    /// every rank holds is the same everywhere).
    fn all_reduce_min_max_u64(&self, min: &mut [u64], max: &mut [u64]);

    /// Replaces `bytes` on every rank by rank `root`'s (lengths may differ before the call).
    fn broadcast_bytes(&self, root: usize, bytes: &mut Vec<u8>);

    /// Waits until every rank has called it.
    fn barrier(&self);

    /// Ends every rank of the job with `code` (MPI_Abort): what a rank that fails does, so that
    /// the others do not wait forever in a collective.
    fn abort(&self, code: i32) -> !;

    /// Whether this is rank 0 (the one that writes files and prints).
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}

/// A job of one process: every collective is the identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Local;

impl Communicator for Local {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_reduce_sum_f64(&self, _buf: &mut [f64]) {}

    fn all_reduce_sum_f32(&self, _buf: &mut [f32]) {}

    fn all_reduce_min_max_u64(&self, _min: &mut [u64], _max: &mut [u64]) {}

    fn broadcast_bytes(&self, _root: usize, _bytes: &mut Vec<u8>) {}

    fn barrier(&self) {}

    fn abort(&self, code: i32) -> ! {
        std::process::exit(code)
    }
}

/// The MPI communicator (feature `mpi`): `MPI_COMM_WORLD` of the job `mpirun` started.
#[cfg(feature = "mpi")]
pub struct Mpi {
    world: mpi::topology::SimpleCommunicator,
    /// The send side of the all-reduces (rsmpi has no in-place form), kept between calls so
    /// that a training step allocates nothing.
    scratch_f64: std::cell::RefCell<Vec<f64>>,
    scratch_f32: std::cell::RefCell<Vec<f32>>,
    /// Ends MPI when dropped (MPI_Finalize); declared last, so it is dropped last.
    _universe: mpi::environment::Universe,
}

#[cfg(feature = "mpi")]
impl Mpi {
    /// Initialises MPI (once per process); `None` if it was initialised already.
    #[must_use]
    pub fn init() -> Option<Self> {
        let universe = mpi::initialize()?;
        let world = universe.world();
        Some(Self {
            world,
            scratch_f64: std::cell::RefCell::new(Vec::new()),
            scratch_f32: std::cell::RefCell::new(Vec::new()),
            _universe: universe,
        })
    }
}

#[cfg(feature = "mpi")]
impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpi").field("rank", &self.rank()).field("size", &self.size()).finish()
    }
}

#[cfg(feature = "mpi")]
impl Communicator for Mpi {
    fn rank(&self) -> usize {
        use mpi::traits::Communicator as _;
        usize::try_from(self.world.rank()).unwrap_or(0)
    }

    fn size(&self) -> usize {
        use mpi::traits::Communicator as _;
        usize::try_from(self.world.size()).unwrap_or(1)
    }

    fn all_reduce_sum_f64(&self, buf: &mut [f64]) {
        use mpi::traits::CommunicatorCollectives as _;
        let mut send = self.scratch_f64.borrow_mut();
        send.clear();
        send.extend_from_slice(buf);
        self.world.all_reduce_into(&send[..], buf, mpi::collective::SystemOperation::sum());
    }

    fn all_reduce_sum_f32(&self, buf: &mut [f32]) {
        use mpi::traits::CommunicatorCollectives as _;
        let mut send = self.scratch_f32.borrow_mut();
        send.clear();
        send.extend_from_slice(buf);
        self.world.all_reduce_into(&send[..], buf, mpi::collective::SystemOperation::sum());
    }

    fn all_reduce_min_max_u64(&self, min: &mut [u64], max: &mut [u64]) {
        use mpi::traits::CommunicatorCollectives as _;
        let send = min.to_vec();
        self.world.all_reduce_into(&send[..], min, mpi::collective::SystemOperation::min());
        let send = max.to_vec();
        self.world.all_reduce_into(&send[..], max, mpi::collective::SystemOperation::max());
    }

    fn broadcast_bytes(&self, root: usize, bytes: &mut Vec<u8>) {
        use mpi::traits::{Communicator as _, Root as _};
        let root = self.world.process_at_rank(i32::try_from(root).unwrap_or(0));
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(usize::try_from(len).unwrap_or(0), 0);
        root.broadcast_into(&mut bytes[..]);
    }

    fn barrier(&self) {
        use mpi::traits::CommunicatorCollectives as _;
        self.world.barrier();
    }

    fn abort(&self, code: i32) -> ! {
        use mpi::traits::Communicator as _;
        self.world.abort(code)
    }
}
