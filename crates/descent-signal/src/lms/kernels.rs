//! The hot loops of every filter: dot products and scaled additions over tap vectors.
//!
//! Each is written with [`LANES`] independent accumulators so that LLVM vectorises it without
//! fast-math (a single accumulator is a serial chain of additions it may not reorder), and is
//! compiled three times: for AVX-512, for AVX2 and for the x86-64 baseline (SSE2), chosen once at
//! construction ([`Isa::detect`]) the way `descent`'s fused optimizer pass does. The arithmetic is
//! the same in every version (Rust never contracts a multiply and an add into an FMA on its own,
//! and the accumulators are combined in one fixed order), so the results are bit-identical on
//! every machine.

/// Independent accumulators in a dot product: two AVX-512 registers, four AVX2 registers, eight
/// SSE2 registers. Measured on the development machine (AMD EPYC with AVX-512, shared with
/// other jobs, so only A/B runs side by side count): 16 was ~5% faster than 8 for NLMS at 1024
/// taps, 32 no better than 16 (the loop is bound by loads and stores to L1 as much as by the
/// adder's latency). Fusing each sample's update with the next output into one pass over the
/// taps was tried and measured no faster (slower at 256 taps), so the update and the dot
/// product are two passes.
pub(crate) const LANES: usize = 16;

/// The instruction set the kernels run with, detected once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// AVX-512F (x86-64 only).
    Avx512,
    /// AVX2 (x86-64 only).
    Avx2,
    /// Whatever the target guarantees (SSE2 on x86-64).
    Baseline,
}

impl Isa {
    /// The widest instruction set this processor has. The only way to make the AVX variants:
    /// the kernels' `unsafe` calls rely on it.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }
}

/// Generates the three compiled versions of a kernel and its dispatching entry point.
macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? => $portable:ident) => {
        $(#[$doc])*
        #[inline]
        pub(crate) fn $name(isa: Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) $(-> $ret)? {
                    $portable($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $portable($($arg),*)
                }
                match isa {
                    // SAFETY: `Isa::Avx512` only comes from `Isa::detect`, which found AVX-512F.
                    Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: `Isa::Avx2` only comes from `Isa::detect`, which found AVX2.
                    Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    Isa::Baseline => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = isa;
            $portable($($arg),*)
        }
    };
}

dispatch! {
    /// aᵀb over the common length of `a` and `b` (callers pass equal lengths).
    fn dot(a: &[f64], b: &[f64]) -> f64 => dot_portable
}

dispatch! {
    /// w ← w + α·x.
    fn axpy(w: &mut [f64], alpha: f64, x: &[f64]) => axpy_portable
}

dispatch! {
    /// w ← β·w + α·x (leaky LMS).
    fn axpby(w: &mut [f64], beta: f64, alpha: f64, x: &[f64]) => axpby_portable
}

dispatch! {
    /// w ← w + α·sgn(x), sgn(0) = 0 (sign-data and sign-sign LMS).
    fn axpy_sign(w: &mut [f64], alpha: f64, x: &[f64]) => axpy_sign_portable
}

/// Combines the accumulators in one fixed order (pairwise).
#[inline(always)]
fn combine(mut acc: [f64; LANES]) -> f64 {
    let mut width = LANES / 2;
    while width > 0 {
        for k in 0..width {
            acc[k] += acc[k + width];
        }
        width /= 2;
    }
    acc[0]
}

#[inline(always)]
fn dot_portable(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    for (k, (x, y)) in ca.remainder().iter().zip(cb.remainder()).enumerate() {
        acc[k] = x * y;
    }
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    combine(acc)
}

#[inline(always)]
fn axpy_portable(w: &mut [f64], alpha: f64, x: &[f64]) {
    for (wi, xi) in w.iter_mut().zip(x) {
        *wi += alpha * xi;
    }
}

#[inline(always)]
fn axpby_portable(w: &mut [f64], beta: f64, alpha: f64, x: &[f64]) {
    for (wi, xi) in w.iter_mut().zip(x) {
        *wi = beta * *wi + alpha * xi;
    }
}

/// sgn(x) with sgn(0) = 0, without a branch.
#[inline(always)]
pub(crate) fn sign(x: f64) -> f64 {
    f64::from(u8::from(x > 0.0)) - f64::from(u8::from(x < 0.0))
}

#[inline(always)]
fn axpy_sign_portable(w: &mut [f64], alpha: f64, x: &[f64]) {
    for (wi, xi) in w.iter_mut().zip(x) {
        *wi += alpha * sign(*xi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn every_isa_gives_the_same_bits_and_matches_a_naive_dot() {
        let isas = [Isa::detect(), Isa::Baseline];
        for n in [0, 1, 7, 31, 32, 33, 100, 1024, 1031] {
            let a: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0).collect();
            let b: Vec<f64> = (0..n).map(|i| ((i * 53 % 97) as f64 - 48.0) / 5.0).collect();
            let r = naive_dot(&a, &b);
            let scale = naive_dot(&a, &a).sqrt() * naive_dot(&b, &b).sqrt();
            let d: Vec<f64> = isas.iter().map(|&isa| dot(isa, &a, &b)).collect();
            assert!((d[0] - r).abs() <= 1e-14 * n as f64 * scale.max(1.0), "n = {n}");
            assert_eq!(d[0].to_bits(), d[1].to_bits(), "n = {n}");
            let mut w = vec![0.5; n];
            let mut w2 = w.clone();
            axpy(isas[0], &mut w, 0.25, &a);
            axpy(isas[1], &mut w2, 0.25, &a);
            assert_eq!(w, w2);
            for (wi, ai) in w.iter().zip(&a) {
                assert_eq!(*wi, 0.5 + 0.25 * ai);
            }
        }
    }

    #[test]
    fn sign_is_zero_at_zero() {
        assert_eq!(sign(0.0), 0.0);
        assert_eq!(sign(-0.0), 0.0);
        assert_eq!(sign(3.0), 1.0);
        assert_eq!(sign(-1e-300), -1.0);
    }
}
