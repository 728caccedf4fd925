//! A small expression language, minimised with exact derivatives.
//!
//! `descent minimize --expr "100*(y-x^2)^2 + (1-x)^2"` parses the string once into an
//! [`Expression`], which is a [`DualFunction`]: wrapped in [`AutoDiff`](crate::AutoDiff) it gives
//! exact gradients, Hessians and Hessian-vector products, with no finite differences.
//!
//! ```
//! use descent::{AutoDiff, Objective, expr::Expression};
//!
//! let f = AutoDiff::new(Expression::parse("100*(y-x^2)^2 + (1-x)^2")?);
//! assert_eq!(f.function().variables(), ["y", "x"]); // order of first appearance
//! let mut g = [0.0; 2];
//! let value = f.value_grad(&[1.0, 1.0], &mut g);
//! assert_eq!((value, g), (0.0, [0.0, 0.0]));
//! # Ok::<(), descent::Error>(())
//! ```
//!
//! ## Grammar
//! ```text
//! expression := sum
//! sum        := product (('+' | '-') product)*           left-associative
//! product    := unary (('*' | '/') unary)*               left-associative
//! unary      := ('-' | '+') unary | power
//! power      := primary ('^' unary)?                     right-associative
//! primary    := number | 'pi' | variable | function '(' sum ')' | '(' sum ')'
//! number     := digits ['.' digits*] [exponent] | '.' digits [exponent]
//! exponent   := ('e' | 'E') ['+' | '-'] digits
//! variable   := [A-Za-z_][A-Za-z0-9_]*, not a function name and not 'pi'
//! ```
//! Whitespace between tokens is ignored.
//!
//! ## Precedence, tightest first
//! | operators | associativity | examples |
//! |---|---|---|
//! | `^` | right | `2^3^2` = 2^9 = 512 |
//! | unary `-`, `+` | prefix | `-x^2` = −(x²); `2^-1` = 0.5 |
//! | `*` `/` | left | `8/4/2` = 1 |
//! | `+` `-` | left | `2-3-4` = −5 |
//!
//! As in mathematics (and Python, Fortran), unary minus binds less tightly than `^`, so
//! `-2^2` is −4; write `(-2)^2` for 4.
//!
//! ## Functions
//! `sin cos tan exp ln log sqrt abs tanh`, and `log10 log2 asin acos atan sinh cosh`. Each takes
//! one argument in parentheses. **`log` is the natural logarithm**, the same as `ln`, as in C,
//! `NumPy` and most programming languages (not the base-10 log of calculators); use `log10` for
//! that. `abs` has derivative sign(x), and −1 at 0. The constant `pi` is π.
//!
//! ## Powers
//! How `a^b` is evaluated depends on the exponent, chosen once at parse time:
//! * an exponent without variables whose value is an integer (`x^2`, `x^-1`, `x^(1+1)`) uses
//!   `powi`: negative bases work (`(-2)^3` = −8);
//! * any other exponent without variables (`x^0.5`, `x^pi`) uses `powf`;
//!
//! and the value is the same with or without derivatives, bit for bit (the derivatives come
//! from p·x^p/x, never from a formula that overflows where x^p does not);
//! * an exponent with variables (`x^y`) is exp(b·ln a), defined only for a > 0: NaN for a
//!   negative base in every evaluation, with or without derivatives.
//!
//! Nothing else is folded: `2*3` is multiplied at every evaluation, so an expression gives
//! bit-for-bit what the same arithmetic written in Rust would.
//!
//! ## Errors
//! A syntax error is [`Error::Syntax`] with the 1-based *character* column of the offending
//! token (characters, not bytes, so a `π` earlier on the line counts once), and a message such as
//! `unexpected ')'`, `unknown function 'sinn'` or `expected ')' to close '(' at column 3`.
//! Nesting deeper than 256 levels (parentheses, unary signs, powers) is a syntax error too, so
//! that neither parsing nor evaluation can overflow the stack.
//!
//! ## Why hand-written
//! Expression crates such as `meval` and `evalexpr` evaluate to `f64` only, but an
//! [`Expression`] must be evaluated generically over dual numbers to give exact derivatives.
//! The grammar is also part of the command-line interface, so it is defined here, with
//! its precedence documented and tested, rather than inherited from a dependency; and errors
//! must name the column, which the CLI reports in its one-line error. The parser is a
//! recursive-descent one of about two hundred lines; the tree is a flat arena (nodes refer to
//! each other by index), and `a + b - c` is one n-ary node, so a long sum is a loop rather than
//! a deep recursion.

mod parse;

use std::fmt;
use std::str::FromStr;

use num_dual::DualNum;

use crate::{DualFunction, Error, Result};

/// A parsed expression of named variables, evaluated for `f64` or any dual number.
///
/// Made by [`Expression::parse`]; the variables are numbered in order of first appearance,
/// or in the order given to [`Expression::with_variables`].
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    source: String,
    variables: Vec<String>,
    arena: Arena,
    root: usize,
}

impl Expression {
    /// Parses `source`; the variables are ordered by first appearance (`"y*x + y"` has
    /// variables `[y, x]`).
    ///
    /// # Errors
    /// [`Error::Syntax`] with the 1-based character column of the offending token.
    pub fn parse(source: &str) -> Result<Self> {
        let (arena, root, variables) = parse::parse(source)?;
        Ok(Self { source: source.to_owned(), variables, arena, root })
    }

    /// Renumbers the variables to the order of `names` (the CLI's `--vars x,y`), so that
    /// `x[i]` in [`eval`](Self::eval) is `names[i]`.
    ///
    /// # Errors
    /// [`Error::Variables`] if a name in `names` is repeated or not used by the expression, or a
    /// variable of the expression is missing from `names`.
    pub fn with_variables(mut self, names: &[&str]) -> Result<Self> {
        let error = |message: String| Err(Error::Variables { message });
        let uses = || self.variables.join(", ");
        for (k, name) in names.iter().enumerate() {
            if names[..k].contains(name) {
                return error(format!("'{name}' is listed more than once"));
            }
            if !self.variables.iter().any(|v| v == name) {
                return error(format!(
                    "'{name}' is not used by the expression (it uses: {})",
                    uses()
                ));
            }
        }
        if let Some(missing) = self.variables.iter().find(|v| !names.contains(&v.as_str())) {
            return error(format!(
                "'{missing}' is used by the expression but missing from the list (it uses: {})",
                uses()
            ));
        }
        // Every name is used and distinct, every variable is named: `names` is a permutation.
        let new_index: Vec<usize> = self
            .variables
            .iter()
            .map(|v| names.iter().position(|n| n == v).unwrap_or(usize::MAX))
            .collect();
        for node in &mut self.arena.nodes {
            if let Node::Variable(i) = node {
                *i = new_index[*i];
            }
        }
        self.variables = names.iter().map(|&n| n.to_owned()).collect();
        Ok(self)
    }

    /// The variable names; `x[i]` in [`eval`](Self::eval) is `variables()[i]`.
    #[must_use]
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// The text that was parsed.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value at `x`, for `f64` or any dual number. Does not allocate.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of variables.
    pub fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        assert_eq!(
            x.len(),
            self.variables.len(),
            "expression '{}' has {} variables",
            self.source,
            self.variables.len()
        );
        self.arena.eval(self.root, x)
    }
}

impl DualFunction for Expression {
    fn dim(&self) -> usize {
        self.variables.len()
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        Expression::eval(self, x)
    }
}

impl fmt::Display for Expression {
    /// Prints the source text as parsed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Expression {
    type Err = Error;

    /// Same as [`Expression::parse`].
    fn from_str(source: &str) -> Result<Self> {
        Self::parse(source)
    }
}

/// The syntax tree: nodes in a flat vector, referring to each other by index.
#[derive(Debug, Clone, Default, PartialEq)]
struct Arena {
    nodes: Vec<Node>,
    /// The operands after the first of every [`Node::Chain`], each chain's contiguous.
    links: Vec<Link>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    Number(f64),
    Variable(usize),
    Neg(usize),
    /// `first op₁ a₁ op₂ a₂ …` evaluated left to right, the `(opₖ, aₖ)` in `links[start..end]`:
    /// a left-associative sum or product as a loop instead of a left-leaning tree.
    Chain {
        first: usize,
        start: usize,
        end: usize,
    },
    PowI(usize, i32),
    PowF(usize, f64),
    PowD(usize, usize),
    Call(Function, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Link {
    op: Op,
    operand: usize,
}

impl Arena {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Recursion depth is bounded by the parser's nesting limit.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, i: usize, x: &[D]) -> D {
        match self.nodes[i] {
            Node::Number(c) => D::from(c),
            Node::Variable(k) => x[k],
            Node::Neg(a) => -self.eval(a, x),
            Node::Chain { first, start, end } => {
                let mut acc = self.eval(first, x);
                for link in &self.links[start..end] {
                    let b = self.eval(link.operand, x);
                    acc = match link.op {
                        Op::Add => acc + b,
                        Op::Sub => acc - b,
                        Op::Mul => acc * b,
                        Op::Div => acc / b,
                    };
                }
                acc
            }
            // n = 0, 1, 2 keep num-dual's exact forms (1, x, x·x), bit for bit `powi`'s values.
            Node::PowI(a, n @ 0..=2) => self.eval(a, x).powi(n),
            Node::PowI(a, n) => {
                let base = self.eval(a, x);
                power(base, f64::from(n), base.re().powi(n))
            }
            Node::PowF(a, p) => {
                let base = self.eval(a, x);
                power(base, p, base.re().powf(p))
            }
            // exp(b·ln a) spelled out, not `powd`: num-dual's duals compute exactly this, but
            // its `f64` powd is `powf`, which has values at a < 0 (`(-2)^2` = 4) where the
            // duals give NaN. Spelled out, a value alone and a value with derivatives agree.
            Node::PowD(a, b) => (self.eval(a, x).ln() * self.eval(b, x)).exp(),
            Node::Call(function, a) => function.apply(self.eval(a, x)),
        }
    }

    fn uses_variables(&self, i: usize) -> bool {
        match self.nodes[i] {
            Node::Number(_) => false,
            Node::Variable(_) => true,
            Node::Neg(a) | Node::PowI(a, _) | Node::PowF(a, _) | Node::Call(_, a) => {
                self.uses_variables(a)
            }
            Node::PowD(a, b) => self.uses_variables(a) || self.uses_variables(b),
            Node::Chain { first, start, end } => {
                self.uses_variables(first)
                    || self.links[start..end].iter().any(|link| self.uses_variables(link.operand))
            }
        }
    }
}

/// `base^p` for a constant exponent, whose value `value` (`powi`'s or `powf`'s) is already
/// taken: exactly that value, with the derivatives of x^p by the chain rule as
/// value·exp(p·ln(x/x₀)), x₀ the base's value. num-dual's own `powi`/`powf` compute
/// x₀^(p−3)·x₀³, which is not the value an evaluation without derivatives gives (ulps apart),
/// overflows to ∞·0 = NaN (x^0.5 at 10¹⁵⁰, x^−1 at 10⁻¹¹⁰), rounds p−3 to an integer for tiny p
/// (so (−1)^(10⁻³²) came out 1 instead of NaN), and forms n·(n−1) in `i32` (overflowing for
/// |n| > 46 340).
///
/// At a zero base (and an infinite one) x/x₀ is undefined. There x^p with p above the highest
/// derivative `D` carries is 0 with vanishing derivatives: value 0, derivatives 0. Below that
/// order (0 < p < 1 with a gradient, 1 < p < 2 with a Hessian, p < 0) a derivative is infinite
/// and num-dual's NaN stands, so that a solver reports the point as non-finite, not flat.
fn power<D: DualNum<Primitive = f64> + Copy>(base: D, p: f64, value: f64) -> D {
    let x0 = base.re();
    if D::NDERIV == 0 {
        D::from(value)
    } else if x0 != 0.0 && x0.is_finite() {
        ((base / x0).ln() * p).exp() * value
    } else {
        #[expect(clippy::cast_precision_loss, reason = "NDERIV is at most a handful")]
        let flat = x0 == 0.0 && p > D::NDERIV as f64;
        if flat { D::from(value) + base * 0.0 } else { base.powf(p) }
    }
}

/// The built-in functions of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Log10,
    Log2,
    Sqrt,
    Abs,
    Tanh,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
}

/// Names as written in expressions; `log` is the natural logarithm, like `ln`.
const FUNCTIONS: [(&str, Function); 16] = [
    ("sin", Function::Sin),
    ("cos", Function::Cos),
    ("tan", Function::Tan),
    ("exp", Function::Exp),
    ("ln", Function::Ln),
    ("log", Function::Ln),
    ("log10", Function::Log10),
    ("log2", Function::Log2),
    ("sqrt", Function::Sqrt),
    ("abs", Function::Abs),
    ("tanh", Function::Tanh),
    ("asin", Function::Asin),
    ("acos", Function::Acos),
    ("atan", Function::Atan),
    ("sinh", Function::Sinh),
    ("cosh", Function::Cosh),
];

impl Function {
    fn from_name(name: &str) -> Option<Self> {
        FUNCTIONS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    fn apply<D: DualNum<Primitive = f64> + Copy>(self, a: D) -> D {
        match self {
            Self::Sin => a.sin(),
            Self::Cos => a.cos(),
            Self::Tan => a.tan(),
            Self::Exp => a.exp(),
            Self::Ln => a.ln(),
            Self::Log10 => a.log10(),
            Self::Log2 => a.log2(),
            Self::Sqrt => a.sqrt(),
            Self::Abs => a.abs(),
            Self::Tanh => a.tanh(),
            Self::Asin => a.asin(),
            Self::Acos => a.acos(),
            Self::Atan => a.atan(),
            Self::Sinh => a.sinh(),
            Self::Cosh => a.cosh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use approx::assert_relative_eq;
    use proptest::prelude::*;

    use super::*;
    use crate::{AutoDiff, Hessian, HessianMatrix, HessianStructure, Objective};

    /// Rounding of a few operations on numbers of order one.
    const ROUNDING: f64 = 1e-14;
    /// The proptest's tolerance, relative: dual numbers and hand-written formulas round
    /// differently but must agree far beyond any finite difference.
    const GRADIENT_RELATIVE: f64 = 1e-10;

    fn value(source: &str) -> f64 {
        Expression::parse(source).unwrap().eval::<f64>(&[])
    }

    #[test]
    fn precedence_and_associativity() {
        let cases: &[(&str, f64)] = &[
            ("2+3*4", 14.0),
            ("(2+3)*4", 20.0),
            ("2^3^2", 512.0),
            ("(2^3)^2", 64.0),
            ("-2^2", -4.0),
            ("(-2)^2", 4.0),
            ("(-2)^3", -8.0),
            ("8/4/2", 1.0),
            ("2-3-4", -5.0),
            ("2^-1", 0.5),
            ("2^-1^2", 0.5),
            ("-3*-2", 6.0),
            ("2--3", 5.0),
            ("+2 - +3", -1.0),
            ("2*3^2", 18.0),
            ("-2^-2", -0.25),
            ("2^(1+1)", 4.0),
            ("2^(3-5)", 0.25),
            ("4^0.5", 2.0),
            ("1.5 + .5 + 2e-3 + 1E+4 + 3.", 10_005.002),
            ("  1 +\t2\n*3 ", 7.0),
        ];
        for &(source, expected) in cases {
            assert_relative_eq!(value(source), expected, max_relative = ROUNDING);
        }
    }

    #[test]
    fn functions_and_pi() {
        let cases: &[(&str, f64)] = &[
            ("pi", PI),
            ("sin(pi/6)", 0.5),
            ("cos(pi)", -1.0),
            ("tan(pi/4)", 1.0),
            ("exp(0)", 1.0),
            ("ln(exp(2))", 2.0),
            ("log(exp(3))", 3.0),
            ("log10(1000)", 3.0),
            ("log2(8)", 3.0),
            ("sqrt(16)", 4.0),
            ("abs(-2.5)", 2.5),
            ("tanh(0)", 0.0),
            ("asin(1)", PI / 2.0),
            ("acos(-1)", PI),
            ("atan(1)", PI / 4.0),
            ("sinh(0) + cosh(0)", 1.0),
            ("2*sin(pi/2)^2", 2.0),
            ("-cos(0)^2", -1.0),
        ];
        for &(source, expected) in cases {
            assert_relative_eq!(
                value(source),
                expected,
                epsilon = ROUNDING,
                max_relative = ROUNDING
            );
        }
    }

    /// The `expr` fuzz target's input fuzz/regressions/expr/fractional-power-at-zero: x^2.5 at
    /// x = 0 was 0 without derivatives and NaN with them (num-dual's base^(p−3)·base³ is ∞·0),
    /// so `abs(x)^2.5` could not start at its minimiser.
    #[test]
    fn a_fractional_power_of_zero_is_zero_with_zero_derivatives_where_they_exist() {
        let f = AutoDiff::new(Expression::parse("x^2.5 + abs(y - 1)^1.5").unwrap());
        let mut g = [f64::NAN; 2];
        assert_eq!(f.value_grad(&[0.0, 1.0], &mut g).to_bits(), 0.0_f64.to_bits());
        assert_eq!(g, [0.0, 0.0]);
        let mut h = HessianMatrix::zeros(f.hessian_structure(), 2);
        f.hessian(&[0.0, 2.0], &mut h);
        // (2.5·1.5) x^0.5 at 0 is 0; (1.5·0.5)|y−1|^−0.5 at y = 2 is 0.75.
        assert_eq!((h.get(0, 0), h.get(1, 1), h.get(0, 1)), (0.0, 0.75, 0.0));
        // 1 < p < 2: the second derivative at 0 is infinite, and stays NaN rather than flat.
        f.hessian(&[1.0, 1.0], &mut h);
        assert!(h.get(1, 1).is_nan());
        // 0 < p < 1: the gradient at 0 is infinite; NaN, so a solver stops there as non-finite.
        let sqrt = AutoDiff::new(Expression::parse("x^0.5").unwrap());
        let mut g = [0.0];
        sqrt.value_grad(&[0.0], &mut g);
        assert!(g[0].is_nan());
        assert_eq!(sqrt.value(&[0.0]), 0.0);
    }

    /// The `expr` fuzz target's input fuzz/regressions/expr/integer-power-overflows-i32:
    /// `tanh(1-x)^2100^2` has exponent 4 410 000, and num-dual's second derivative of `powi`
    /// multiplied n·(n−1) in i32 (a panic with overflow checks, a wrapped coefficient without).
    #[test]
    fn a_huge_integer_power_has_its_exact_second_derivative() {
        // d²/dx² x^n = n(n−1) x^(n−2): at x = 1, n = 4 410 000 it is 19 448 095 590 000.
        let f = AutoDiff::new(Expression::parse("x^2100^2").unwrap());
        let mut h = HessianMatrix::zeros(f.hessian_structure(), 1);
        f.hessian(&[1.0], &mut h);
        assert_eq!(h.get(0, 0), 4_410_000.0 * 4_409_999.0);
        let odd = Expression::parse("x^1000001").unwrap();
        assert_eq!(odd.eval(&[-1.0]), -1.0);
    }

    /// The `expr` fuzz target's input fuzz/regressions/expr/tiny-power-of-a-negative-base:
    /// x^(π^−64) at x = −1 is NaN (a fractional power of a negative number), but num-dual's
    /// x^(p−3)·x³ rounded p − 3 to −3 and gave 1 with derivatives.
    #[test]
    fn powers_agree_with_and_without_derivatives_where_num_dual_s_formula_fails() {
        let cases: [(&str, f64); 6] = [
            ("x^pi^(-64)", -1.0), // p − 3 rounds to an integer
            ("x^0.5", 1e150),     // x³ overflows
            ("x^-1", 1e-110),     // x^(−4) overflows, x³ underflows: ∞·0
            ("x^-3", -1e-110),
            ("x^7", 3.0), // x^4·x³ is not powi(7) to the last bit
            ("x^2.5", 7.3),
        ];
        for (source, x) in cases {
            let e = Expression::parse(source).unwrap();
            let f = AutoDiff::new(e.clone());
            let mut g = [0.0];
            let value = f.value_grad(&[x], &mut g);
            assert_eq!(value.to_bits(), e.eval(&[x]).to_bits(), "{source} at {x}");
            // d/dx x^p = p·x^p/x, against the value computed independently.
            let p: f64 = match source {
                "x^7" => 7.0,
                "x^2.5" => 2.5,
                "x^0.5" => 0.5,
                "x^-1" => -1.0,
                "x^-3" => -3.0,
                _ => f64::NAN,
            };
            if p.is_finite() {
                assert_relative_eq!(g[0], p * e.eval(&[x]) / x, max_relative = 4.0 * f64::EPSILON);
            } else {
                assert!(value.is_nan() && g[0].is_nan());
            }
        }
    }

    #[test]
    fn powers_choose_powi_powf_or_powd() {
        let nodes = |s: &str| Expression::parse(s).unwrap().arena.nodes;
        assert!(nodes("x^2").contains(&Node::PowI(0, 2)));
        assert!(nodes("x^-1").iter().any(|n| matches!(n, Node::PowI(_, -1))));
        assert!(nodes("x^(1+1)").iter().any(|n| matches!(n, Node::PowI(_, 2))));
        assert!(nodes("x^0.5").contains(&Node::PowF(0, 0.5)));
        assert!(nodes("x^pi").contains(&Node::PowF(0, PI)));
        assert!(nodes("x^y").iter().any(|n| matches!(n, Node::PowD(..))));
        // powi keeps negative bases defined.
        let cube = Expression::parse("x^3").unwrap();
        assert_relative_eq!(cube.eval(&[-2.0]), -8.0);
    }

    #[test]
    fn variables_in_order_of_first_appearance() {
        let e = Expression::parse("y*x + y").unwrap();
        assert_eq!(e.variables(), ["y", "x"]);
        assert_eq!(e.dim(), 2);
        assert_relative_eq!(e.eval(&[2.0, 3.0]), 8.0);
        assert_eq!(e.source(), "y*x + y");
        assert_eq!(e.to_string(), "y*x + y");
        let names = Expression::parse("_a1 + b_2*B + pi").unwrap();
        assert_eq!(names.variables(), ["_a1", "b_2", "B"]);
        assert_eq!(Expression::parse("2+2").unwrap().dim(), 0);
    }

    #[test]
    fn with_variables_reorders() {
        let e = Expression::parse("y - 10*x").unwrap().with_variables(&["x", "y"]).unwrap();
        assert_eq!(e.variables(), ["x", "y"]);
        assert_relative_eq!(e.eval(&[1.0, 3.0]), -7.0);
        let same = Expression::parse("y - 10*x").unwrap().with_variables(&["y", "x"]).unwrap();
        assert_relative_eq!(same.eval(&[3.0, 1.0]), -7.0);
    }

    #[test]
    fn with_variables_rejects_unknown_missing_and_repeated_names() {
        let message = |names: &[&str]| match Expression::parse("y*x").unwrap().with_variables(names)
        {
            Err(Error::Variables { message }) => message,
            other => panic!("{names:?}: expected a variables error, got {other:?}"),
        };
        assert_eq!(message(&["x", "y", "z"]), "'z' is not used by the expression (it uses: y, x)");
        assert_eq!(
            message(&["x"]),
            "'y' is used by the expression but missing from the list (it uses: y, x)"
        );
        assert_eq!(message(&["x", "x", "y"]), "'x' is listed more than once");
        assert_eq!(message(&["x", "y", "x"]), "'x' is listed more than once");
        assert_eq!(
            message(&[]),
            "'y' is used by the expression but missing from the list (it uses: y, x)"
        );
    }

    #[test]
    fn rosenbrock_gradient_and_hessian_are_exact() {
        let e = Expression::parse("100*(y-x^2)^2+(1-x)^2")
            .unwrap()
            .with_variables(&["x", "y"])
            .unwrap();
        let f = AutoDiff::new(e);
        let (x, y) = (-1.2_f64, 1.0_f64);
        let mut g = [0.0; 2];
        let value = f.value_grad(&[x, y], &mut g);
        let r = y - x * x;
        assert_relative_eq!(value, 100.0 * r * r + (1.0 - x) * (1.0 - x));
        assert_relative_eq!(value, 24.2, max_relative = ROUNDING);
        // ∂f/∂x = −400x(y − x²) − 2(1 − x), ∂f/∂y = 200(y − x²)
        let expect_g = [-400.0 * x * r - 2.0 * (1.0 - x), 200.0 * r];
        assert_relative_eq!(expect_g[0], -215.6, max_relative = ROUNDING);
        assert_relative_eq!(expect_g[1], -88.0, max_relative = ROUNDING);
        for (got, expected) in g.iter().zip(expect_g) {
            assert_relative_eq!(*got, expected, max_relative = ROUNDING);
        }
        // ∇²f = [[1200x² − 400y + 2, −400x], [−400x, 200]] = [[1330, 480], [480, 200]]
        let expect_h = [[1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x], [-400.0 * x, 200.0]];
        let mut h = HessianMatrix::zeros(HessianStructure::Dense, 2);
        f.hessian(&[x, y], &mut h);
        for (i, row) in expect_h.iter().enumerate() {
            for (j, &expected) in row.iter().enumerate() {
                assert_relative_eq!(h.get(i, j), expected, max_relative = ROUNDING);
            }
        }
        assert_relative_eq!(h.get(0, 0), 1330.0, max_relative = ROUNDING);
        assert_relative_eq!(h.get(0, 1), 480.0, max_relative = ROUNDING);
    }

    #[test]
    fn x_to_the_y_at_a_negative_base_is_nan_in_value_and_gradient_alike() {
        // The `expr` fuzz target's input fuzz/regressions/expr/powd-value-disagrees-with-dual:
        // `x^y` at x < 0 was powf's finite value alone (`value`) and NaN with derivatives
        // (`value_grad`), so a line search and a gradient step saw different functions.
        let f = AutoDiff::new(Expression::parse("x^y").unwrap());
        let mut g = [0.0; 2];
        for point in [[-2.0, 2.0], [-3.5, 0.5], [-1.0, 1.0]] {
            assert!(f.value(&point).is_nan(), "{point:?}");
            assert!(f.value_grad(&point, &mut g).is_nan(), "{point:?}");
        }
        // At a positive base, the value alone and the value with the gradient are the same bits.
        for point in [[2.0, 3.0], [0.5, -1.5], [10.0, 0.1]] {
            let value = f.value(&point);
            assert_eq!(value.to_bits(), f.value_grad(&point, &mut g).to_bits(), "{point:?}");
            assert!((value - point[0].powf(point[1])).abs() <= 1e-14 * value.abs(), "{point:?}");
            assert!((g[1] - value * point[0].ln()).abs() <= 1e-12 * g[1].abs().max(1.0));
        }
    }

    /// Every function, `pi`, and each of powi, powf and powd, in x ∈ [0.1, 0.9] (for asin),
    /// y ∈ [0.5, 2] (for ln), z ∈ [−1, 1] (so that abs(z − 2) is smooth).
    const EVERYTHING: &str = "sin(x)*cos(y) + tan(x/2) + exp(z)*ln(y) + log(y+1) - sqrt(x+y) \
        + abs(z-2) + +tanh(z) + log10(y) + log2(x) + asin(x)*acos(x/2) + atan(z) \
        + sinh(z)/cosh(y) + y^x + x^2.5 + z^3 - pi*x^-2";

    fn everything_gradient(x: f64, y: f64, z: f64) -> [f64; 3] {
        let dx = x.cos() * y.cos() + 0.5 / (x / 2.0).cos().powi(2) - 0.5 / (x + y).sqrt()
            + 1.0 / (x * std::f64::consts::LN_2)
            + (x / 2.0).acos() / (1.0 - x * x).sqrt()
            - 0.5 * x.asin() / (1.0 - x * x / 4.0).sqrt()
            + y.powf(x) * y.ln()
            + 2.5 * x.powf(1.5)
            + 2.0 * PI / (x * x * x);
        let dy = -x.sin() * y.sin() + z.exp() / y + 1.0 / (y + 1.0) - 0.5 / (x + y).sqrt()
            + 1.0 / (y * std::f64::consts::LN_10)
            - z.sinh() * y.sinh() / y.cosh().powi(2)
            + x * y.powf(x - 1.0);
        let dz = z.exp() * y.ln() - 1.0
            + (1.0 - z.tanh().powi(2))
            + 1.0 / (1.0 + z * z)
            + z.cosh() / y.cosh()
            + 3.0 * z * z;
        [dx, dy, dz]
    }

    proptest! {
        #[test]
        fn dual_gradient_of_every_function_matches_hand_gradient(
            x in 0.1_f64..0.9,
            y in 0.5_f64..2.0,
            z in -1.0_f64..1.0,
        ) {
            let e = Expression::parse(EVERYTHING).unwrap().with_variables(&["x", "y", "z"]).unwrap();
            let f = AutoDiff::new(e);
            let mut g = [0.0; 3];
            f.value_grad(&[x, y, z], &mut g);
            let expected = everything_gradient(x, y, z);
            for k in 0..3 {
                let scale = g[k].abs().max(expected[k].abs()).max(1.0);
                prop_assert!(
                    (g[k] - expected[k]).abs() <= GRADIENT_RELATIVE * scale,
                    "∂f/∂x{k}: dual {} vs hand {}", g[k], expected[k]
                );
            }
        }
    }
}
