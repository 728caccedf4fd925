"""scikit-image's deconvolution on issue 9's reference set-up, and its Richardson–Lucy speed.

Writes bench/peers/skimage_deconvolution.json (run with .venv-skimage/bin/python, made by
setup-skimage.sh). Everything except the timings is deterministic. `--no-speed` skips the timing;
`--speed-only` runs only the timing and prints it as one JSON line (writing no file).

The reference set-up (issue 9's words, made exact here):

    M13     ../shared/data/m13.fits read with numpy (FITS primary HDU: 2880-byte header blocks,
            BITPIX 16 big-endian, value = BZERO + BSCALE·stored; neither keyword is present, so
            0 and 1). Orientation: array[i, j] = FITS pixel (x = j + 1, y = i + 1), i.e. row 0 is
            the first row stored in the file (NAXIS1 = 300 columns per row), the same array as
            astropy's fits.getdata, no flip. 300 × 300.
    truth   t = max(M13 − median(M13), 0) / max(...)   (peak exactly 1)
    PSF     Gaussian σ = 2 px on a 25 × 25 grid, centre at (12, 12), exp(−r²/2σ²) normalised to
            sum 1. Moffat variant: FWHM 3.9 px, β = 2.5, (1 + r²/α²)^(−β) with
            α = FWHM / (2·sqrt(2^(1/β) − 1)), 25 × 25, sum 1.
    blur    periodic (circular) convolution via FFT: the PSF is placed in a 300 × 300 zero array
            with its centre moved to (0, 0) (np.roll by −12 on both axes), b = irfft2(rfft2(t) ·
            rfft2(psf_pad)).
    noise   rng = numpy.random.default_rng(SEED); y = rng.poisson(2000·max(b, 0)) / 2000
            + rng.normal(0, 2/2000, shape)  (Poisson first, then read noise, from one generator).

The methods:
    RL        skimage.restoration.richardson_lucy(max(y, 0), psf, num_iter=k, clip=False),
              k = 1 … 60 (one call per k; skimage starts from 0.5 everywhere and convolves with
              scipy.signal.convolve(mode='same'), i.e. zero-padded borders, not periodic). The
              observed image is clipped at 0 first: on y itself (23% negative pixels from the
              read noise) RL's multiplicative update goes negative and diverges (recorded too,
              as richardson_lucy_unclipped_input). Also recorded: the same RL in numpy with the
              periodic convolution of the forward model (richardson_lucy_periodic_numpy).
    Landweber numpy: x ← max(0, x + τ·Hᵀ(y − Hx)), H the periodic convolution above, τ = 1/‖H‖²
              with ‖H‖ = max|OTF| (= 1 for a PSF of sum 1), x₀ = 0 and (a second curve) x₀ = y,
              1 … 200 iterations.
    Wiener    skimage.restoration.wiener(y, psf, balance, clip=False) (its default regulariser
              is the Laplacian, periodic), balance on the grid 10^(−4 … 0) in steps of 10^0.25.
    unsupervised_wiener(y, psf, clip=False, rng=SEED) (a Gibbs sampler, seeded).
PSNR = skimage.metrics.peak_signal_noise_ratio(t, x, data_range=1); SSIM =
skimage.metrics.structural_similarity(t, x, data_range=1) (defaults: 7 × 7 uniform window).

Timing: a 1024 × 1024 image made from M13's truth tiled 4 × 4 (1200 × 1200) and cropped to the
first 1024 rows and columns, blurred periodically with the σ = 2 Gaussian PSF and made noisy as
above with default_rng(SEED_SPEED), clipped at 0; richardson_lucy(img, psf, num_iter=100, clip=False) timed
with time.perf_counter, one warm-up call then the median of 3, one thread (OMP/MKL/OPENBLAS/
NUMEXPR_NUM_THREADS=1 set before numpy is imported; scipy.fft uses one worker by default).
"""

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.signal  # noqa: E402
import skimage  # noqa: E402
from skimage.metrics import peak_signal_noise_ratio, structural_similarity  # noqa: E402
from skimage.restoration import richardson_lucy, unsupervised_wiener, wiener  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FITS = os.path.join(HERE, "..", "..", "..", "shared", "data", "m13.fits")
SEED = 20261204
SEED_MOFFAT = 20261205
SEED_SPEED = 20261206
PHOTONS = 2000.0
READ_NOISE = 2.0 / 2000.0
RL_MAX = 60
LW_MAX = 200


def read_fits(path):
    """The primary HDU of a FITS file as a float64 array (rows in file order)."""
    with open(path, "rb") as f:
        raw = f.read()
    cards = {}
    off = 0
    done = False
    while not done:
        block = raw[off : off + 2880]
        off += 2880
        for i in range(36):
            card = block[80 * i : 80 * i + 80].decode("ascii")
            key = card[:8].strip()
            if key == "END":
                done = True
                break
            if card[8:10] == "= ":
                cards[key] = card[10:].split("/")[0].strip()
    assert int(cards["BITPIX"]) == 16 and int(cards["NAXIS"]) == 2
    n1, n2 = int(cards["NAXIS1"]), int(cards["NAXIS2"])
    data = np.frombuffer(raw, dtype=">i2", count=n1 * n2, offset=off).reshape(n2, n1)
    bzero = float(cards.get("BZERO", 0.0))
    bscale = float(cards.get("BSCALE", 1.0))
    return bzero + bscale * data.astype(np.float64), cards


def gaussian_psf(sigma=2.0, size=25):
    c = size // 2
    y, x = np.mgrid[:size, :size] - c
    p = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    return p / p.sum()


def moffat_psf(fwhm=3.9, beta=2.5, size=25):
    c = size // 2
    alpha = fwhm / (2 * np.sqrt(2 ** (1 / beta) - 1))
    y, x = np.mgrid[:size, :size] - c
    p = (1 + (x * x + y * y) / (alpha * alpha)) ** (-beta)
    return p / p.sum(), alpha


def otf(psf, shape):
    pad = np.zeros(shape)
    pad[: psf.shape[0], : psf.shape[1]] = psf
    pad = np.roll(pad, (-(psf.shape[0] // 2), -(psf.shape[1] // 2)), axis=(0, 1))
    return np.fft.rfft2(pad)


def conv_periodic(x, h_otf):
    return np.fft.irfft2(np.fft.rfft2(x) * h_otf, s=x.shape)


def corr_periodic(x, h_otf):
    return np.fft.irfft2(np.fft.rfft2(x) * np.conj(h_otf), s=x.shape)


def noisy(b, seed):
    rng = np.random.default_rng(seed)
    return rng.poisson(PHOTONS * np.maximum(b, 0.0)) / PHOTONS + rng.normal(0.0, READ_NOISE, b.shape)


def summary(a):
    """Identifies an array: sha256 of its little-endian f64 bytes (row-major), and statistics."""
    a = np.ascontiguousarray(a, dtype="<f8")
    return {
        "shape": list(a.shape),
        "sha256_f64le": hashlib.sha256(a.tobytes()).hexdigest(),
        "sum": float(a.sum()),
        "sum_sq": float((a * a).sum()),
        "min": float(a.min()),
        "max": float(a.max()),
        "corner_3x3": a[:3, :3].tolist(),
    }


def psnr(t, x):
    return float(peak_signal_noise_ratio(t, x, data_range=1.0))


def ssim(t, x):
    return float(structural_similarity(t, x, data_range=1.0))


def r(v, d=4):
    return round(float(v), d)


def rl_curve(y, psf, truth, with_ssim=True):
    ps, ss = [], []
    for k in range(1, RL_MAX + 1):
        x = richardson_lucy(y, psf, num_iter=k, clip=False)
        ps.append(r(psnr(truth, x)))
        if with_ssim:
            ss.append(r(ssim(truth, x), 5))
    kb = int(np.argmax(ps)) + 1
    out = {"iterations": f"1..{RL_MAX}", "psnr_db": ps, "best_k": kb, "best_psnr_db": ps[kb - 1]}
    if with_ssim:
        ks = int(np.argmax(ss)) + 1
        out.update(ssim=ss, ssim_at_best_k=ss[kb - 1], best_ssim_k=ks, best_ssim=ss[ks - 1])
    return out


def rl_periodic_curve(y, h_otf, truth):
    x = np.full(y.shape, 0.5)
    ps = []
    for _ in range(RL_MAX):
        x = x * corr_periodic(y / (conv_periodic(x, h_otf) + 1e-12), h_otf)
        ps.append(r(psnr(truth, x)))
    kb = int(np.argmax(ps)) + 1
    return {"iterations": f"1..{RL_MAX}", "psnr_db": ps, "best_k": kb, "best_psnr_db": ps[kb - 1]}


def landweber_curve(y, h_otf, truth, x0):
    tau = 1.0 / float(np.max(np.abs(h_otf)) ** 2)
    x = x0.copy()
    ps = []
    for _ in range(LW_MAX):
        x = np.maximum(0.0, x + tau * corr_periodic(y - conv_periodic(x, h_otf), h_otf))
        ps.append(r(psnr(truth, x)))
    kb = int(np.argmax(ps)) + 1
    return {
        "tau": tau,
        "iterations": f"1..{LW_MAX}",
        "psnr_db": ps,
        "best_k": kb,
        "best_psnr_db": ps[kb - 1],
        "psnr_db_at_100": ps[99],
        "psnr_db_at_200": ps[199],
        "ssim_at_200": r(ssim(truth, x), 5),
    }


def reference():
    m13, cards = read_fits(FITS)
    med = float(np.median(m13))
    t = np.maximum(m13 - med, 0.0)
    t /= t.max()
    psf = gaussian_psf()
    h = otf(psf, t.shape)
    b = conv_periodic(t, h)
    y = noisy(b, SEED)

    out = {
        "m13": {"bitpix": 16, "naxis1": 300, "naxis2": 300, "bzero": 0.0, "bscale": 1.0,
                "median": med, "max": float(m13.max()), "min": float(m13.min()),
                "orientation": "array[i, j] = FITS pixel (x = j+1, y = i+1); row 0 = first row in the file (astropy getdata order, no flip)"},
        "truth": summary(t),
        "psf_gaussian": {"sigma": 2.0, "size": 25, **summary(psf)},
        "blurred": summary(b),
        "observed": summary(y),
        "observed_psnr_db": r(psnr(t, y)),
        "observed_ssim": r(ssim(t, y), 5),
        "max_abs_otf": float(np.max(np.abs(h))),
    }
    yc = np.maximum(y, 0.0)
    out["observed_clipped_at_0"] = summary(yc)
    out["richardson_lucy"] = {
        "input": "max(y, 0): the observed image clipped at 0 (RL's multiplicative update needs y >= 0)",
        **rl_curve(yc, psf, t),
    }
    out["richardson_lucy_unclipped_input"] = {
        "input": "y as observed (23% of its pixels are negative from the read noise)",
        **rl_curve(y, psf, t, with_ssim=False),
    }
    out["richardson_lucy_periodic_numpy"] = {
        "input": "max(y, 0)",
        "what": "numpy RL with the periodic convolution of the forward model: x0 = 0.5, x <- x * H^T(y / (Hx + 1e-12))",
        **rl_periodic_curve(yc, h, t),
    }
    out["landweber_positive"] = {
        "x0_zero": landweber_curve(y, h, t, np.zeros_like(y)),
        "x0_observed": landweber_curve(y, h, t, y),
    }
    grid = [10.0 ** e for e in np.arange(-4.0, 0.001, 0.25)]
    wp = [r(psnr(t, wiener(y, psf, bal, clip=False))) for bal in grid]
    ib = int(np.argmax(wp))
    xw = wiener(y, psf, grid[ib], clip=False)
    out["wiener"] = {"regulariser": "skimage default (Laplacian)", "balance_grid": [float(g) for g in grid],
                     "psnr_db": wp, "best_balance": float(grid[ib]), "best_psnr_db": wp[ib],
                     "ssim_at_best": r(ssim(t, xw), 5)}
    xu, chains = unsupervised_wiener(y, psf, clip=False, rng=SEED)
    out["unsupervised_wiener"] = {"rng": SEED, "psnr_db": r(psnr(t, xu)), "ssim": r(ssim(t, xu), 5),
                                  "gibbs_iterations": len(chains["noise"]),
                                  "noise_precision_last": float(chains["noise"][-1]),
                                  "prior_precision_last": float(chains["prior"][-1])}

    mof, alpha = moffat_psf()
    hm = otf(mof, t.shape)
    bm = conv_periodic(t, hm)
    ym = noisy(bm, SEED_MOFFAT)
    out["moffat"] = {"fwhm": 3.9, "beta": 2.5, "alpha": float(alpha), "size": 25, "seed": SEED_MOFFAT,
                     "psf": summary(mof), "blurred": summary(bm), "observed": summary(ym),
                     "observed_psnr_db": r(psnr(t, ym)),
                     "richardson_lucy": {"input": "max(y, 0)", **rl_curve(np.maximum(ym, 0.0), mof, t, with_ssim=False)},
                     "richardson_lucy_unclipped_input": rl_curve(ym, mof, t, with_ssim=False)}
    return t, out


def speed(t):
    n = 1024
    big = np.tile(t, (4, 4))[:n, :n].copy()
    psf = gaussian_psf()
    y = np.maximum(noisy(conv_periodic(big, otf(psf, big.shape)), SEED_SPEED), 0.0)
    method = scipy.signal.choose_conv_method(y, psf, mode="same")
    richardson_lucy(y, psf, num_iter=100, clip=False)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        x = richardson_lucy(y, psf, num_iter=100, clip=False)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    # One 'same' convolution of each kind, to say what the 'auto' choice costs.
    conv_t = {}
    for m in ("fft", "direct"):
        scipy.signal.convolve(y, psf, mode="same", method=m)
        t0 = time.perf_counter()
        scipy.signal.convolve(y, psf, mode="same", method=m)
        conv_t[m] = time.perf_counter() - t0
    return {
        "image": "M13 truth tiled 4x4, cropped to rows/cols 0..1023, periodic sigma=2 Gaussian blur, Poisson(2000)+read noise 2/2000, clipped at 0",
        "seed": SEED_SPEED,
        "observed": summary(y),
        "psf": "gaussian sigma=2, 25x25",
        "call": "skimage.restoration.richardson_lucy(y, psf, num_iter=100, clip=False)",
        "convolution": "scipy.signal.convolve(mode='same', method='auto'), 2 per iteration",
        "auto_method_chosen": method,
        "one_convolution_s": conv_t,
        "threads": 1,
        "warmup_calls": 1,
        "times_s": times,
        "median_s": med,
        "per_iteration_ms": med / 100 * 1e3,
        "pixel_iterations_per_s": n * n * 100 / med,
        "result": {"sum": float(x.sum()), "min": float(x.min()), "max": float(x.max())},
    }


def truth():
    """The issue's truth t = max(M13 − median, 0) / max(...), as reference() builds it."""
    m13, _ = read_fits(FITS)
    t = np.maximum(m13 - float(np.median(m13)), 0.0)
    return t / t.max()


def main():
    if "--speed-only" in sys.argv:
        # only the timing, as one JSON line on stdout (skimage_deconvolution.json is untouched);
        # bench/peers/deconvolution_speed.sh runs this next to descent's rl_speed example
        s = speed(truth())
        s["versions"] = {"python": platform.python_version(), "numpy": np.__version__,
                         "scipy": scipy.__version__, "scikit-image": skimage.__version__}
        print(json.dumps(s, ensure_ascii=False))
        return
    quick = "--no-speed" in sys.argv
    t, ref = reference()
    doc = {
        "generated_by": "bench/peers/skimage_deconvolution.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "scikit-image": skimage.__version__,
                     "platform": platform.platform(), "cpu": platform.processor() or platform.machine()},
        "seeds": {"reference": SEED, "moffat": SEED_MOFFAT, "speed": SEED_SPEED},
        "recipe": __doc__.strip().split("\n\n", 1)[1],
        "reference": ref,
    }
    if not quick:
        doc["speed"] = speed(t)
        try:
            doc["speed"]["loadavg"] = list(os.getloadavg())
        except OSError:
            pass
    with open(os.path.join(HERE, "skimage_deconvolution.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    rl = ref["richardson_lucy"]
    lw = ref["landweber_positive"]
    ru = ref["richardson_lucy_unclipped_input"]
    print(f"RL on unclipped y: best {ru['best_psnr_db']} dB at k={ru['best_k']}, at 30 {ru['psnr_db'][29]} dB; "
          f"periodic numpy RL best {ref['richardson_lucy_periodic_numpy']['best_psnr_db']} dB at k={ref['richardson_lucy_periodic_numpy']['best_k']}")
    print(f"RL best {rl['best_psnr_db']} dB at k={rl['best_k']} (SSIM {rl['ssim_at_best_k']}); "
          f"at 30: {rl['psnr_db'][29]} dB")
    print(f"Landweber x0=0: at 100 {lw['x0_zero']['psnr_db_at_100']} dB, best {lw['x0_zero']['best_psnr_db']} @ {lw['x0_zero']['best_k']}; "
          f"x0=y: at 100 {lw['x0_observed']['psnr_db_at_100']} dB")
    print(f"Wiener best {ref['wiener']['best_psnr_db']} dB (balance {ref['wiener']['best_balance']}); "
          f"unsupervised {ref['unsupervised_wiener']['psnr_db']} dB")
    print(f"Moffat RL best {ref['moffat']['richardson_lucy']['best_psnr_db']} dB at k={ref['moffat']['richardson_lucy']['best_k']}")
    if not quick:
        s = doc["speed"]
        print(f"speed: median {s['median_s']:.3f} s for 100 iterations ({s['auto_method_chosen']}), "
              f"{s['pixel_iterations_per_s']:.3e} pixel-iterations/s")


if __name__ == "__main__":
    main()
