//! The partitioned-block frequency-domain NLMS (PBFDAF, also "multidelay block frequency-domain
//! filter", MDF): a long adaptive FIR filter at a fraction of the time-domain cost, with a
//! latency of one short block.
//!
//! A time-domain NLMS of L taps costs O(L) per sample. Collecting B samples into a block and
//! doing the block's convolution and gradient correlation with FFTs costs O(log B) per sample
//! and partition instead; cutting the L taps into P = L/B partitions of B taps keeps the block
//! (and so the delay) short while the filter stays long (Soo & Pang 1990). Each frequency bin
//! gets its own step, normalised by that bin's input power, which whitens coloured input such
//! as speech and speeds convergence compared with the time-domain NLMS.
//!
//! # Symbols
//!
//! | symbol | meaning |
//! |---|---|
//! | L, B, P = L/B, N = 2B | taps, block length, partitions, FFT length |
//! | m | block index: block m holds the samples n = mB … mB + B − 1 |
//! | uₘ | the input frame [x(mB − B), …, x(mB + B − 1)] (N samples: last block and this one) |
//! | F | the N-point DFT; Xₘ = F uₘ, Xₘ,ₖ its bin k |
//! | w_p | the B taps of partition p: w_{pB} … w_{pB+B−1}; W_p = F [w_p; 0_B] |
//! | μ | step ([`Pbfdaf::new`]), β: power smoothing ([`Pbfdaf::with_beta`]), ε: regularisation ([`Pbfdaf::with_epsilon`]) |
//! | Pₖ | the smoothed input power in bin k |
//!
//! # The update (overlap-save, constrained gradient)
//!
//! ```text
//! output:   y = last B of F⁻¹ Σ_p Xₘ₋ₚ ⊙ W_p              (= Σ_k w_k x(n − k) for the B samples)
//! error:    e = d − y,   E = F [0_B; e]
//! power:    Pₖ ← β·Pₖ + (1 − β)·P·|Xₘ,ₖ|²                (Pₖ = P·|X₀,ₖ|² at the first block)
//! gradient: φ_p = first B of F⁻¹ [ μ/(Pₖ + ε) · conj(Xₘ₋ₚ,ₖ) · Eₖ ]     p = 0 … P − 1
//! update:   w_p ← w_p + φ_p,   W_p ← F [w_p; 0_B]
//! ```
//!
//! Without the per-bin factor, φ_p is exactly the block correlation
//! Σᵢ e(mB + i)·x(mB + i − pB − j), j = 0 … B − 1: keeping only the first half of the inverse
//! transform (the *constraint*: IFFT, zero the second half, FFT) throws away the circular
//! wrap-around, so the filter is exactly a block LMS-type update of a linear (not circular)
//! convolution. With [`Normalisation::Scalar`] one number replaces the Pₖ — their mean over the
//! N bins, which by Parseval is P·‖uₘ‖² smoothed by β — and the filter *is* the time-domain
//! block NLMS w ← w + μ/(P̄ + ε)·Σᵢ e(i)·x(i); with β = 0 and P = 1 that is
//! w ← w + μ·Σᵢ e(i)·x(i) / (ε + ‖uₘ‖²).
//!
//! **The power estimate.** Pₖ is taken from the newest frame only, times P, rather than summed
//! over the P delayed frames Xₘ₋ₚ that the partitions see. For a stationary input both have the
//! same mean (P·E|Xₖ|² ≈ 2L·S_xx(ωₖ), with S_xx the input's power spectral density), but the
//! newest frame reacts P blocks sooner to a change in level and, at the start, the sum over
//! partitions would be P times too small while the history fills with zeros — a P-fold step.
//! SpeexDSP makes the same choice. The first block sets Pₖ without smoothing so that the
//! estimate does not start from zero. The power is tracked also while adaptation is frozen.
//!
//! # Step size, stability and misadjustment
//!
//! In bin k the normalised step is μ/(2L·S_xx(ωₖ)): for white input of variance σ², each block
//! moves w by μ/(2Lσ²)·Σᵢ e(i)x(i), a block LMS of step μ_b = μ/(2Lσ²). A block LMS of step μ_b
//! has the misadjustment of a sample LMS of step μ_b (Clark, Mitra & Parker 1981), here that of
//! an NLMS with step μ/2:
//!
//! ```text
//! M = excess MSE / minimum MSE ≈ (μ/2) / (2 − μ/2) = μ / (4 − μ)     (≈ μ/4 for small μ)
//! ```
//! (measured: 0.071, 0.150, 0.357 at μ = 0.25, 0.5, 1 against 0.067, 0.143, 0.333; see the
//! tests). The time constant of the misalignment is ≈ 4L/μ samples for white input, twice the
//! NLMS one at the same μ since the effective step is μ/2.
//!
//! **Stability.** μ is accepted in (0, 2). For white input the analysis above gives mean-square
//! convergence up to μ < 4; (0, 2) keeps a margin for the noise of the Pₖ estimates and for the
//! block delay of the partitioned update (partition p adapts on data p blocks older than
//! partition 0). Per-bin normalisation whitens coloured input, so the same range holds for it —
//! provided the power is smoothed: with β = 0 one frame's |Xₖ|² is an exponential variable whose
//! inverse has no mean, bins that happen to be near zero get huge steps, and the filter can
//! diverge on coloured input. With [`Normalisation::Scalar`] the filter is a block LMS, which
//! moves B samples' worth of gradient at once along the largest eigenvector of the input
//! correlation matrix (eigenvalue up to max S_xx): it converges in the mean only for
//! μ < 4P·σ²/max S_xx. For AR(1) input with coefficient a, σ²/max S_xx = (1 − a)/(1 + a), so at
//! a = 0.9 and P = 1 only μ < 0.21 is safe — use per-bin normalisation for speech. Typical
//! values: μ = 0.1 – 1.
//!
//! # Defaults
//!
//! β = 0.9 (a time constant of 10 blocks: fast enough for speech, smooth enough to keep the
//! step from jumping bin by bin), ε = 1e-6 (signals in [−1, 1]: Pₖ is ≈ 2L·σ², far above it
//! unless the input is silent), per-bin normalisation.
//!
//! **Speech needs a larger ε.** Speech has near-silent stretches in which some bins' Pₖ fall
//! towards 0 and μ/(Pₖ + ε) becomes huge: with the default ε the filter diverges on the shipped
//! speech (echo set-up, block = taps = 256: ERLE −17 dB at μ = 0.5). ε = 1 (a floor of the
//! order of an active bin's power for speech in [−1, 1]) keeps it stable there: 29.3 dB at
//! B = 64, μ = 0.5, the figure `tests/cancellation.rs` asserts; `descent denoise` uses ε = 1.
//!
//! # Blocks that do not fill
//!
//! [`AdaptiveFilter::process_into`] takes any length. Complete blocks run in the frequency
//! domain. The samples of a trailing partial block are kept pending; their outputs are computed
//! at once in the time domain, y(n) = Σ_k w_k x(n − k), from the current weights — the weights
//! the frequency-domain pass will use once the block is complete, so those outputs agree with
//! it to rounding (~1e-15 relative). The block adapts once it is complete, from the errors of
//! the frequency-domain pass. Chunks whose lengths are multiples of B therefore give exactly the
//! numbers of one call; other chunkings agree to rounding.
//!
//! # Cost
//!
//! Per block: 2P + 3 real FFTs of length 2B and O(P·B) products, so O((P + 1)·log B) per sample
//! against O(L) for the time-domain NLMS. Nothing is allocated after construction: the FFT
//! plans and all buffers are made in [`Pbfdaf::new`].
//!
//! # Deviations from SpeexDSP's MDF
//!
//! Speex updates all partitions' gradients but constrains only one partition per block
//! ("alternatively updated MDF", AUMDF), and steps with a learning rate that adapts to double
//! talk (Valin 2007). Here every partition is constrained every block — the exact block update
//! above, testable against a direct-sum reference — and μ is fixed; double talk is handled
//! outside by freezing adaptation ([`AdaptiveFilter::set_adapting`]).
//!
//! # Example
//!
//! ```
//! use descent_signal::{AdaptiveFilter, Pbfdaf};
//! use rand::{RngExt, SeedableRng};
//!
//! let h = [0.5, -0.3, 0.2, 0.1, 0.0, 0.05, 0.0, -0.02];
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let x: Vec<f64> = (0..8000).map(|_| rng.random_range(-1.0..1.0)).collect();
//! let d: Vec<f64> = (0..x.len())
//!     .map(|n| (0..h.len()).filter(|&k| k <= n).map(|k| h[k] * x[n - k]).sum())
//!     .collect();
//! let mut filter = Pbfdaf::new(8, 4, 0.5)?;
//! filter.process(&x, &d)?;
//! let w = filter.weights();
//! assert!(w.iter().zip(&h).all(|(a, b)| (a - b).abs() < 1e-6));
//! # Ok::<(), descent_signal::Error>(())
//! ```
//!
//! # References
//!
//! - J. S. Soo, K. K. Pang (1990), "Multidelay block frequency domain adaptive filter", IEEE
//!   Trans. ASSP 38(2), 373–376.
//! - J. J. Shynk (1992), "Frequency-domain and multirate adaptive filtering", IEEE Signal
//!   Processing Magazine 9(1), 14–37 (the constrained FDAF, its per-bin normalisation).
//! - G. A. Clark, S. K. Mitra, S. R. Parker (1981), "Block implementation of adaptive digital
//!   filters", IEEE Trans. ASSP 29(3), 744–752 (block LMS misadjustment).
//! - J.-M. Valin (2007), "On adjusting the learning rate in frequency domain echo cancellation
//!   with double-talk", IEEE Trans. ASLP 15(3), 1030–1034 (SpeexDSP's `mdf.c`).

use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::filter::{AdaptiveFilter, check_block};
use crate::{Error, Result};

/// How the gradient step is normalised by the input power; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Normalisation {
    /// Each frequency bin k gets the step μ/(Pₖ + ε): the input is whitened, coloured input
    /// (speech) converges faster.
    #[default]
    PerBin,
    /// One step μ/(P̄ + ε) for all bins, P̄ the mean of the Pₖ: the filter is the time-domain
    /// block NLMS, computed with FFTs.
    Scalar,
}

/// The partitioned-block frequency-domain NLMS (MDF) with overlap-save; see the
/// [module docs](self) for the equations.
#[derive(Clone)]
pub struct Pbfdaf {
    taps: usize,
    block: usize,
    partitions: usize,
    mu: f64,
    beta: f64,
    epsilon: f64,
    normalisation: Normalisation,
    adapting: bool,
    fft: Arc<dyn RealToComplex<f64>>,
    ifft: Arc<dyn ComplexToReal<f64>>,
    /// The master copy of the weights, w₀ … w_{L−1}; `w_spec` is recomputed from it.
    weights: Vec<f64>,
    /// W_p, partition p at `p·(B + 1)`.
    w_spec: Vec<Complex<f64>>,
    /// The last P input-frame spectra, a ring: Xₘ₋ₚ at slot `(head + p) % P`.
    x_spec: Vec<Complex<f64>>,
    head: usize,
    /// Pₖ (per bin) or P̄ (in `power[0]`, scalar mode).
    power: Vec<f64>,
    primed: bool,
    /// x(mB − L) … x(mB − 1), then the current block's samples x(mB) … (`fill` of them).
    line: Vec<f64>,
    /// d of the current block.
    desired: Vec<f64>,
    fill: usize,
    // Scratch, sized at construction.
    time: Vec<f64>,
    freq: Vec<Complex<f64>>,
    err_spec: Vec<Complex<f64>>,
    scratch_fwd: Vec<Complex<f64>>,
    scratch_inv: Vec<Complex<f64>>,
    y_block: Vec<f64>,
    e_block: Vec<f64>,
}

impl fmt::Debug for Pbfdaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pbfdaf")
            .field("taps", &self.taps)
            .field("block", &self.block)
            .field("partitions", &self.partitions)
            .field("mu", &self.mu)
            .field("beta", &self.beta)
            .field("epsilon", &self.epsilon)
            .field("normalisation", &self.normalisation)
            .field("adapting", &self.adapting)
            .field("pending", &self.fill)
            .finish_non_exhaustive()
    }
}

fn invalid(name: &'static str, value: f64, valid: &'static str) -> Error {
    Error::InvalidParameter { name, value, valid }
}

impl Pbfdaf {
    /// A filter of `taps` = L taps in P = L/`block` partitions of B = `block` taps, FFT length
    /// 2B, step `mu` = μ; β = 0.9, ε = 1e-6, per-bin normalisation (change them with the
    /// `with_` methods). Makes the FFT plans and every buffer.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `block` is 0, `taps` is not a positive multiple of
    /// `block`, or `mu` is not in (0, 2) (NaN included).
    pub fn new(taps: usize, block: usize, mu: f64) -> Result<Self> {
        if block == 0 {
            return Err(invalid("block", 0.0, "at least 1"));
        }
        if taps == 0 || !taps.is_multiple_of(block) {
            return Err(invalid("taps", taps as f64, "a positive multiple of the block length"));
        }
        if !(mu > 0.0 && mu < 2.0) {
            return Err(invalid("mu", mu, "in (0, 2)"));
        }
        let partitions = taps / block;
        let n = 2 * block;
        let bins = block + 1;
        let mut planner = RealFftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(n);
        let ifft = planner.plan_fft_inverse(n);
        let scratch_fwd = fft.make_scratch_vec();
        let scratch_inv = ifft.make_scratch_vec();
        let zero = Complex::new(0.0, 0.0);
        Ok(Self {
            taps,
            block,
            partitions,
            mu,
            beta: 0.9,
            epsilon: 1e-6,
            normalisation: Normalisation::PerBin,
            adapting: true,
            fft,
            ifft,
            weights: vec![0.0; taps],
            w_spec: vec![zero; partitions * bins],
            x_spec: vec![zero; partitions * bins],
            head: 0,
            power: vec![0.0; bins],
            primed: false,
            line: vec![0.0; taps + block],
            desired: vec![0.0; block],
            fill: 0,
            time: vec![0.0; n],
            freq: vec![zero; bins],
            err_spec: vec![zero; bins],
            scratch_fwd,
            scratch_inv,
            y_block: vec![0.0; block],
            e_block: vec![0.0; block],
        })
    }

    /// Sets the power smoothing β of Pₖ ← β·Pₖ + (1 − β)·P·|Xₖ|² (0: the newest block only).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless 0 ≤ β < 1.
    pub fn with_beta(mut self, beta: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&beta) {
            return Err(invalid("beta", beta, "in [0, 1)"));
        }
        self.beta = beta;
        Ok(self)
    }

    /// Sets the regularisation ε of the step μ/(Pₖ + ε): it bounds the step in silent bins.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless ε is positive and finite.
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self> {
        if !(epsilon > 0.0 && epsilon.is_finite()) {
            return Err(invalid("epsilon", epsilon, "positive and finite"));
        }
        self.epsilon = epsilon;
        Ok(self)
    }

    /// Sets the normalisation: per bin (the default) or one scalar (block NLMS).
    #[must_use]
    pub fn with_normalisation(mut self, normalisation: Normalisation) -> Self {
        self.normalisation = normalisation;
        self
    }

    /// The block length B (also the latency of adaptation, in samples).
    pub fn block(&self) -> usize {
        self.block
    }

    /// The number of partitions P = L/B.
    pub fn partitions(&self) -> usize {
        self.partitions
    }

    /// The step μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The power smoothing β.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The regularisation ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The normalisation.
    pub fn normalisation(&self) -> Normalisation {
        self.normalisation
    }

    /// The number of samples of the current, incomplete block (0 … B − 1): processed for
    /// output, not yet adapted on.
    pub fn pending(&self) -> usize {
        self.fill
    }

    /// y(n) = Σ_k w_k x(n − k) for the pending sample at `line[taps + j]`.
    fn time_domain_output(&self, j: usize) -> f64 {
        let end = self.taps + j;
        // line[end − k] for k = 0 … L − 1, i.e. line[j + 1 ..= end] reversed.
        self.weights.iter().zip(self.line[j + 1..=end].iter().rev()).map(|(w, x)| w * x).sum()
    }

    /// Runs the complete block in `line[L..]`, `desired`: fills `y_block`, `e_block`, adapts.
    fn run_block(&mut self) {
        let (l, b, p_count) = (self.taps, self.block, self.partitions);
        let bins = b + 1;
        let n = 2 * b;
        let inv_n = 1.0 / n as f64;

        // Xₘ = F uₘ into the ring's new head.
        self.head = (self.head + p_count - 1) % p_count;
        self.time.copy_from_slice(&self.line[l - b..l + b]);
        let slot = self.head * bins;
        self.fft
            .process_with_scratch(
                &mut self.time,
                &mut self.x_spec[slot..slot + bins],
                &mut self.scratch_fwd,
            )
            .expect("FFT buffers sized at construction");

        // y = last B of F⁻¹ Σ_p Xₘ₋ₚ ⊙ W_p.
        let xs = &self.x_spec[slot..slot + bins];
        for ((acc, x), w) in self.freq.iter_mut().zip(xs).zip(&self.w_spec[..bins]) {
            *acc = x * w;
        }
        for p in 1..p_count {
            let xs = &self.x_spec[((self.head + p) % p_count) * bins..][..bins];
            let ws = &self.w_spec[p * bins..][..bins];
            for ((acc, x), w) in self.freq.iter_mut().zip(xs).zip(ws) {
                *acc += x * w;
            }
        }
        self.inverse_into_time();
        let outputs = self.y_block.iter_mut().zip(self.e_block.iter_mut());
        for ((y, e), (t, d)) in outputs.zip(self.time[b..].iter().zip(&self.desired)) {
            *y = t * inv_n;
            *e = d - *y;
        }

        // Pₖ ← β·Pₖ + (1 − β)·P·|Xₘ,ₖ|².
        let newest = &self.x_spec[slot..slot + bins];
        let scale = p_count as f64;
        let (beta, first) = (self.beta, !self.primed);
        let smooth = |old: f64, new: f64| if first { new } else { beta * old + (1.0 - beta) * new };
        match self.normalisation {
            Normalisation::PerBin => {
                for (pk, x) in self.power.iter_mut().zip(newest) {
                    *pk = smooth(*pk, scale * x.norm_sqr());
                }
            }
            Normalisation::Scalar => {
                // Mean over all N bins: bins 1 … B − 1 stand for two each (Hermitian symmetry).
                let inner: f64 = newest[1..b].iter().map(|x| x.norm_sqr()).sum();
                let mean = (newest[0].norm_sqr() + newest[b].norm_sqr() + 2.0 * inner) * inv_n;
                self.power[0] = smooth(self.power[0], scale * mean);
            }
        }
        self.primed = true;

        if !self.adapting {
            return;
        }

        // E = F [0_B; e].
        self.time[..b].fill(0.0);
        self.time[b..].copy_from_slice(&self.e_block);
        self.fft
            .process_with_scratch(&mut self.time, &mut self.err_spec, &mut self.scratch_fwd)
            .expect("FFT buffers sized at construction");
        // Fold μ/(Pₖ + ε) and the inverse transform's 1/N into E once for all partitions.
        let (mu, eps) = (self.mu, self.epsilon);
        match self.normalisation {
            Normalisation::PerBin => {
                for (e, pk) in self.err_spec.iter_mut().zip(&self.power) {
                    *e *= mu / (pk + eps) * inv_n;
                }
            }
            Normalisation::Scalar => {
                let s = mu / (self.power[0] + eps) * inv_n;
                for e in &mut self.err_spec {
                    *e *= s;
                }
            }
        }

        for p in 0..p_count {
            // φ_p = first B of F⁻¹ [conj(Xₘ₋ₚ) ⊙ E'] (the constraint drops the second half).
            let xs = &self.x_spec[((self.head + p) % p_count) * bins..][..bins];
            for ((g, x), e) in self.freq.iter_mut().zip(xs).zip(&self.err_spec) {
                *g = x.conj() * e;
            }
            self.inverse_into_time();
            // w_p ← w_p + φ_p, and [w_p; 0_B] into `time` for W_p ← F [w_p; 0_B].
            let (first, second) = self.time.split_at_mut(b);
            for (w, t) in self.weights[p * b..(p + 1) * b].iter_mut().zip(first) {
                *w += *t;
                *t = *w;
            }
            second.fill(0.0);
            self.fft
                .process_with_scratch(
                    &mut self.time,
                    &mut self.w_spec[p * bins..(p + 1) * bins],
                    &mut self.scratch_fwd,
                )
                .expect("FFT buffers sized at construction");
        }
    }

    /// `time` ← F⁻¹ `freq` (unnormalised); `freq` is clobbered.
    fn inverse_into_time(&mut self) {
        // A real signal's DC and Nyquist bins are real; rounding must not make them otherwise.
        let last = self.block;
        self.freq[0].im = 0.0;
        self.freq[last].im = 0.0;
        self.ifft
            .process_with_scratch(&mut self.freq, &mut self.time, &mut self.scratch_inv)
            .expect("FFT buffers sized at construction");
    }
}

impl AdaptiveFilter for Pbfdaf {
    fn taps(&self) -> usize {
        self.taps
    }

    /// The weights w₀ … w_{L−1}. They are kept in the time domain as the master copy (each
    /// block adds φ_p to w_p and transforms [w_p; 0_B] to W_p), so this is a copy; it equals
    /// the first half of F⁻¹ W_p for each partition p.
    fn weights_into(&self, out: &mut [f64]) -> Result<()> {
        if out.len() != self.taps {
            return Err(Error::LengthMismatch {
                what: "weights",
                expected: self.taps,
                got: out.len(),
            });
        }
        out.copy_from_slice(&self.weights);
        Ok(())
    }

    /// Complete blocks of B samples run in the frequency domain; a trailing partial block is
    /// kept pending, its outputs computed in the time domain from the current weights (see the
    /// [module docs](crate::fdaf#blocks-that-do-not-fill)).
    fn process_into(
        &mut self,
        reference: &[f64],
        desired: &[f64],
        output: &mut [f64],
        error: &mut [f64],
    ) -> Result<()> {
        check_block(reference, desired, output, error)?;
        let (l, b) = (self.taps, self.block);
        let mut i = 0;
        while i < reference.len() {
            let start = self.fill;
            let take = (b - start).min(reference.len() - i);
            self.line[l + start..l + start + take].copy_from_slice(&reference[i..i + take]);
            self.desired[start..start + take].copy_from_slice(&desired[i..i + take]);
            if start + take == b {
                self.run_block();
                output[i..i + take].copy_from_slice(&self.y_block[start..]);
                error[i..i + take].copy_from_slice(&self.e_block[start..]);
                self.line.copy_within(b.., 0);
                self.fill = 0;
            } else {
                for j in 0..take {
                    let y = self.time_domain_output(start + j);
                    output[i + j] = y;
                    error[i + j] = desired[i + j] - y;
                }
                self.fill = start + take;
            }
            i += take;
        }
        Ok(())
    }

    fn set_adapting(&mut self, adapting: bool) {
        self.adapting = adapting;
    }

    fn is_adapting(&self) -> bool {
        self.adapting
    }

    fn reset(&mut self) {
        let zero = Complex::new(0.0, 0.0);
        self.weights.fill(0.0);
        self.w_spec.fill(zero);
        self.x_spec.fill(zero);
        self.head = 0;
        self.power.fill(0.0);
        self.primed = false;
        self.line.fill(0.0);
        self.desired.fill(0.0);
        self.fill = 0;
    }
}
