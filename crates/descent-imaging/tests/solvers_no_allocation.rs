//! The solvers' iterations allocate nothing: a run of 40 iterations makes exactly as many
//! allocations as a run of 4 (buffers are made before the first iteration). A counting global
//! allocator watches the one test of this binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use descent_imaging::{
    Boundary, Convolution, Image, Options, Prior, Psf, Restoration, Result, fista, landweber,
    richardson_lucy, richardson_lucy_tv,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

type Solver = fn(&mut Convolution, &Image, Options<'_>) -> Result<Restoration>;

#[test]
fn iterations_allocate_nothing() {
    let kernel = Psf::Gaussian { fwhm: 3.0 }.kernel(None).unwrap();
    let mut h = Convolution::new(&kernel, (40, 30), Boundary::Periodic).unwrap();
    // a blurred bright square with a negative pixel (RL's shifted path)
    let mut x = Image::zeros(40, 30);
    (10..20).for_each(|c| (8..14).for_each(|r| x.set(c, r, 1.0)));
    let mut y = h.apply(&x).unwrap();
    y.set(0, 0, -0.01);
    let solvers: [(&str, Solver); 5] = [
        ("landweber", |h, y, o| landweber(h, y, None, true, o)),
        ("fista tv+l1", |h, y, o| fista(h, y, Prior { tv: 1e-3, l1: 1e-3 }, true, o)),
        ("fista l1", |h, y, o| fista(h, y, Prior { tv: 0.0, l1: 1e-3 }, false, o)),
        ("rl", |h, y, o| richardson_lucy(h, y, o)),
        ("rl-tv", |h, y, o| richardson_lucy_tv(h, y, 2e-3, o)),
    ];
    for (name, solve) in solvers {
        let count = |iterations: usize, h: &mut Convolution| {
            let before = ALLOCATIONS.load(Ordering::SeqCst);
            let out = solve(h, &y, Options::fixed(iterations)).unwrap();
            assert_eq!(out.iterations, iterations);
            ALLOCATIONS.load(Ordering::SeqCst) - before
        };
        let (few, many) = (count(4, &mut h), count(40, &mut h));
        assert_eq!(few, many, "{name}: {few} allocations for 4 iterations, {many} for 40");
    }
}
