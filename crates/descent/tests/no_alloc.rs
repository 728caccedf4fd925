//! After set-up, an iteration of the gradient-descent loop and a step of an optimizer allocate
//! nothing: checked with a global allocator that counts, per thread, so that tests running in
//! parallel (and the test harness itself) do not see each other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use descent::{
    AutoDiff, Bfgs, DualFunction, GradientDescent, Hessian, HessianMatrix, HessianStructure, Lbfgs,
    Method, Newton, Objective, Options, Status, minimize,
};
use descent::{HessianVectorProduct, NewtonCg, TrustRegion};
use num_dual::DualNum;

struct Counting;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down may still free or allocate.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

/// Allocations made by this thread so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// ½·Σ i·xᵢ²: allocation-free value and gradient.
struct Bowl(usize);

impl Objective for Bowl {
    fn dim(&self) -> usize {
        self.0
    }
    fn value(&self, x: &[f64]) -> f64 {
        x.iter().enumerate().map(|(i, x)| 0.5 * (i + 1) as f64 * x * x).sum()
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        for (i, (g, x)) in g.iter_mut().zip(x).enumerate() {
            *g = (i + 1) as f64 * x;
        }
        self.value(x)
    }
}

/// The same bowl written once for dual numbers: the path `--expr` objectives take.
struct DualBowl(usize);

impl DualFunction for DualBowl {
    fn dim(&self) -> usize {
        self.0
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        x.iter().enumerate().fold(D::from(0.0), |acc, (i, &x)| acc + x * x * (0.5 * (i + 1) as f64))
    }
}

fn allocations_of_a_run<O: Objective, M: Method<O> + Copy>(
    f: &O,
    method: M,
    iterations: usize,
) -> usize {
    let options = Options { gtol: 0.0, max_iter: iterations, ..Options::default() };
    let x0 = vec![1.0; f.dim()];
    let before = allocations();
    let report = minimize(f, &x0, method, &options).unwrap();
    let after = allocations();
    assert_eq!((report.status, report.iterations), (Status::MaxIterations, iterations));
    drop(report);
    after - before
}

#[test]
fn iterations_allocate_nothing_after_set_up() {
    let fixed = GradientDescent::new(0.005).unwrap();
    let armijo = GradientDescent::armijo();
    let dual = AutoDiff::new(DualBowl(20));
    for (name, few, many) in [
        (
            "fixed step",
            allocations_of_a_run(&Bowl(100), fixed, 10),
            allocations_of_a_run(&Bowl(100), fixed, 1000),
        ),
        (
            "armijo",
            allocations_of_a_run(&Bowl(100), armijo, 10),
            allocations_of_a_run(&Bowl(100), armijo, 1000),
        ),
        (
            "dual numbers",
            allocations_of_a_run(&dual, fixed, 10),
            allocations_of_a_run(&dual, fixed, 1000),
        ),
    ] {
        assert!(few > 0, "{name}: set-up allocates its buffers");
        assert_eq!(few, many, "{name}: 990 more iterations allocated {} more times", many - few);
    }
}

/// Quasi-Newton iterations allocate nothing after `init` (the ring of pairs, the matrix H).
/// ½Σ i·xᵢ² in 1000 variables (κ = 1000) is far from converged after 40 iterations, so every
/// counted iteration takes a full step.
#[test]
fn quasi_newton_iterations_allocate_nothing_after_set_up() {
    let lbfgs = Lbfgs::default();
    let bfgs = Bfgs::default();
    for (name, few, many) in [
        (
            "lbfgs",
            allocations_of_a_run(&Bowl(1000), lbfgs, 5),
            allocations_of_a_run(&Bowl(1000), lbfgs, 40),
        ),
        (
            "bfgs",
            allocations_of_a_run(&Bowl(1000), bfgs, 5),
            allocations_of_a_run(&Bowl(1000), bfgs, 40),
        ),
    ] {
        assert!(few > 0, "{name}: set-up allocates its buffers");
        assert_eq!(few, many, "{name}: 35 more iterations allocated {} more times", many - few);
    }
}

/// ¼·Σ xᵢ⁴ with its Hessian diag(3xᵢ²) stored in any structure. Newton's step is x ← ⅔x
/// (linear convergence: the minimiser is degenerate), so 40 iterations are all full steps.
struct Quartic(usize, HessianStructure);

impl Objective for Quartic {
    fn dim(&self) -> usize {
        self.0
    }
    fn value(&self, x: &[f64]) -> f64 {
        x.iter().map(|x| 0.25 * x.powi(4)).sum()
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        for (g, x) in g.iter_mut().zip(x) {
            *g = x.powi(3);
        }
        self.value(x)
    }
}

impl Hessian for Quartic {
    fn hessian_structure(&self) -> HessianStructure {
        self.1
    }
    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        for (i, x) in x.iter().enumerate() {
            hessian.set(i, i, 3.0 * x * x);
        }
    }
}

/// Newton iterations allocate nothing after `init` (the Hessian, its factor, d), for every
/// structure's solver.
#[test]
fn newton_iterations_allocate_nothing_after_set_up() {
    let newton = Newton::default();
    for structure in [
        HessianStructure::Dense,
        HessianStructure::Banded { bandwidth: 3 },
        HessianStructure::Tridiagonal,
        HessianStructure::Diagonal,
    ] {
        let f = Quartic(100, structure);
        let few = allocations_of_a_run(&f, newton, 5);
        let many = allocations_of_a_run(&f, newton, 40);
        assert!(few > 0, "{structure:?}: set-up allocates its buffers");
        assert_eq!(
            few,
            many,
            "{structure:?}: 35 more iterations allocated {} more times",
            many - few
        );
    }
}

/// The step API: after `Optimizer::new`, a step allocates nothing.
#[test]
fn optimizer_steps_allocate_nothing() {
    use descent::first_order::{Adam, Nesterov, Optimizer, Preset, Schedule};
    let n = 4096;
    let grads = vec![0.01f32; n];
    let mut params = vec![1.0f32; n];
    let rule = Adam {
        learning_rate: Schedule::WarmupCosine {
            init_learning_rate: 0.0,
            peak_learning_rate: 1e-3,
            warmup_steps: 5,
            decay_steps: 100,
            end_learning_rate: 0.0,
        },
        ..Adam::preset(Preset::Torch, 0.0)
    }
    .rule();
    let mut adam = Optimizer::new(rule, n).unwrap();
    let mut nesterov = Optimizer::new(Nesterov::preset(Preset::Optax, 1e-2).rule(), n).unwrap();
    let before = allocations();
    for _ in 0..100 {
        adam.step(&mut params, &grads).unwrap();
        nesterov.step(&mut params, &grads).unwrap();
    }
    assert_eq!(allocations() - before, 0);
}

/// The Hager–Zhang search allocates nothing: its state is a few points and the run's
/// `SearchMemory`, plain data in the method's state. BFGS, L-BFGS, Newton and gradient descent
/// with it, after `init`.
#[test]
fn hager_zhang_iterations_allocate_nothing_after_set_up() {
    use descent::line_search::{HagerZhang, InitialStep};
    let hz = HagerZhang::default();
    let guess = HagerZhang { initial: InitialStep::HAGER_ZHANG, ..hz };
    let lbfgs = Lbfgs::default().with_line_search(hz);
    let bfgs = Bfgs::default().with_line_search(hz);
    let gd = GradientDescent::armijo().with_line_search(guess);
    let newton = Newton::default().with_line_search(hz);
    let quartic = Quartic(100, HessianStructure::Tridiagonal);
    for (name, few, many) in [
        (
            "lbfgs + hz",
            allocations_of_a_run(&Bowl(1000), lbfgs, 5),
            allocations_of_a_run(&Bowl(1000), lbfgs, 40),
        ),
        (
            "bfgs + hz",
            allocations_of_a_run(&Bowl(1000), bfgs, 5),
            allocations_of_a_run(&Bowl(1000), bfgs, 40),
        ),
        (
            "gd + hz",
            allocations_of_a_run(&Bowl(100), gd, 10),
            allocations_of_a_run(&Bowl(100), gd, 1000),
        ),
        (
            "newton + hz",
            allocations_of_a_run(&quartic, newton, 5),
            allocations_of_a_run(&quartic, newton, 40),
        ),
    ] {
        assert!(few > 0, "{name}: set-up allocates its buffers");
        assert_eq!(few, many, "{name}: more iterations allocated {} more times", many - few);
    }
}

impl HessianVectorProduct for Quartic {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        for ((hv, x), v) in hv.iter_mut().zip(x).zip(v) {
            *hv = 3.0 * x * x * v;
        }
    }
}

/// Newton–CG and trust-region iterations allocate nothing after `init` (CG vectors; the
/// dogleg's Hessian, factor and points; the trial step), for every structure's solver.
#[test]
fn newton_cg_and_trust_region_iterations_allocate_nothing_after_set_up() {
    for structure in [
        HessianStructure::Dense,
        HessianStructure::Banded { bandwidth: 3 },
        HessianStructure::Tridiagonal,
        HessianStructure::Diagonal,
    ] {
        let f = Quartic(100, structure);
        for (name, few, many) in [
            (
                "newton-cg",
                allocations_of_a_run(&f, NewtonCg::default(), 5),
                allocations_of_a_run(&f, NewtonCg::default(), 40),
            ),
            (
                "trust-ncg",
                allocations_of_a_run(&f, TrustRegion::steihaug(), 5),
                allocations_of_a_run(&f, TrustRegion::steihaug(), 40),
            ),
            (
                "dogleg",
                allocations_of_a_run(&f, TrustRegion::dogleg(), 5),
                allocations_of_a_run(&f, TrustRegion::dogleg(), 40),
            ),
        ] {
            assert!(few > 0, "{name}, {structure:?}: set-up allocates its buffers");
            assert_eq!(
                few,
                many,
                "{name}, {structure:?}: 35 more iterations allocated {} more times",
                many - few
            );
        }
    }
}

/// The bounded methods allocate nothing after `init` either: L-BFGS-B's Cauchy point (with its
/// breakpoint sort), subspace minimisation and 2m×2m factorisations work in buffers of the
/// state. The box [0.5, 2] on every third coordinate of ½Σ i·xᵢ² from x = 1 makes those
/// coordinates active (their minimiser 0 lies outside), the rest are free.
#[test]
fn bounded_iterations_allocate_nothing_after_set_up() {
    use descent::bounds::{Bounds, Lbfgsb, ProjectedGradient};
    let n = 1000;
    let lower = (0..n).map(|i| if i % 3 == 0 { 0.5 } else { f64::NEG_INFINITY }).collect();
    let upper = (0..n).map(|i| if i % 3 == 0 { 2.0 } else { f64::INFINITY }).collect();
    let bounds = Bounds::new(lower, upper).unwrap();
    let run = |lbfgsb: bool, iterations: usize| {
        let options = Options { gtol: 0.0, max_iter: iterations, ..Options::default() };
        let x0 = vec![1.0; n];
        let (a, b) = (Lbfgsb::new(bounds.clone()), ProjectedGradient::new(bounds.clone()));
        let before = allocations();
        let report = if lbfgsb {
            minimize(&Bowl(n), &x0, a, &options)
        } else {
            minimize(&Bowl(n), &x0, b, &options)
        }
        .unwrap();
        let after = allocations();
        assert_eq!((report.status, report.iterations), (Status::MaxIterations, iterations));
        drop(report);
        after - before
    };
    for (name, lbfgsb) in [("lbfgsb", true), ("projected-gd", false)] {
        let (few, many) = (run(lbfgsb, 5), run(lbfgsb, 40));
        assert!(few > 0, "{name}: set-up allocates its buffers");
        assert_eq!(few, many, "{name}: 35 more iterations allocated {} more times", many - few);
    }
}

/// Perturbed gradient descent allocates nothing after `init`, kicks included: a threshold that
/// every gradient meets and a wait of 1 make it kick every other iteration.
#[test]
fn perturbed_gradient_descent_iterations_allocate_nothing_after_set_up() {
    let pgd = descent::landscape::PerturbedGradientDescent {
        gradient_threshold: 1e9,
        wait: 1,
        ..descent::landscape::PerturbedGradientDescent::new(0.005).unwrap()
    };
    let few = allocations_of_a_run(&Bowl(100), pgd, 10);
    let many = allocations_of_a_run(&Bowl(100), pgd, 1000);
    assert!(few > 0, "set-up allocates its buffers");
    assert_eq!(few, many, "990 more iterations allocated {} more times", many - few);
}
