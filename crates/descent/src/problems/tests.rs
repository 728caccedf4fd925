//! Tests over the whole registry: hand-written derivatives against dual numbers, and the
//! registry's names and errors. Per-problem facts are tested at the foot of each problem's file
//! with [`check_known_facts`].

use proptest::prelude::*;

use super::{Problem, ProblemConfig, build, registry};
use crate::{Error, HessianMatrix, HessianStructure};

/// Hand-written and dual-number derivatives agree to this relative tolerance.
const DERIVATIVE_RTOL: f64 = 1e-10;

/// Known values hold to this relative tolerance (scaled by max(1, |f*|)).
const KNOWN_VALUE_RTOL: f64 = 1e-12;

/// The names of the table in the module docs, in its order.
const NAMES: [&str; 11] = [
    "ramp",
    "ravine",
    "rosenbrock",
    "beale",
    "himmelblau",
    "booth",
    "saddle",
    "monkey_saddle",
    "rastrigin",
    "tridiagonal",
    "random_quadratic",
];

/// Checks what every problem promises: the start has the problem's dimension; each minimiser
/// attains `min_value` with a vanishing gradient; a problem without a minimum lists no
/// minimisers; the hand-written and dual-number Hessians declare the same structure.
pub(super) fn check_known_facts(problem: &dyn Problem) {
    let n = problem.dim();
    let name = problem.name();
    assert!(NAMES.contains(&name), "{name} is not in the registry");
    assert_eq!(problem.start().len(), n, "{name}: start");
    assert_eq!(
        problem.autodiff().hessian_structure(),
        problem.hessian_structure(),
        "{name}: Hessian structure"
    );
    let minimizers = problem.minimizers();
    let Some(min_value) = problem.min_value() else {
        assert!(minimizers.is_empty(), "{name}: minimisers but no minimum");
        return;
    };
    assert!(!minimizers.is_empty(), "{name}: a minimum but no minimiser");
    let tolerance = KNOWN_VALUE_RTOL * min_value.abs().max(1.0);
    let mut grad = vec![f64::NAN; n];
    for x in &minimizers {
        assert_eq!(x.len(), n, "{name}: minimiser length");
        let value = problem.value_grad(x, &mut grad);
        assert!(
            (value - min_value).abs() <= tolerance,
            "{name}: f{x:?} = {value}, expected {min_value}"
        );
        assert!(
            (problem.value(x) - value).abs() <= tolerance,
            "{name}: value and value_grad differ"
        );
        assert!(grad.iter().all(|g| g.abs() <= tolerance), "{name}: ∇f{x:?} = {grad:?}");
    }
}

/// Every registry entry, in dimension 4 where the problem allows it and its default otherwise.
fn small_problems() -> Vec<Box<dyn Problem>> {
    registry()
        .iter()
        .map(|spec| {
            let four = ProblemConfig { dim: Some(4), ..ProblemConfig::default() };
            match (spec.build)(&four) {
                Err(Error::InvalidDimension { .. }) => {
                    (spec.build)(&ProblemConfig::default()).expect(spec.name)
                }
                built => built.expect(spec.name),
            }
        })
        .collect()
}

fn assert_close(name: &str, what: &str, hand: f64, reference: f64) {
    assert!(
        (hand - reference).abs() <= DERIVATIVE_RTOL * reference.abs().max(1.0),
        "{name}: {what}: hand-written {hand}, dual numbers {reference}"
    );
}

proptest! {
    #[test]
    fn hand_written_derivatives_match_dual_numbers(
        point in prop::collection::vec(-2.0..2.0_f64, 4),
        direction in prop::collection::vec(-1.0..1.0_f64, 4),
    ) {
        for problem in small_problems() {
            let name = problem.name();
            let n = problem.dim();
            let (x, v) = (&point[..n], &direction[..n]);
            let reference = problem.autodiff();

            let (mut g, mut g_ref) = (vec![0.0; n], vec![0.0; n]);
            let value = problem.value_grad(x, &mut g);
            let value_ref = reference.value_grad(x, &mut g_ref);
            assert_close(name, "value", value, value_ref);
            assert_close(name, "value()", problem.value(x), value_ref);
            for i in 0..n {
                assert_close(name, &format!("∂f/∂x{i}"), g[i], g_ref[i]);
            }

            // The reference fills a dense matrix, so entries the hand-written structure
            // leaves out are checked to be zero.
            let mut h = HessianMatrix::zeros(problem.hessian_structure(), n);
            let mut h_ref = HessianMatrix::zeros(HessianStructure::Dense, n);
            problem.hessian(x, &mut h);
            reference.hessian(x, &mut h_ref);
            for i in 0..n {
                for j in 0..n {
                    assert_close(name, &format!("H[{i}][{j}]"), h.get(i, j), h_ref.get(i, j));
                }
            }

            let (mut hv, mut hv_ref) = (vec![0.0; n], vec![0.0; n]);
            problem.hessian_vector_product(x, v, &mut hv);
            reference.hessian_vector_product(x, v, &mut hv_ref);
            for i in 0..n {
                assert_close(name, &format!("(Hv)[{i}]"), hv[i], hv_ref[i]);
            }
        }
    }
}

#[test]
fn the_registry_lists_the_table_in_order_and_every_entry_builds() {
    let names: Vec<_> = registry().iter().map(|s| s.name).collect();
    assert_eq!(names, NAMES);
    for spec in registry() {
        let problem = build(spec.name, &ProblemConfig::default()).expect(spec.name);
        assert_eq!(problem.name(), spec.name);
        assert!(!spec.summary.is_empty() && !spec.summary.contains('\n'));
        check_known_facts(problem.as_ref());
    }
}

#[test]
fn defaults_are_those_documented() {
    let dim = |name| build(name, &ProblemConfig::default()).expect(name).dim();
    let dims: Vec<_> = NAMES.iter().map(|&name| dim(name)).collect();
    assert_eq!(dims, [1, 2, 2, 2, 2, 2, 2, 2, 2, 100, 10]);
    let ramp = build("ramp", &ProblemConfig::default()).unwrap();
    assert_eq!(ramp.value(&[2.5]), 2.5, "slope 1");
}

#[test]
fn an_unknown_name_lists_the_available_ones() {
    let Err(Error::UnknownProblem { name, available }) = build("nope", &ProblemConfig::default())
    else {
        panic!("expected UnknownProblem");
    };
    assert_eq!(name, "nope");
    assert_eq!(available, NAMES.join(", "));
}

#[test]
fn invalid_configurations_give_typed_errors() {
    let config = |dim, condition, slope| ProblemConfig { dim, condition, slope, seed: None };
    assert!(matches!(
        build("rosenbrock", &config(Some(3), None, None)),
        Err(Error::InvalidDimension { problem: "rosenbrock", dim: 3, .. })
    ));
    for name in ["ravine", "random_quadratic"] {
        assert!(
            matches!(
                build(name, &config(None, Some(0.5), None)),
                Err(Error::InvalidHyperparameter { name: "condition", .. })
            ),
            "{name}"
        );
    }
    for name in ["ravine", "beale", "himmelblau", "booth", "saddle", "monkey_saddle"] {
        assert!(
            matches!(
                build(name, &config(Some(3), None, None)),
                Err(Error::InvalidDimension { dim: 3, .. })
            ),
            "{name}"
        );
        assert!(build(name, &config(Some(2), None, None)).is_ok(), "{name}");
    }
    for name in ["ramp", "rastrigin", "tridiagonal", "random_quadratic"] {
        assert!(
            matches!(
                build(name, &config(Some(0), None, None)),
                Err(Error::InvalidDimension { dim: 0, .. })
            ),
            "{name}"
        );
    }
    assert!(matches!(
        build("ramp", &config(None, None, Some(0.0))),
        Err(Error::InvalidHyperparameter { name: "slope", .. })
    ));
}

#[test]
fn the_configuration_reaches_the_problem() {
    let config =
        ProblemConfig { dim: Some(6), condition: Some(7.0), slope: Some(-3.0), seed: Some(11) };
    let ramp =
        build("ramp", &ProblemConfig { condition: None, seed: None, ..config.clone() }).unwrap();
    assert_eq!(ramp.value(&[1.0; 6]), -18.0);
    let ravine =
        build("ravine", &ProblemConfig { condition: Some(7.0), ..ProblemConfig::default() })
            .unwrap();
    assert_eq!(ravine.value(&[0.0, 1.0]), 3.5);
    let quadratic =
        build("random_quadratic", &ProblemConfig { slope: None, ..config.clone() }).unwrap();
    let direct = super::RandomQuadratic::new(6, 7.0, 11).unwrap();
    assert_eq!(quadratic.minimizers(), direct.minimizers());
    let tridiagonal =
        build("tridiagonal", &ProblemConfig { dim: Some(6), ..ProblemConfig::default() });
    assert_eq!(tridiagonal.unwrap().dim(), 6);
}

#[test]
fn a_parameter_the_problem_does_not_take_is_an_error() {
    let err =
        build("rosenbrock", &ProblemConfig { condition: Some(5.0), ..ProblemConfig::default() });
    assert_eq!(
        err.err(),
        Some(Error::UnknownParameter {
            problem: "rosenbrock",
            parameter: "condition",
            takes: "dim".into()
        })
    );
    let err = build("ravine", &ProblemConfig { seed: Some(1), ..ProblemConfig::default() });
    assert!(matches!(err, Err(Error::UnknownParameter { parameter: "seed", .. })));
}

#[test]
fn finite_differences_confirm_every_gradient_at_the_standard_start() {
    for problem in small_problems() {
        let check = crate::check_gradient(problem.as_ref(), &problem.start()).unwrap();
        assert!(check.passes(1e-6), "{}: {check:?}", problem.name());
    }
}
