//! Printing and writing: human tables, JSON objects; files are written atomically by
//! [`descent_io`].

/// A file that appears at its path only when complete (descent-io's; every file the CLI writes
/// goes through it or [`descent_io::write_atomic`]).
pub use descent_io::AtomicFile;

/// A number as the tables show it: up to 6 significant digits, exponent when far from 1.
pub fn number(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    } else if x.is_finite() {
        let s = format!("{x:.4e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    } else {
        format!("{x}")
    }
}

/// A vector as `[a, b, …]`, eliding the middle of long ones.
pub fn vector(v: &[f64]) -> String {
    const SHOW: usize = 6;
    let items: Vec<String> = if v.len() <= 2 * SHOW {
        v.iter().map(|&x| number(x)).collect()
    } else {
        let mut items: Vec<String> = v[..SHOW].iter().map(|&x| number(x)).collect();
        items.push(format!("… ({} more) …", v.len() - 2 * SHOW));
        items.extend(v[v.len() - SHOW..].iter().map(|&x| number(x)));
        items
    };
    format!("[{}]", items.join(", "))
}

/// Prints `rows` as two aligned columns.
pub fn print_fields(rows: &[(&str, String)]) {
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (key, value) in rows {
        println!("{key:<width$}  {value}");
    }
}

/// Prints a table with a header row, columns padded to their widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Prints one JSON object on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_honest() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(1.0 / 3.0), "0.333333");
        assert_eq!(number(1e-9), "1e-9");
        assert_eq!(number(-2.5e-7), "-2.5e-7");
        assert_eq!(number(1.23456e12), "1.2346e12");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(vector(&[1.0, 2.5]), "[1, 2.5]");
        assert!(vector(&[0.0; 20]).contains("8 more"));
    }
}
