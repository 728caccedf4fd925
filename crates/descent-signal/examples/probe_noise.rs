use descent_signal::metrics::*;
use descent_signal::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mu: f64 = args[1].parse().unwrap();
    let colour = if args.len() > 2 { NoiseColour::Ar1(args[2].parse().unwrap()) } else { NoiseColour::White };
    let s = NoiseScenario::builder().noise(colour, 4).build().unwrap();
    let mut f = Nlms::new(64, mu, 1.0).unwrap();
    let (_, e) = f.process(&s.reference, &s.primary).unwrap();
    let k = s.rate as usize;
    println!("mu {mu}: in SNR {:.2}, SNR impr all {:.2}, after 1 s {:.2}, misalign {:.2}", snr_db(&s.speech, &s.primary),
      snr_improvement_db(&s.speech, &s.primary, &e), snr_improvement_db(&s.speech[k..], &s.primary[k..], &e[k..]),
      misalignment_db(&f.weights(), &s.path));
}
