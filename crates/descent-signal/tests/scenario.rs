//! The two set-ups, the Geigel detector on them, and `cancel_echo` with and without it.

use approx::assert_abs_diff_eq;
use descent_signal::metrics::misalignment_db;
use descent_signal::scenario::convolve;
use descent_signal::{
    AdaptiveFilter, EchoScenario, Error, Geigel, Nlms, NoiseColour, NoiseScenario, cancel_echo,
    speech,
};
use rand::SeedableRng as _;
use rand_distr::{Distribution, StandardNormal};

fn power(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64
}

#[test]
fn echo_defaults_are_as_documented() {
    let s = EchoScenario::builder().build().unwrap();
    let n = speech().samples.len();
    assert_eq!(s.rate, 16_000);
    assert_eq!(s.far_end, speech().samples);
    for v in [&s.microphone, &s.near_end, &s.echo, &s.noise] {
        assert_eq!(v.len(), n);
    }
    assert_eq!(s.room.len(), 256);
    // Unit-energy room at −10 dB.
    assert_abs_diff_eq!(s.room.iter().map(|h| h * h).sum::<f64>(), 0.1, epsilon = 1e-12);
    // echo = h ∗ x, checked against the sum at a few samples.
    for i in [0, 1, 255, 256, 50_000, n - 1] {
        let direct: f64 = (0..256.min(i + 1)).map(|k| s.room[k] * s.far_end[i - k]).sum();
        assert_abs_diff_eq!(s.echo[i], direct, epsilon = 1e-12);
    }
    assert!(s.near_end.iter().all(|&v| v == 0.0), "no near end by default");
    assert_abs_diff_eq!(10.0 * (power(&s.echo) / power(&s.noise)).log10(), 30.0, epsilon = 1e-9);
    for i in 0..n {
        assert_eq!(s.microphone[i], s.echo[i] + s.near_end[i] + s.noise[i]);
    }
    assert_eq!(s, EchoScenario::builder().build().unwrap(), "seeded: the same every time");
    let other =
        EchoScenario::builder().room(256, 0.05, 0, 7).noise_below_echo_db(20.0, 9).build().unwrap();
    assert_ne!(other.room, s.room);
    assert_abs_diff_eq!(
        10.0 * (power(&other.echo) / power(&other.noise)).log10(),
        20.0,
        epsilon = 1e-9
    );
}

#[test]
fn double_talk_segment_and_errors() {
    let s = EchoScenario::builder().double_talk(4.0, 1.5).near_end_db(-3.0).build().unwrap();
    let (a, b) = (64_000, 88_000);
    assert!(s.near_end[..a].iter().chain(&s.near_end[b..]).all(|&v| v == 0.0));
    assert_abs_diff_eq!(
        10.0 * (power(&s.near_end[a..b]) / power(&s.echo)).log10(),
        -3.0,
        epsilon = 1e-9
    );
    // The talker is the speech 3.5 s on, scaled.
    let talker = speech().samples;
    let ratio = s.near_end[a + 100] / talker[(a + 100 + 56_000) % talker.len()];
    assert_abs_diff_eq!(
        s.near_end[a + 2000],
        ratio * talker[(a + 2000 + 56_000) % talker.len()],
        epsilon = 1e-12
    );

    let too_long = EchoScenario::builder().double_talk(6.0, 2.0).build().unwrap_err();
    assert!(matches!(too_long, Error::InvalidParameter { .. }), "{too_long:?}");
    assert!(EchoScenario::builder().double_talk(-1.0, 2.0).build().is_err());
    assert!(EchoScenario::builder().room(0, 0.05, 0, 1).build().is_err());
    assert!(EchoScenario::builder().echo_gain_db(f64::NAN).build().is_err());
    assert!(EchoScenario::builder().far_end(vec![], 16_000).build().is_err());
    assert!(matches!(
        EchoScenario::builder().far_end(vec![0.0, f64::INFINITY], 16_000).build(),
        Err(Error::NonFinite { index: 1, .. })
    ));
}

#[test]
fn noise_defaults_are_as_documented() {
    let s = NoiseScenario::builder().build().unwrap();
    assert_eq!(s.speech, speech().samples);
    assert_eq!(s.path.len(), 64);
    let n = s.speech.len();
    assert_eq!(s.reference.len(), n);
    let through = convolve(&s.path, &s.reference);
    for i in 0..n {
        assert_abs_diff_eq!(s.noise_in_primary[i], through[i], epsilon = 1e-12);
        assert_eq!(s.primary[i], s.speech[i] + s.noise_in_primary[i]);
    }
    assert_abs_diff_eq!(
        10.0 * (power(&s.speech) / power(&s.noise_in_primary)).log10(),
        0.0,
        epsilon = 1e-9
    );
    assert_eq!(s, NoiseScenario::builder().build().unwrap());

    // AR(1) noise: lag-one correlation ≈ a.
    let c = NoiseScenario::builder()
        .noise(NoiseColour::Ar1(0.9), 5)
        .input_snr_db(10.0)
        .build()
        .unwrap();
    let u = &c.reference;
    let r1 = u.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / u.iter().map(|v| v * v).sum::<f64>();
    assert!((r1 - 0.9).abs() < 0.01, "lag-one correlation {r1}");
    assert_abs_diff_eq!(
        10.0 * (power(&c.speech) / power(&c.noise_in_primary)).log10(),
        10.0,
        epsilon = 1e-9
    );
    assert!(NoiseScenario::builder().noise(NoiseColour::Ar1(1.0), 5).build().is_err());
    assert!(NoiseScenario::builder().path(64, -1.0, 1).build().is_err());
}

/// Far end = white noise, echo 20 dB down: the echo never reaches half the far-end peak, so a
/// far-end-only stretch raises no alarm; a near-end talker as loud as the far end does.
#[test]
fn geigel_separates_far_end_only_from_double_talk() {
    let rate = 16_000;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let far: Vec<f64> = (0..4 * rate)
        .map(|_| 0.1 * Distribution::<f64>::sample(&StandardNormal, &mut rng))
        .collect();
    let s = EchoScenario::builder()
        .far_end(far, 16_000)
        .echo_gain_db(-20.0)
        .double_talk(2.0, 1.0)
        .near_end_db(20.0) // relative to the echo: as loud as the far end
        .build()
        .unwrap();
    let mut g = Geigel::default();
    let flags: Vec<bool> =
        s.far_end.iter().zip(&s.microphone).map(|(&x, &d)| g.detect(x, d)).collect();
    let (a, b) = (2 * rate, 3 * rate);
    assert_eq!(flags[..a].iter().filter(|&&f| f).count(), 0, "far end only: no false alarm");
    // 10 ms frames where the near end is louder than the far end: double talk is declared.
    let far_power = power(&s.far_end);
    let loud: Vec<usize> =
        (a..b).step_by(160).filter(|&i| power(&s.near_end[i..i + 160]) > far_power).collect();
    let flagged = |i: usize| flags[i..i + 160].iter().filter(|&&f| f).count();
    let hit: usize = loud.iter().map(|&i| flagged(i)).sum();
    eprintln!(
        "{} loud frames, {:.3} of their samples flagged; {:.3} of the segment",
        loud.len(),
        hit as f64 / (160 * loud.len()) as f64,
        flags[a..b].iter().filter(|&&f| f).count() as f64 / (b - a) as f64
    );
    assert!(loud.len() > 20, "{} frames", loud.len());
    assert!(
        hit as f64 >= 0.95 * (160 * loud.len()) as f64,
        "{hit} of the samples of {} loud frames flagged",
        loud.len()
    );
    // After the talker stops and the hangover ends, the alarms stop.
    let settled = b + 480 + 256;
    assert_eq!(flags[settled..].iter().filter(|&&f| f).count(), 0);
}

/// On speech with a near-end talker at 4–5.5 s, NLMS without a detector is dragged off the room
/// response; with the Geigel detector it keeps most of what it learned.
#[test]
fn cancel_echo_freezes_adaptation_in_double_talk() {
    let s = EchoScenario::builder().double_talk(4.0, 1.5).build().unwrap();
    let (a, b) = (64_000, 88_000);
    let run = |end: usize, dtd: bool| {
        let mut f = Nlms::new(256, 0.5, 1.0).unwrap();
        let mut g = Geigel::default();
        let (y, e) =
            cancel_echo(&mut f, &s.far_end[..end], &s.microphone[..end], dtd.then_some(&mut g))
                .unwrap();
        assert!(f.is_adapting(), "adapting state restored");
        for i in (0..end).step_by(997) {
            assert_abs_diff_eq!(y[i] + e[i], s.microphone[i], epsilon = 1e-12);
        }
        misalignment_db(&f.weights(), &s.room)
    };
    let (before_free, before_dtd) = (run(a, false), run(a, true));
    let (after_free, after_dtd) = (run(b, false), run(b, true));
    eprintln!(
        "misalignment before DT {before_free:.2} / {before_dtd:.2} dB, after {after_free:.2} / {after_dtd:.2} dB (free / DTD)"
    );
    assert!(
        before_free < -12.0 && before_dtd < before_free + 1.0,
        "the detector costs little before"
    );
    assert!(after_dtd < after_free - 3.0, "the detector protects the filter in double talk");

    let mut f = Nlms::new(8, 0.5, 1.0).unwrap();
    let e = cancel_echo(&mut f, &[0.0; 10], &[0.0; 9], None).unwrap_err();
    assert!(matches!(e, Error::LengthMismatch { expected: 10, got: 9, .. }));
    let mut g = Geigel::default();
    let e = cancel_echo(&mut f, &[0.0, f64::NAN], &[0.0; 2], Some(&mut g)).unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }));
    assert!(f.is_adapting());
}
