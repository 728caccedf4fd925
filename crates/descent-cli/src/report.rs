//! A chapter-by-chapter document, told twice: as text on the terminal and as one
//! self-contained HTML page with its figures inline (no network needed to view it).

use std::fmt::Write as _;
use std::path::Path;

use crate::output::print_table;
use crate::plots::{self, Format};

/// A figure, rendered once in both formats.
pub struct Figure {
    /// The file stem (`ravine-paths`).
    pub name: String,
    /// One line under the figure.
    pub caption: String,
    /// The SVG document.
    pub svg: Vec<u8>,
    /// The PNG image.
    pub png: Vec<u8>,
}

impl Figure {
    /// Renders `draw` as SVG and as PNG.
    pub fn new(
        name: &str,
        caption: &str,
        draw: impl Fn(Format) -> anyhow::Result<Vec<u8>>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            caption: caption.to_owned(),
            svg: draw(Format::Svg)?,
            png: draw(Format::Png)?,
        })
    }
}

/// One piece of a chapter.
pub enum Block {
    /// A paragraph of prose (one line; wrapped for the terminal).
    Text(String),
    /// The title of a part of a chapter.
    Subheading(String),
    /// A table: header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A figure.
    Figure(Figure),
}

/// A chapter: a title and its blocks.
pub struct Section {
    /// The title.
    pub title: String,
    /// The content, in order.
    pub blocks: Vec<Block>,
}

/// Prints the sections on stdout, naming where each figure was written.
pub fn print(title: &str, sections: &[Section], out: &Path) {
    println!("{title}\n");
    for section in sections {
        println!("{}\n", section.title);
        for block in &section.blocks {
            match block {
                Block::Text(text) => println!("{}\n", wrap(text, 92, "  ")),
                Block::Subheading(title) => println!("  {title}\n"),
                Block::Table(header, rows) => {
                    let header: Vec<&str> = header.iter().map(String::as_str).collect();
                    print_table(&header, rows);
                    println!();
                }
                Block::Figure(f) => {
                    println!("  [figure: {}]\n", out.join(format!("{}.svg", f.name)).display());
                }
            }
        }
    }
    println!("The report with every figure: {}", out.join("index.html").display());
}

/// Writes `out/index.html` and every figure as `out/NAME.svg` and `out/NAME.png`.
pub fn write(title: &str, sections: &[Section], out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(html, "<title>{}</title>", escape(title));
    html.push_str(STYLE);
    html.push_str("</head>\n<body>\n");
    let _ = writeln!(html, "<h1>{}</h1>", escape(title));
    for section in sections {
        let _ = writeln!(html, "<section>\n<h2>{}</h2>", escape(&section.title));
        for block in &section.blocks {
            match block {
                Block::Text(text) => {
                    let _ = writeln!(html, "<p>{}</p>", escape(text));
                }
                Block::Subheading(title) => {
                    let _ = writeln!(html, "<h3>{}</h3>", escape(title));
                }
                Block::Table(header, rows) => {
                    html.push_str("<table>\n<tr>");
                    for h in header {
                        let _ = write!(html, "<th>{}</th>", escape(h));
                    }
                    html.push_str("</tr>\n");
                    for row in rows {
                        html.push_str("<tr>");
                        for cell in row {
                            let _ = write!(html, "<td>{}</td>", escape(cell));
                        }
                        html.push_str("</tr>\n");
                    }
                    html.push_str("</table>\n");
                }
                Block::Figure(f) => {
                    plots::write(&out.join(format!("{}.svg", f.name)), &f.svg)?;
                    plots::write(&out.join(format!("{}.png", f.name)), &f.png)?;
                    let svg = String::from_utf8_lossy(&f.svg);
                    // The SVG inline, without its XML declaration (not allowed inside HTML).
                    let svg = svg.trim_start_matches(|c| c != '<');
                    let svg = if svg.starts_with("<?xml") {
                        svg.split_once("?>").map_or(svg, |(_, rest)| rest.trim_start())
                    } else {
                        svg
                    };
                    let _ = writeln!(
                        html,
                        "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
                        escape(&f.name),
                        svg,
                        escape(&f.caption)
                    );
                }
            }
        }
        html.push_str("</section>\n");
    }
    html.push_str("</body>\n</html>\n");
    Ok(descent_io::write_atomic(out.join("index.html"), html.as_bytes())?)
}

const STYLE: &str = "<style>\n\
body { font-family: sans-serif; max-width: 900px; margin: 2em auto; line-height: 1.5; color: #222; }\n\
table { border-collapse: collapse; margin: 1em 0; }\n\
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }\n\
figure { margin: 1.5em 0; }\n\
figure svg { max-width: 100%; height: auto; }\n\
figcaption { font-size: 0.9em; color: #555; }\n\
</style>\n";

/// `text` with the HTML metacharacters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Word-wraps `text` at `width` characters, each line indented.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut lines = vec![String::from(indent)];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("at least one line");
        let len = line.chars().count();
        if len > indent.len() && len + 1 + word.chars().count() > width {
            lines.push(format!("{indent}{word}"));
        } else {
            if len > indent.len() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_wrapped() {
        assert_eq!(escape("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
        let wrapped = wrap("one two three four five", 12, "  ");
        assert_eq!(wrapped, "  one two\n  three four\n  five");
    }
}
