//! Defects found by `descent bench soak`, each pinned by the report field it broke.

use descent::expr::Expression;
use descent::{AutoDiff, GradientDescent, Options, ProjectedGradient, Status, minimize};

#[test]
fn grad_norm_of_a_gradient_whose_squares_overflow_is_finite() {
    // Soak seed 10347 and ~250 others in 180,000 runs: |∂f/∂xᵢ| > 10¹⁵⁴ made Σ gᵢ² overflow,
    // and reports said grad_norm = ∞ (null in JSON) with every component finite.
    // f = 3e200·x − 4e200·y: ∇f = (3e200, −4e200) everywhere, ‖∇f‖₂ = 5e200.
    let f = AutoDiff::new(Expression::parse("3e200*x - 4e200*y").unwrap());
    let options = Options { max_iter: 2, unbounded_value: f64::NEG_INFINITY, ..Options::default() };
    for max_iter in [0, 2] {
        // max_iter 0: the norm at x₀ (the driver's first measure); 2: after steps (its fused
        // step pass).
        let options = Options { max_iter, ..options.clone() };
        let report =
            minimize(&f, &[0.0, 0.0], GradientDescent::new(1e-300).unwrap(), &options).unwrap();
        assert_eq!(report.status, Status::MaxIterations);
        assert_eq!(report.iterations, max_iter);
        assert!((report.grad_norm - 5e200).abs() <= 4.0 * f64::EPSILON * 5e200, "{report:?}");
    }
    // The bounded methods' measure ‖P(x − ∇f) − x‖₂ in an unbounded box is the same ‖∇f‖₂.
    let method = ProjectedGradient::new(descent::Bounds::unbounded(2));
    let report = minimize(&f, &[0.0, 0.0], method, &Options { max_iter: 0, ..options }).unwrap();
    assert!((report.grad_norm - 5e200).abs() <= 4.0 * f64::EPSILON * 5e200, "{report:?}");
}
