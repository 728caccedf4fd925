//! The blur operator H: 2-D convolution with a kernel by real FFTs, its adjoint Hᵀ, and a
//! direct O(N·K) reference.
//!
//! For an image x of `width × height` pixels and a kernel K of `kw × kh` pixels whose centre is
//! pixel c = (⌊kw/2⌋, ⌊kh/2⌋),
//!
//! ```text
//! (Hx)(p)  = Σ_q K(q) · x(p − q + c)      convolution (the kernel is flipped)
//! (Hᵀy)(p) = Σ_q K(q) · y(p + q − c)      correlation, the adjoint: ⟨Hx, y⟩ = ⟨x, Hᵀy⟩
//! ```
//!
//! summed over the kernel's pixels q, with pixels outside the image given by the [`Boundary`]:
//! - [`Boundary::Periodic`]: indices wrap modulo the image's sides (a torus). H is then
//!   diagonalised by the 2-D DFT on the image's own grid: Ĥ(ω) = DFT of the kernel placed with
//!   its centre at (0, 0) and wrapped (a kernel larger than the image wraps onto itself).
//! - [`Boundary::Same`]: pixels outside are 0, and the output keeps the input's shape (the
//!   centred crop of the full linear convolution, as `scipy.signal.convolve(mode="same")` for
//!   odd kernels). The FFT grid is zero-padded to at least `width + kw − 1` by `height + kh − 1`
//!   so that nothing wraps, rounded up to a size with prime factors 2, 3 and 5 only, even along
//!   rows (`realfft` halves an even length into a complex FFT of half the length). Factors of 7
//!   were slower in rustfft 6.4 here: at 1024 + 24 the 5-smooth 1080 took 8.2 ns/pixel per
//!   application of H, the 7-smooth 1050 9.4–11.6 (best of 15 on a shared 2-core machine).
//!   H = crop ∘ C ∘ pad with C the circular convolution on the padded grid, so
//!   Hᵀ = crop ∘ Cᵀ ∘ pad with Cᵀ the circular correlation (Ĉᵀ = conj Ĉ).
//!
//! Both are exact linear operators (to rounding): the tests check the adjoint identity to 1e-10
//! and the FFT against [`convolve_direct`] to 1e-12 relative.
//!
//! **The 2-D FFT.** Rows are transformed by `realfft` (real → half spectrum, `pw/2 + 1`
//! complex values for a padded width pw), then the `pw/2 + 1` columns of length ph by
//! `rustfft`. The spectrum is stored column-major (one column of ph values per horizontal
//! frequency) so the column FFTs run as one batched call on contiguous memory. Only the image's
//! rows are transformed forward and only its rows are transformed back (the padding rows are zero
//! in and unused out). Plans, the kernel's spectrum and every buffer are made in
//! [`Convolution::new`]: applying H allocates nothing.
//!
//! **Norm.** ‖H‖₂² = max_ω |Ĥ(ω)|² on the FFT grid is exact for `Periodic`. For `Same` it is an
//! upper bound (‖crop ∘ C ∘ pad‖ ≤ ‖C‖), tight for large images. For a non-negative kernel the
//! maximum is at ω = 0: (Σ K)², which is 1 for a normalised PSF.

use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::Fft;

use crate::{Error, Image, Result};

/// A complex number in `f64`, as the spectra use (re-exported from `num-complex` via `realfft`).
pub type Complex64 = Complex<f64>;

/// The most pixels the padded FFT grid may hold (2³⁰, 16 GiB of spectrum).
const MAX_PADDED_PIXELS: usize = 1 << 30;

/// Rows handled together when moving between row spectra and the column-major spectrum, so each
/// column receives a contiguous run of values (cache lines are used whole).
const ROW_BLOCK: usize = 8;

/// What lies outside the image; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// Indices wrap around: the image is a torus, and H is diagonal in the image's own DFT.
    Periodic,
    /// Zeros outside; the output is the centred crop of the linear convolution, input-sized.
    Same,
}

/// The blur operator H for one kernel and one image shape, applied by FFT; see the
/// [module docs](self).
///
/// `apply_into` and `adjoint_into` take `&mut self` because they work in the operator's own
/// buffers: one `Convolution` per thread (a clone shares the FFT plans and copies the buffers).
///
/// ```
/// use descent_imaging::{Boundary, Convolution, Image, Psf};
///
/// let kernel = Psf::Gaussian { fwhm: 3.0 }.kernel(None)?;
/// let mut h = Convolution::new(&kernel, (64, 48), Boundary::Periodic)?;
/// let mut star = Image::zeros(64, 48);
/// star.set(10, 20, 1.0);
/// let blurred = h.apply(&star)?;
/// assert!((blurred.sum() - 1.0).abs() < 1e-12); // a normalised PSF keeps the flux
/// assert!((blurred.get(10, 20) - kernel.get(kernel.width() / 2, kernel.height() / 2)).abs() < 1e-12);
/// assert!((h.norm_squared() - 1.0).abs() < 1e-12); // ‖H‖² = (Σ K)² for K ≥ 0
/// # Ok::<(), descent_imaging::Error>(())
/// ```
#[derive(Clone)]
pub struct Convolution {
    /// Image (width, height).
    shape: (usize, usize),
    /// Kernel (width, height).
    kernel_shape: (usize, usize),
    boundary: Boundary,
    /// FFT grid (pw, ph).
    padded: (usize, usize),
    /// Ĥ: the kernel's unnormalised DFT, half spectrum, column-major: `[kx·ph + ky]`.
    transfer: Vec<Complex64>,
    norm_squared: f64,
    row_forward: Arc<dyn RealToComplex<f64>>,
    row_inverse: Arc<dyn ComplexToReal<f64>>,
    column_forward: Arc<dyn Fft<f64>>,
    column_inverse: Arc<dyn Fft<f64>>,
    /// One padded row (pw reals).
    row: Vec<f64>,
    /// ROW_BLOCK row spectra (pw/2 + 1 each).
    row_spectra: Vec<Complex64>,
    /// The working spectrum, same layout as `transfer`.
    spectrum: Vec<Complex64>,
    /// Scratch for whichever FFT runs.
    scratch: Vec<Complex64>,
}

impl fmt::Debug for Convolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Convolution")
            .field("shape", &self.shape)
            .field("kernel_shape", &self.kernel_shape)
            .field("boundary", &self.boundary)
            .field("padded", &self.padded)
            .field("norm_squared", &self.norm_squared)
            .finish_non_exhaustive()
    }
}

impl Convolution {
    /// H for `kernel` on images of `shape` = (width, height) with `boundary`: plans the FFTs,
    /// allocates the buffers and computes the kernel's spectrum.
    ///
    /// The kernel is used as given (not normalised: see [`normalise_kernel`](crate::normalise_kernel));
    /// its centre is pixel (⌊kw/2⌋, ⌊kh/2⌋).
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite kernel pixel; [`Error::InvalidParameter`] for a
    /// zero side in `shape` or an FFT grid above 2³⁰ pixels.
    pub fn new(kernel: &Image, shape: (usize, usize), boundary: Boundary) -> Result<Self> {
        kernel.check_finite("convolution kernel")?;
        let (width, height) = shape;
        if width == 0 || height == 0 {
            return Err(Error::InvalidParameter {
                name: "image side",
                value: 0.0,
                valid: "at least 1 pixel",
            });
        }
        let (kw, kh) = kernel.shape();
        let padded = match boundary {
            Boundary::Periodic => shape,
            Boundary::Same => {
                // Image and kernel sides are each < 2^30 (they are allocated), so no overflow.
                (fft_friendly(width + kw - 1, true), fft_friendly(height + kh - 1, false))
            }
        };
        let (pw, ph) = padded;
        if pw.checked_mul(ph).is_none_or(|n| n > MAX_PADDED_PIXELS) {
            return Err(Error::InvalidParameter {
                name: "FFT grid pixels",
                value: pw as f64 * ph as f64,
                valid: "at most 2^30 (the image, plus the kernel for Same)",
            });
        }

        let mut real_planner = RealFftPlanner::<f64>::new();
        let row_forward = real_planner.plan_fft_forward(pw);
        let row_inverse = real_planner.plan_fft_inverse(pw);
        let mut planner = rustfft::FftPlanner::<f64>::new();
        let column_forward = planner.plan_fft_forward(ph);
        let column_inverse = planner.plan_fft_inverse(ph);
        let scratch_len = [
            row_forward.get_scratch_len(),
            row_inverse.get_scratch_len(),
            column_forward.get_inplace_scratch_len(),
            column_inverse.get_inplace_scratch_len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let columns = pw / 2 + 1;
        let zero = Complex64::new(0.0, 0.0);
        let mut h = Self {
            shape,
            kernel_shape: (kw, kh),
            boundary,
            padded,
            transfer: Vec::new(),
            norm_squared: 0.0,
            row_forward,
            row_inverse,
            column_forward,
            column_inverse,
            row: vec![0.0; pw],
            row_spectra: vec![zero; ROW_BLOCK * columns],
            spectrum: vec![zero; columns * ph],
            scratch: vec![zero; scratch_len],
        };

        // The kernel on the FFT grid, centre at (0, 0), wrapped (and summed where a kernel
        // larger than a periodic image overlaps itself).
        let mut grid = vec![0.0; pw * ph];
        let (cx, cy) = (kw / 2, kh / 2);
        for qy in 0..kh {
            let gy = (qy + ph - cy % ph) % ph;
            for qx in 0..kw {
                let gx = (qx + pw - cx % pw) % pw;
                grid[gy * pw + gx] += kernel.get(qx, qy);
            }
        }
        h.forward(&grid, pw, ph);
        h.norm_squared = h.spectrum.iter().map(|z| z.norm_sqr()).fold(0.0, f64::max);
        h.transfer = h.spectrum.clone();
        Ok(h)
    }

    /// Hx into `out`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `x` or `out` is not of the operator's shape.
    pub fn apply_into(&mut self, x: &Image, out: &mut Image) -> Result<()> {
        self.run(x, out, Gain::Transfer)
    }

    /// Hᵀy into `out`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `y` or `out` is not of the operator's shape.
    pub fn adjoint_into(&mut self, y: &Image, out: &mut Image) -> Result<()> {
        self.run(y, out, Gain::Adjoint)
    }

    /// Hx, in a new image.
    ///
    /// # Errors
    /// As [`Convolution::apply_into`].
    pub fn apply(&mut self, x: &Image) -> Result<Image> {
        let mut out = Image::zeros(self.shape.0, self.shape.1);
        self.apply_into(x, &mut out)?;
        Ok(out)
    }

    /// Hᵀy, in a new image.
    ///
    /// # Errors
    /// As [`Convolution::adjoint_into`].
    pub fn adjoint(&mut self, y: &Image) -> Result<Image> {
        let mut out = Image::zeros(self.shape.0, self.shape.1);
        self.adjoint_into(y, &mut out)?;
        Ok(out)
    }

    /// Any diagonal operator on the FFT grid: pads x as H does, multiplies its spectrum by
    /// `gain` (same layout as [`Convolution::transfer`]), transforms back and crops. With
    /// gain = conj Ĥ / (|Ĥ|² + b) this is the Wiener filter; with gain = Ĥ it is H.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `x` or `out` is not of the operator's shape, or `gain` is
    /// not of [`Convolution::spectrum_shape`] (reported as `gain.len() × 1`).
    pub fn filter_into(&mut self, x: &Image, gain: &[Complex64], out: &mut Image) -> Result<()> {
        if gain.len() != self.transfer.len() {
            let (columns, rows) = self.spectrum_shape();
            return Err(Error::ShapeMismatch {
                what: "spectral gain (half-spectrum columns × rows)",
                expected: (columns, rows),
                got: (gain.len(), 1),
            });
        }
        self.run(x, out, Gain::Given(gain))
    }

    /// ‖H‖₂² = max_ω |Ĥ(ω)|² on the FFT grid: exact for [`Boundary::Periodic`], an upper bound
    /// for [`Boundary::Same`] (see the [module docs](self)). Gradient methods on ½‖Hx − y‖² are
    /// stable for steps below 2 / `norm_squared`.
    #[must_use]
    pub fn norm_squared(&self) -> f64 {
        self.norm_squared
    }

    /// Ĥ: the kernel's DFT on the FFT grid (unnormalised: Ĥ(0) = Σ K), half spectrum,
    /// column-major. Entry `kx·ph + ky` (kx in 0..=pw/2, ky in 0..ph, (pw, ph) =
    /// [`Convolution::padded_shape`]) is the frequency [`Convolution::frequency`] gives; the
    /// other half is its complex conjugate, Ĥ(−ω) = conj Ĥ(ω).
    #[must_use]
    pub fn transfer(&self) -> &[Complex64] {
        &self.transfer
    }

    /// The frequency (cycles per pixel, horizontal and vertical, each in [−½, ½]) of entry
    /// `index` of [`Convolution::transfer`].
    ///
    /// # Panics
    /// If `index` is not below `transfer().len()`.
    #[must_use]
    pub fn frequency(&self, index: usize) -> (f64, f64) {
        assert!(index < self.transfer.len(), "spectrum index {index} out of range");
        let (pw, ph) = self.padded;
        let (kx, ky) = (index / ph, index % ph);
        let ky = if ky <= ph / 2 { ky as f64 } else { ky as f64 - ph as f64 };
        (kx as f64 / pw as f64, ky / ph as f64)
    }

    /// (columns, rows) of the half spectrum: (pw/2 + 1, ph).
    #[must_use]
    pub fn spectrum_shape(&self) -> (usize, usize) {
        (self.padded.0 / 2 + 1, self.padded.1)
    }

    /// (pw, ph): the FFT grid; the image's shape for [`Boundary::Periodic`].
    #[must_use]
    pub fn padded_shape(&self) -> (usize, usize) {
        self.padded
    }

    /// The image shape (width, height) this operator takes and returns.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// The kernel's (width, height).
    #[must_use]
    pub fn kernel_shape(&self) -> (usize, usize) {
        self.kernel_shape
    }

    /// The boundary condition.
    #[must_use]
    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// pad → FFT → multiply by the gain (scaled by 1/(pw·ph), the inverse DFT's factor) →
    /// inverse FFT → crop.
    fn run(&mut self, x: &Image, out: &mut Image, gain: Gain<'_>) -> Result<()> {
        if x.shape() != self.shape {
            return Err(Error::ShapeMismatch {
                what: "convolution input",
                expected: self.shape,
                got: x.shape(),
            });
        }
        if out.shape() != self.shape {
            return Err(Error::ShapeMismatch {
                what: "convolution output",
                expected: self.shape,
                got: out.shape(),
            });
        }
        let (width, height) = self.shape;
        self.forward(x.data(), width, height);
        let scale = 1.0 / (self.padded.0 as f64 * self.padded.1 as f64);
        match gain {
            Gain::Transfer => {
                for (s, t) in self.spectrum.iter_mut().zip(&self.transfer) {
                    *s = *s * *t * scale;
                }
            }
            Gain::Adjoint => {
                for (s, t) in self.spectrum.iter_mut().zip(&self.transfer) {
                    *s = *s * t.conj() * scale;
                }
            }
            Gain::Given(g) => {
                for (s, t) in self.spectrum.iter_mut().zip(g) {
                    *s = *s * *t * scale;
                }
            }
        }
        self.inverse(out.data_mut(), width, height);
        Ok(())
    }

    /// The 2-D DFT of `rows × src_width` pixels (row-major in `src`), zero-padded to the FFT
    /// grid, into `self.spectrum`.
    fn forward(&mut self, src: &[f64], src_width: usize, rows: usize) {
        let (pw, ph) = self.padded;
        let columns = pw / 2 + 1;
        for y0 in (0..rows).step_by(ROW_BLOCK) {
            let block = ROW_BLOCK.min(rows - y0);
            for b in 0..block {
                let y = y0 + b;
                self.row[..src_width].copy_from_slice(&src[y * src_width..(y + 1) * src_width]);
                self.row[src_width..].fill(0.0);
                let spectrum = &mut self.row_spectra[b * columns..(b + 1) * columns];
                let scratch = &mut self.scratch[..self.row_forward.get_scratch_len()];
                self.row_forward
                    .process_with_scratch(&mut self.row, spectrum, scratch)
                    .expect("row buffers are sized by Convolution::new");
            }
            for kx in 0..columns {
                let column = &mut self.spectrum[kx * ph + y0..kx * ph + y0 + block];
                for (b, value) in column.iter_mut().enumerate() {
                    *value = self.row_spectra[b * columns + kx];
                }
            }
        }
        if rows < ph {
            for column in self.spectrum.chunks_exact_mut(ph) {
                column[rows..].fill(Complex64::new(0.0, 0.0));
            }
        }
        let scratch = &mut self.scratch[..self.column_forward.get_inplace_scratch_len()];
        self.column_forward.process_with_scratch(&mut self.spectrum, scratch);
    }

    /// The inverse 2-D DFT (unnormalised) of `self.spectrum`, its top-left `rows × dst_width`
    /// pixels into `dst`.
    fn inverse(&mut self, dst: &mut [f64], dst_width: usize, rows: usize) {
        let (pw, ph) = self.padded;
        let columns = pw / 2 + 1;
        let scratch = &mut self.scratch[..self.column_inverse.get_inplace_scratch_len()];
        self.column_inverse.process_with_scratch(&mut self.spectrum, scratch);
        for y0 in (0..rows).step_by(ROW_BLOCK) {
            let block = ROW_BLOCK.min(rows - y0);
            for kx in 0..columns {
                let column = &self.spectrum[kx * ph + y0..kx * ph + y0 + block];
                for (b, value) in column.iter().enumerate() {
                    self.row_spectra[b * columns + kx] = *value;
                }
            }
            for b in 0..block {
                let y = y0 + b;
                let spectrum = &mut self.row_spectra[b * columns..(b + 1) * columns];
                // The product of two Hermitian spectra is Hermitian, so the DC (and, for even
                // pw, Nyquist) values of each row's spectrum are real up to rounding: drop that
                // rounding, which the real inverse FFT would otherwise report.
                spectrum[0].im = 0.0;
                if pw % 2 == 0 {
                    spectrum[columns - 1].im = 0.0;
                }
                let scratch = &mut self.scratch[..self.row_inverse.get_scratch_len()];
                self.row_inverse
                    .process_with_scratch(spectrum, &mut self.row, scratch)
                    .expect("row buffers are sized by Convolution::new");
                dst[y * dst_width..(y + 1) * dst_width].copy_from_slice(&self.row[..dst_width]);
            }
        }
    }
}

/// Which diagonal the spectrum is multiplied by.
#[derive(Clone, Copy)]
enum Gain<'a> {
    /// Ĥ: H.
    Transfer,
    /// conj Ĥ: Hᵀ.
    Adjoint,
    /// A caller's gain.
    Given(&'a [Complex64]),
}

/// The smallest n′ ≥ n whose prime factors are 2, 3 and 5 (and even, when asked: `realfft`
/// halves even lengths into a complex FFT of n′/2).
fn fft_friendly(n: usize, even: bool) -> usize {
    let mut candidate = n.max(1);
    loop {
        if !(even && candidate % 2 == 1) {
            let mut m = candidate;
            for p in [2, 3, 5] {
                while m.is_multiple_of(p) {
                    m /= p;
                }
            }
            if m == 1 {
                return candidate;
            }
        }
        candidate += 1;
    }
}

/// Hx by the definition, O(width·height·kw·kh): the reference the FFT is tested against.
/// Same conventions as [`Convolution`] (see the [module docs](self)).
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite kernel pixel.
pub fn convolve_direct(x: &Image, kernel: &Image, boundary: Boundary) -> Result<Image> {
    kernel.check_finite("convolution kernel")?;
    let (width, height) = x.shape();
    let (kw, kh) = kernel.shape();
    let (cx, cy) = ((kw / 2) as isize, (kh / 2) as isize);
    let (w, h) = (width as isize, height as isize);
    let mut out = Image::zeros(width, height);
    for py in 0..h {
        for px in 0..w {
            let mut sum = 0.0;
            for qy in 0..kh as isize {
                let mut sy = py - qy + cy;
                match boundary {
                    Boundary::Periodic => sy = sy.rem_euclid(h),
                    Boundary::Same if !(0..h).contains(&sy) => continue,
                    Boundary::Same => {}
                }
                for qx in 0..kw as isize {
                    let mut sx = px - qx + cx;
                    match boundary {
                        Boundary::Periodic => sx = sx.rem_euclid(w),
                        Boundary::Same if !(0..w).contains(&sx) => continue,
                        Boundary::Same => {}
                    }
                    sum += kernel.get(qx as usize, qy as usize) * x.get(sx as usize, sy as usize);
                }
            }
            out.set(px as usize, py as usize, sum);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_friendly_sizes() {
        assert_eq!(fft_friendly(1048, true), 1080); // 2³·3³·5
        assert_eq!(fft_friendly(11, false), 12);
        assert_eq!(fft_friendly(11, true), 12);
        assert_eq!(fft_friendly(49, true), 50);
        assert_eq!(fft_friendly(49, false), 50);
        assert_eq!(fft_friendly(43, false), 45);
        assert_eq!(fft_friendly(43, true), 48);
        assert_eq!(fft_friendly(1, false), 1);
        assert_eq!(fft_friendly(1, true), 2);
    }

    #[test]
    fn frequencies_of_the_half_spectrum() {
        let h = Convolution::new(&Image::zeros(1, 1), (6, 5), Boundary::Periodic).unwrap();
        assert_eq!(h.spectrum_shape(), (4, 5));
        assert_eq!(h.frequency(0), (0.0, 0.0));
        assert_eq!(h.frequency(2), (0.0, 0.4));
        assert_eq!(h.frequency(3), (0.0, -0.4));
        assert_eq!(h.frequency(3 * 5 + 1), (0.5, 0.2));
    }
}
