use descent_signal::metrics::*;
use descent_signal::*;
use std::time::Instant;
fn main() {
    let s = EchoScenario::builder().build().unwrap();
    let n = s.microphone.len();
    let tail = 3 * s.rate as usize;
    let pe: f64 = s.echo[n - tail..].iter().map(|x| x * x).sum();
    let pn: f64 = s.noise[n - tail..].iter().map(|x| x * x).sum();
    println!("n {n} cap {:.2} dB", 10.0 * (1.0 + pe / pn).log10());
    let farpk = s.far_end.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let echopk = s.echo.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    println!("peak far {farpk:.3} echo {echopk:.3}");
    let args: Vec<String> = std::env::args().collect();
    let which = args[1].as_str();
    let p: f64 = args[2].parse().unwrap();
    let t = Instant::now();
    let (_, e) = match which {
        "nlms" => { let eps: f64 = args[3].parse().unwrap(); let mut f = Nlms::new(256, p, eps).unwrap(); cancel_echo(&mut f, &s.far_end, &s.microphone, None).unwrap() }
        "rls" => { let m: usize = args[3].parse().unwrap(); let mut f = Rls::new(256, p, 1e-2).unwrap(); cancel_echo(&mut f, &s.far_end[..m], &s.microphone[..m], None).unwrap() }
        _ => panic!(),
    };
    let m = e.len();
    let r: Vec<f64> = (0..m).map(|i| e[i] - s.noise[i] - s.near_end[i]).collect();
    println!("residual-echo ERLE tail3s {:.2} dB", steady_state_erle_db(&s.echo[..m], &r, s.rate, 3.0));
    println!("{which} {p}: {:.2} s, ERLE tail3s {:.2} dB, ERLE tail1s {:.2}, t20 {:?}", t.elapsed().as_secs_f64(),
      steady_state_erle_db(&s.microphone[..m], &e, s.rate, 3.0), steady_state_erle_db(&s.microphone[..m], &e, s.rate, 1.0),
      time_to_erle_db(&erle_db_over_time(&s.microphone[..m], &e, 320), 320, s.rate, 20.0));
}
