//! Applying H and Hᵀ allocates nothing: plans, spectra and buffers are made by
//! `Convolution::new`. A counting global allocator watches one thread (this binary has one test).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use descent_imaging::{Boundary, Convolution, Image, Psf};

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

#[test]
fn apply_and_adjoint_allocate_nothing() {
    let kernel = Psf::Airy { fwhm: 2.5 }.kernel(None).unwrap();
    // A power of two, a prime (Bluestein in rustfft) and a padded 5-smooth grid.
    for (shape, boundary) in
        [((64, 48), Boundary::Periodic), ((61, 37), Boundary::Periodic), ((61, 37), Boundary::Same)]
    {
        let mut h = Convolution::new(&kernel, shape, boundary).unwrap();
        let x = Image::zeros(shape.0, shape.1);
        let (mut hx, mut hty) = (Image::zeros(shape.0, shape.1), Image::zeros(shape.0, shape.1));
        let gain = h.transfer().to_vec();
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for _ in 0..3 {
            h.apply_into(&x, &mut hx).unwrap();
            h.adjoint_into(&hx, &mut hty).unwrap();
            h.filter_into(&hty, &gain, &mut hx).unwrap();
        }
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(after - before, 0, "{shape:?} {boundary:?}: {} allocations", after - before);
    }
}
