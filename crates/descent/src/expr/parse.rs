//! Lexer and recursive-descent parser for [`Expression`](super::Expression).
//!
//! Tokens are read one at a time as the parser asks for them, so the error reported is always
//! the leftmost one. Columns count characters from 1.

use super::{Arena, Function, Link, Node, Op};
use crate::{Error, Result};

/// Deepest nesting of parentheses, unary signs and powers accepted. Parsing recurses once per
/// level and evaluation at most a few times, so this bounds the stack either needs: a
/// parenthesis level takes about 1 KiB of parser stack optimised and 7 KiB unoptimised, so 256
/// levels fit a spawned thread's default 2 MiB even in a debug build.
pub(super) const MAX_DEPTH: usize = 256;

/// Parses `source` into a tree, its root, and the variables in order of first appearance.
pub(super) fn parse(source: &str) -> Result<(Arena, usize, Vec<String>)> {
    let mut parser = Parser {
        chars: source.chars().collect(),
        pos: 0,
        peeked: None,
        depth: 0,
        arena: Arena::default(),
        variables: Vec::new(),
    };
    let root = parser.sum()?;
    let token = parser.next()?;
    match token.kind {
        Kind::End => Ok((parser.arena, root, parser.variables)),
        Kind::RParen => Err(unexpected_paren(token)),
        _ => Err(parser.expected_operator(token)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Number(f64),
    Ident,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    End,
}

/// A token: its kind and its characters `chars[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

impl Token {
    /// 1-based character column of the token's first character.
    fn column(self) -> usize {
        self.start + 1
    }
}

struct Parser {
    chars: Vec<char>,
    /// Index of the next unread character; its column is `pos + 1`.
    pos: usize,
    peeked: Option<Token>,
    depth: usize,
    arena: Arena,
    variables: Vec<String>,
}

impl Parser {
    fn lex(&mut self) -> Result<Token> {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
        let start = self.pos;
        let at = |k: usize| self.chars.get(k).copied();
        let Some(c) = at(start) else {
            return Ok(Token { kind: Kind::End, start, end: start });
        };
        let is_digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        let kind = if c.is_ascii_digit() || (c == '.' && is_digit(at(start + 1))) {
            let mut end = start;
            while is_digit(at(end)) {
                end += 1;
            }
            if at(end) == Some('.') {
                end += 1;
                while is_digit(at(end)) {
                    end += 1;
                }
            }
            // An exponent only if digits follow, so that `2e` or `2exp(x)` reads as a number
            // followed by an identifier and is reported as a missing operator.
            if matches!(at(end), Some('e' | 'E')) {
                let sign = usize::from(matches!(at(end + 1), Some('+' | '-')));
                if is_digit(at(end + 1 + sign)) {
                    end += 1 + sign;
                    while is_digit(at(end)) {
                        end += 1;
                    }
                }
            }
            self.pos = end;
            let text: String = self.chars[start..end].iter().collect();
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Kind::Number(value),
                _ => return Err(syntax(start + 1, format!("number '{text}' is too large"))),
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start;
            while at(end).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                end += 1;
            }
            self.pos = end;
            Kind::Ident
        } else {
            self.pos += 1;
            match c {
                '+' => Kind::Plus,
                '-' => Kind::Minus,
                '*' => Kind::Star,
                '/' => Kind::Slash,
                '^' => Kind::Caret,
                '(' => Kind::LParen,
                ')' => Kind::RParen,
                _ => return Err(syntax(start + 1, format!("unexpected character '{c}'"))),
            }
        };
        Ok(Token { kind, start, end: self.pos })
    }

    fn peek(&mut self) -> Result<Token> {
        if let Some(token) = self.peeked {
            return Ok(token);
        }
        let token = self.lex()?;
        self.peeked = Some(token);
        Ok(token)
    }

    fn next(&mut self) -> Result<Token> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lex(),
        }
    }

    fn text(&self, token: Token) -> String {
        self.chars[token.start..token.end].iter().collect()
    }

    /// `sum := product (('+' | '-') product)*`, one [`Node::Chain`] for the whole sum.
    fn sum(&mut self) -> Result<usize> {
        self.chain(Self::product, |kind| match kind {
            Kind::Plus => Some(Op::Add),
            Kind::Minus => Some(Op::Sub),
            _ => None,
        })
    }

    /// `product := unary (('*' | '/') unary)*`.
    fn product(&mut self) -> Result<usize> {
        self.chain(Self::unary, |kind| match kind {
            Kind::Star => Some(Op::Mul),
            Kind::Slash => Some(Op::Div),
            _ => None,
        })
    }

    fn chain(
        &mut self,
        operand: fn(&mut Self) -> Result<usize>,
        op: fn(Kind) -> Option<Op>,
    ) -> Result<usize> {
        let first = operand(self)?;
        // Operands may contain chains of their own, so this chain's links are gathered here
        // and stored contiguously at the end.
        let mut links = Vec::new();
        while let Some(op) = op(self.peek()?.kind) {
            self.next()?;
            links.push(Link { op, operand: operand(self)? });
        }
        if links.is_empty() {
            return Ok(first);
        }
        let start = self.arena.links.len();
        self.arena.links.extend(links);
        let end = self.arena.links.len();
        Ok(self.arena.push(Node::Chain { first, start, end }))
    }

    /// `unary := ('-' | '+') unary | power`. Every recursion of the grammar passes through
    /// here, so the nesting limit is checked here.
    fn unary(&mut self) -> Result<usize> {
        self.depth += 1;
        let token = self.peek()?;
        if self.depth > MAX_DEPTH {
            return Err(too_deep(token));
        }
        let node = match token.kind {
            Kind::Minus => {
                self.next()?;
                let operand = self.unary()?;
                self.arena.push(Node::Neg(operand))
            }
            Kind::Plus => {
                self.next()?;
                self.unary()?
            }
            _ => self.power()?,
        };
        self.depth -= 1;
        Ok(node)
    }

    /// `power := primary ('^' unary)?`: right-associative through `unary`, which also allows
    /// `2^-1`.
    fn power(&mut self) -> Result<usize> {
        let base = self.primary()?;
        if self.peek()?.kind != Kind::Caret {
            return Ok(base);
        }
        self.next()?;
        let exponent = self.unary()?;
        Ok(self.arena.power(base, exponent))
    }

    /// `primary := number | 'pi' | variable | function '(' sum ')' | '(' sum ')'`.
    fn primary(&mut self) -> Result<usize> {
        let token = self.next()?;
        match token.kind {
            Kind::Number(value) => Ok(self.arena.push(Node::Number(value))),
            Kind::Ident => {
                let name = self.text(token);
                if let Some(function) = Function::from_name(&name) {
                    let open = self.next()?;
                    if open.kind != Kind::LParen {
                        return Err(expected_paren_after(open, &name));
                    }
                    let argument = self.parenthesised(open)?;
                    Ok(self.arena.push(Node::Call(function, argument)))
                } else if name == "pi" {
                    Ok(self.arena.push(Node::Number(std::f64::consts::PI)))
                } else if self.peek()?.kind == Kind::LParen {
                    Err(unknown_function(token, &name))
                } else {
                    Ok(self.variable(name))
                }
            }
            Kind::LParen => self.parenthesised(token),
            Kind::RParen => Err(unexpected_paren(token)),
            _ => Err(self.expected_expression(token)),
        }
    }

    fn variable(&mut self, name: String) -> usize {
        let index = if let Some(index) = self.variables.iter().position(|v| *v == name) {
            index
        } else {
            self.variables.push(name);
            self.variables.len() - 1
        };
        self.arena.push(Node::Variable(index))
    }

    /// The `sum ')'` after the `(` token `open`.
    fn parenthesised(&mut self, open: Token) -> Result<usize> {
        let inner = self.sum()?;
        let close = self.next()?;
        if close.kind == Kind::RParen { Ok(inner) } else { Err(self.unclosed(open, close)) }
    }

    // The errors, out of line: `format!` inflates the frames of the recursive functions above
    // in unoptimised builds, and the nesting limit depends on those frames staying small.

    #[cold]
    #[inline(never)]
    fn describe(&self, token: Token) -> String {
        match token.kind {
            Kind::End => "end of input".into(),
            _ => format!("'{}'", self.text(token)),
        }
    }

    #[cold]
    #[inline(never)]
    fn expected_operator(&self, token: Token) -> Error {
        let found = self.describe(token);
        syntax(token.column(), format!("expected an operator, found {found}"))
    }

    #[cold]
    #[inline(never)]
    fn expected_expression(&self, token: Token) -> Error {
        let found = self.describe(token);
        syntax(token.column(), format!("expected an expression, found {found}"))
    }

    #[cold]
    #[inline(never)]
    fn unclosed(&self, open: Token, close: Token) -> Error {
        let open = open.column();
        let message = if close.kind == Kind::End {
            format!("expected ')' to close '(' at column {open}")
        } else {
            let found = self.describe(close);
            format!("expected an operator or ')' to close '(' at column {open}, found {found}")
        };
        syntax(close.column(), message)
    }
}

impl Arena {
    /// The node for `base^exponent`, see "Powers" in the module doc.
    fn power(&mut self, base: usize, exponent: usize) -> usize {
        let node = if self.uses_variables(exponent) {
            Node::PowD(base, exponent)
        } else {
            // The same f64 arithmetic evaluation would do, done once; the exponent's nodes
            // stay in the arena, unreferenced.
            let p: f64 = self.eval(exponent, &[]);
            if p.fract() == 0.0 && p.abs() <= f64::from(i32::MAX) {
                #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
                Node::PowI(base, p as i32)
            } else {
                Node::PowF(base, p)
            }
        };
        self.push(node)
    }
}

fn syntax(column: usize, message: String) -> Error {
    Error::Syntax { column, message }
}

#[cold]
#[inline(never)]
fn unexpected_paren(token: Token) -> Error {
    syntax(token.column(), "unexpected ')'".into())
}

#[cold]
#[inline(never)]
fn too_deep(token: Token) -> Error {
    syntax(token.column(), format!("expression nested too deeply (more than {MAX_DEPTH} levels)"))
}

#[cold]
#[inline(never)]
fn expected_paren_after(token: Token, function: &str) -> Error {
    syntax(token.column(), format!("expected '(' after function '{function}'"))
}

#[cold]
#[inline(never)]
fn unknown_function(token: Token, name: &str) -> Error {
    syntax(token.column(), format!("unknown function '{name}'"))
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::super::Expression;
    use super::*;

    fn error(source: &str) -> (usize, String) {
        match Expression::parse(source) {
            Err(Error::Syntax { column, message }) => (column, message),
            other => panic!("{source:?}: expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_name_the_column() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "expected an expression, found end of input"),
            ("   ", 4, "expected an expression, found end of input"),
            ("1+", 3, "expected an expression, found end of input"),
            (")", 1, "unexpected ')'"),
            ("(1+2))", 6, "unexpected ')'"),
            ("()", 2, "unexpected ')'"),
            ("1+(2*3", 7, "expected ')' to close '(' at column 3"),
            ("sin(x", 6, "expected ')' to close '(' at column 4"),
            ("(1 2)", 4, "expected an operator or ')' to close '(' at column 1, found '2'"),
            ("sinn(x)", 1, "unknown function 'sinn'"),
            ("x + f(2)", 5, "unknown function 'f'"),
            ("1 + $", 5, "unexpected character '$'"),
            ("x, y", 2, "unexpected character ','"),
            ("sin x", 5, "expected '(' after function 'sin'"),
            ("sin", 4, "expected '(' after function 'sin'"),
            ("2 * log + 1", 9, "expected '(' after function 'log'"),
            ("2x", 2, "expected an operator, found 'x'"),
            ("2 x", 3, "expected an operator, found 'x'"),
            ("2exp(x)", 2, "expected an operator, found 'exp'"),
            ("(1)(2)", 4, "expected an operator, found '('"),
            ("pi(2)", 3, "expected an operator, found '('"),
            ("1.5.2", 4, "expected an operator, found '.2'"),
            ("2 * * 3", 5, "expected an expression, found '*'"),
            ("^2", 1, "expected an expression, found '^'"),
            ("1e999", 1, "number '1e999' is too large"),
            ("x ** 2", 4, "expected an expression, found '*'"),
        ];
        for &(source, column, message) in cases {
            assert_eq!(error(source), (column, message.into()), "{source:?}");
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // 'é' and 'π' are two bytes each in UTF-8; the columns count them once.
        assert_eq!(error("é"), (1, "unexpected character 'é'".into()));
        assert_eq!(error("1 + π"), (5, "unexpected character 'π'".into()));
        assert_eq!(error("1 + 2 * (3 £ 4)"), (12, "unexpected character '£'".into()));
        assert_eq!(error("1 + π + )"), (5, "unexpected character 'π'".into()));
        // An error after a multi-byte character: the byte offset would say 10.
        assert_eq!(
            error("\u{3000}ab + c)"),
            (8, "unexpected ')'".into()),
            "ideographic space (3 bytes) is whitespace"
        );
    }

    #[test]
    fn leftmost_error_wins() {
        // Tokens are read on demand, so the ')' is reported before the '$' after it.
        assert_eq!(error(")$"), (1, "unexpected ')'".into()));
    }

    #[test]
    fn nesting_is_capped() {
        let deep = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
        let ok = Expression::parse(&deep(MAX_DEPTH - 1)).unwrap();
        assert_relative_eq!(ok.eval(&[2.0]), 2.0);
        let (column, message) = error(&deep(MAX_DEPTH));
        assert_eq!(column, MAX_DEPTH + 1, "the 'x' that would be level 257");
        assert_eq!(message, "expression nested too deeply (more than 256 levels)");
        // Far deeper input fails the same way instead of overflowing the stack.
        assert_eq!(error(&deep(100_000)).0, MAX_DEPTH + 1);
        assert_eq!(error(&"-".repeat(100_000)).0, MAX_DEPTH + 1);
        assert_eq!(error(&"2^".repeat(100_000)).0, 2 * MAX_DEPTH + 1);
        // Long flat sums and products are loops, not nesting.
        let long = vec!["x"; 100_000].join(" + ");
        assert_relative_eq!(Expression::parse(&long).unwrap().eval(&[1.0]), 100_000.0);
        let long = vec!["x"; 100_000].join(" * ");
        assert_relative_eq!(Expression::parse(&long).unwrap().eval(&[1.0]), 1.0);
    }
}
