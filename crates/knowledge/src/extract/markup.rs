//! Markdown and HTML: sections at headings, each with its heading path.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use scraper::Html;

use super::{tidy, Extracted, Kind, Section};

/// Collects text into sections, starting a new one at every heading.
struct Sections {
    done: Vec<Section>,
    path: Vec<(usize, String)>,
    text: String,
    heading: Option<(usize, String)>,
}

impl Sections {
    fn new() -> Self {
        Sections {
            done: Vec::new(),
            path: Vec::new(),
            text: String::new(),
            heading: None,
        }
    }

    fn push(&mut self, s: &str) {
        match &mut self.heading {
            Some((_, h)) => h.push_str(s),
            None => self.text.push_str(s),
        }
    }

    fn flush(&mut self) {
        let text = tidy(&std::mem::take(&mut self.text));
        if !text.trim().is_empty() {
            self.done.push(Section {
                heading: self.path.iter().map(|(_, h)| h.clone()).collect(),
                text,
                ..Section::default()
            });
        }
    }

    fn start_heading(&mut self, level: usize) {
        self.flush();
        self.heading = Some((level, String::new()));
    }

    fn end_heading(&mut self) {
        if let Some((level, h)) = self.heading.take() {
            let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
            self.path.retain(|(l, _)| *l < level);
            // The heading is part of its section's text, so it is searchable.
            self.text = format!("{h}\n");
            self.path.push((level, h));
        }
    }

    fn finish(mut self, kind: Kind) -> Extracted {
        self.end_heading();
        self.flush();
        Extracted {
            kind,
            pages: None,
            sections: self.done,
            notes: Vec::new(),
        }
    }
}

pub fn markdown(text: &str) -> Extracted {
    let mut s = Sections::new();
    for ev in Parser::new(text) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => s.start_heading(level as usize),
            Event::End(TagEnd::Heading(_)) => s.end_heading(),
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => s.push(&t),
            Event::SoftBreak => s.push(" "),
            Event::HardBreak => s.push("\n"),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => s.push("\n\n"),
            Event::End(TagEnd::TableCell) => s.push(" | "),
            _ => {}
        }
    }
    s.finish(Kind::Markdown)
}

pub fn html(text: &str) -> Extracted {
    use ego_tree::iter::Edge;
    use scraper::Node;
    let doc = Html::parse_document(text);
    let mut s = Sections::new();
    let mut skip = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => match e.name() {
                    "script" | "style" | "noscript" | "template" | "head" => skip += 1,
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if skip == 0 => {
                        s.start_heading(e.name()[1..].parse().unwrap_or(1))
                    }
                    "br" => s.push("\n"),
                    _ => {}
                },
                Node::Text(t) if skip == 0 => s.push(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    match e.name() {
                        "script" | "style" | "noscript" | "template" | "head" => {
                            skip = skip.saturating_sub(1)
                        }
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if skip == 0 => s.end_heading(),
                        "p" | "div" | "li" | "tr" | "section" | "article" | "pre" | "table"
                        | "ul" | "ol" | "blockquote" => s.push("\n"),
                        "td" | "th" => s.push(" | "),
                        _ => {}
                    }
                }
            }
        }
    }
    s.finish(Kind::Html)
}
