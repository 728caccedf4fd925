use descent_signal::metrics::*;
use descent_signal::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let t: f64 = args[1].parse().unwrap();
    let gdb: f64 = args[2].parse().unwrap(); let s = EchoScenario::builder().echo_gain_db(gdb).double_talk(4.0, 1.5).build().unwrap();
    let mut g = Geigel::new(t, 256, 480).unwrap();
    let flags: Vec<bool> = s.far_end.iter().zip(&s.microphone).map(|(&x, &d)| g.detect(x, d)).collect();
    let (a, b) = (64000, 88000);
    let dt = flags[a..b].iter().filter(|&&f| f).count() as f64 / (b - a) as f64;
    // far-end-only: where far end active (frame power) outside segment
    let fa = flags[16000..a].iter().filter(|&&f| f).count() as f64 / (a - 16000) as f64;
    println!("T {t}: detect in DT {dt:.3}, flagged in 1..4 s {fa:.3}");
    for use_dtd in [false, true] {
        let mut f = Nlms::new(256, 0.5, 1.0).unwrap();
        let mut g = Geigel::new(t, 256, 480).unwrap();
        let (_, e) = cancel_echo(&mut f, &s.far_end[..b], &s.microphone[..b], if use_dtd { Some(&mut g) } else { None }).unwrap();
        let mut f2 = Nlms::new(256, 0.5, 1.0).unwrap();
        let mut g2 = Geigel::new(t, 256, 480).unwrap();
        let _ = cancel_echo(&mut f2, &s.far_end[..a], &s.microphone[..a], if use_dtd { Some(&mut g2) } else { None }).unwrap();
        let _ = e;
        println!("dtd {use_dtd}: misalign before DT {:.2} after DT {:.2}", misalignment_db(&f2.weights(), &s.room), misalignment_db(&f.weights(), &s.room));
    }
}
