//! A small YAML reader for rule packs, used by the WebAssembly build in place of `serde_yaml`
//! (whose libyaml port was ~70 KB of the module). It reads the part of YAML that rule packs are
//! written in: block mappings and sequences (also a sequence at its key's indentation), flow
//! sequences and mappings (`[a, 'b', "c"]`, `{a: 1}`, on one line or several), plain,
//! single- and double-quoted scalars (with YAML escapes), literal and folded block scalars
//! (`|`, `>`, with `-`/`+` chomping) and comments. Anything else (anchors, aliases, tags,
//! several documents, multi-line quoted or plain scalars) is refused with the line it is on,
//! never read differently. The native build keeps `serde_yaml`; the tests check that both
//! read every embedded pack, and the constructs above, the same.

use crate::json::{Map, Number, Value};

/// Parses a YAML document into a JSON value. Errors name the line (1-based).
pub fn parse(text: &str) -> Result<Value, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let rest = &raw[indent..];
        if rest.starts_with('\t') && !rest.trim().is_empty() {
            return Err(format!("line {}: tab in indentation", i + 1));
        }
        lines.push(Line {
            number: i + 1,
            indent,
            text: rest.to_owned(),
        });
    }
    let mut p = Parser { lines, pos: 0 };
    p.skip_blank();
    if p.pos < p.lines.len() && p.lines[p.pos].text.trim_end() == "---" {
        p.pos += 1;
    }
    p.skip_blank();
    if p.pos >= p.lines.len() {
        return Ok(Value::Null);
    }
    let indent = p.lines[p.pos].indent;
    let value = p.block(indent)?;
    p.skip_blank();
    if let Some(line) = p.lines.get(p.pos) {
        return Err(format!(
            "line {}: unexpected content (a second document, or wrong indentation)",
            line.number
        ));
    }
    Ok(value)
}

struct Line {
    number: usize,
    indent: usize,
    text: String,
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
}

/// Whether a line holds nothing but blanks or a comment.
fn is_blank(text: &str) -> bool {
    let t = text.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Whether `text` starts a sequence item (`- x` or a lone `-`).
fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-\t")
}

impl Parser {
    fn skip_blank(&mut self) {
        while self.pos < self.lines.len() && is_blank(&self.lines[self.pos].text) {
            self.pos += 1;
        }
    }

    /// The next non-blank line's indentation, if any.
    fn next_indent(&mut self) -> Option<usize> {
        self.skip_blank();
        self.lines.get(self.pos).map(|l| l.indent)
    }

    fn err<T>(&self, reason: impl std::fmt::Display) -> Result<T, String> {
        let n = self
            .lines
            .get(self.pos)
            .or(self.lines.last())
            .map_or(0, |l| l.number);
        Err(format!("line {n}: {reason}"))
    }

    /// A block node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize) -> Result<Value, String> {
        let text = self.lines[self.pos].text.clone();
        if is_item(&text) {
            self.sequence(indent)
        } else if split_key(&text).is_some() {
            self.mapping(indent)
        } else {
            let number = self.lines[self.pos].number;
            self.pos += 1;
            let value = self.inline(&text, indent, number)?;
            Ok(value)
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Value, String> {
        let mut items = Vec::new();
        while self.next_indent() == Some(indent) && is_item(&self.lines[self.pos].text) {
            let line = &self.lines[self.pos];
            let after = &line.text[1..];
            let content = after.trim_start();
            if is_blank(content) {
                self.pos += 1;
                match self.next_indent() {
                    Some(n) if n > indent => items.push(self.block(n)?),
                    _ => items.push(Value::Null),
                }
                continue;
            }
            // The item's own content becomes a line at its column: "- id: x" starts a
            // mapping indented two columns in, whose next keys line up with `id`.
            let column = indent + 1 + (after.len() - content.len());
            let content = content.to_owned();
            let line = &mut self.lines[self.pos];
            line.indent = column;
            line.text = content;
            items.push(self.block(column)?);
        }
        Ok(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Value, String> {
        let mut map = Map::new();
        while self.next_indent() == Some(indent) {
            let line = &self.lines[self.pos];
            let number = line.number;
            if is_item(&line.text) {
                return self.err("a sequence item where a key was expected");
            }
            let Some((key, rest)) = split_key(&line.text) else {
                return self.err("expected `key: value`");
            };
            let key = scalar_key(&key).map_err(|e| format!("line {number}: {e}"))?;
            let rest = rest.to_owned();
            self.pos += 1;
            let value = if is_blank(&rest) {
                match self.next_indent() {
                    Some(n) if n > indent => self.block(n)?,
                    Some(n) if n == indent && is_item(&self.lines[self.pos].text) => {
                        self.sequence(indent)?
                    }
                    _ => Value::Null,
                }
            } else {
                self.inline(rest.trim_start(), indent, number)?
            };
            if !insert_new(&mut map, &key, value) {
                return Err(format!("line {number}: duplicate key `{key}`"));
            }
        }
        if let Some(n) = self.next_indent() {
            if n > indent {
                return self.err("unexpected indentation");
            }
        }
        Ok(Value::Object(map))
    }

    /// A value written after `key:` or `- ` on line `number` (already consumed); block
    /// scalars and flow collections may go on over the following lines.
    fn inline(&mut self, text: &str, indent: usize, number: usize) -> Result<Value, String> {
        let at = |e: String| format!("line {number}: {e}");
        match text.chars().next() {
            Some('|' | '>') => self.block_scalar(text, indent, number),
            Some('[' | '{') => {
                let mut source = text.to_owned();
                loop {
                    let mut flow = Flow {
                        s: source.as_bytes(),
                        text: &source,
                        i: 0,
                    };
                    match flow.value() {
                        Ok(v) => {
                            flow.space();
                            if !flow.at_end() {
                                return Err(at("unexpected text after a flow collection".into()));
                            }
                            return Ok(v);
                        }
                        Err(FlowError::Incomplete) if self.pos < self.lines.len() => {
                            let next = &self.lines[self.pos];
                            source.push(' ');
                            source.push_str(next.text.trim());
                            self.pos += 1;
                        }
                        Err(FlowError::Incomplete) => {
                            return Err(at("unterminated flow collection".into()))
                        }
                        Err(FlowError::Bad(e)) => return Err(at(e)),
                    }
                }
            }
            Some('&' | '*' | '!') => Err(at("anchors, aliases and tags are not supported".into())),
            Some('\'' | '"') => {
                let mut flow = Flow {
                    s: text.as_bytes(),
                    text,
                    i: 0,
                };
                let s = flow.quoted().map_err(|e| match e {
                    FlowError::Incomplete => at(
                        "unterminated or multi-line quoted string (write it on one line)".into(),
                    ),
                    FlowError::Bad(e) => at(e),
                })?;
                flow.space();
                if !flow.at_end() {
                    return Err(at("unexpected text after a quoted string".into()));
                }
                self.no_continuation(indent, number)?;
                Ok(Value::String(s))
            }
            _ => {
                let plain = strip_comment(text).trim_end();
                if plain.contains(": ") || plain.ends_with(':') {
                    return Err(at(
                        "a mapping cannot start after `key:` on the same line".into()
                    ));
                }
                self.no_continuation(indent, number)?;
                Ok(resolve_plain(plain))
            }
        }
    }

    /// Refuses a scalar that goes on over more-indented lines (a multi-line plain scalar).
    fn no_continuation(&mut self, indent: usize, number: usize) -> Result<(), String> {
        match self.next_indent() {
            Some(n) if n > indent => Err(format!(
                "line {number}: a value that goes on over several lines must be a block scalar (`>` or `|`)"
            )),
            _ => Ok(()),
        }
    }

    fn block_scalar(
        &mut self,
        header: &str,
        indent: usize,
        number: usize,
    ) -> Result<Value, String> {
        let header = strip_comment(header).trim_end();
        let folded = header.starts_with('>');
        let chomp = match &header[1..] {
            "" => Chomp::Clip,
            "-" => Chomp::Strip,
            "+" => Chomp::Keep,
            other => {
                return Err(format!(
                    "line {number}: unsupported block scalar header `{}{other}`",
                    &header[..1]
                ))
            }
        };
        // The lines that belong to it: blank ones, and those indented past the parent.
        let mut body: Vec<(usize, String)> = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.text.trim().is_empty() {
                body.push((usize::MAX, String::new()));
            } else if line.indent > indent {
                body.push((line.indent, line.text.clone()));
            } else {
                break;
            }
            self.pos += 1;
        }
        let content_indent = body
            .iter()
            .map(|(n, _)| *n)
            .find(|&n| n != usize::MAX)
            .unwrap_or(usize::MAX);
        let lines: Vec<String> = body
            .into_iter()
            .map(|(n, text)| {
                if n == usize::MAX {
                    String::new()
                } else {
                    format!("{}{text}", " ".repeat(n - content_indent))
                }
            })
            .collect();
        let trailing_blank = lines.iter().rev().take_while(|l| l.is_empty()).count();
        let content = &lines[..lines.len() - trailing_blank];
        let mut out = String::new();
        if folded {
            // Folding: a break between two text lines becomes a space; a break followed by
            // empty lines is dropped and each empty line stands for one break; breaks next
            // to a more-indented line are kept.
            for (i, line) in content.iter().enumerate() {
                let more = line.starts_with(' ');
                let prev = i.checked_sub(1).map(|p| content[p].as_str());
                let kept_break = match prev {
                    None => false,
                    // A break before an empty line is dropped, unless after a more-indented one.
                    Some(prev) if line.is_empty() => prev.starts_with(' '),
                    // A break after empty lines: they stood for it, unless this one is indented.
                    Some("") => more,
                    Some(prev) => {
                        if !more && !prev.starts_with(' ') {
                            out.push(' ');
                        }
                        more || prev.starts_with(' ')
                    }
                };
                if kept_break {
                    out.push('\n');
                }
                if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(line);
                }
            }
        } else {
            out = content.join("\n");
        }
        if !content.is_empty() {
            match chomp {
                Chomp::Strip => {}
                Chomp::Clip => out.push('\n'),
                Chomp::Keep => {
                    out.push('\n');
                    out.push_str(&"\n".repeat(trailing_blank));
                }
            }
        } else if chomp == Chomp::Keep {
            out.push_str(&"\n".repeat(trailing_blank));
        }
        Ok(Value::String(out))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Splits `key: rest` (or `key:` at the end of the line); `None` if the line has no such colon
/// outside quotes.
fn split_key(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    let key_end = match bytes.first() {
        Some(b'\'' | b'"') => {
            let mut flow = Flow {
                s: bytes,
                text,
                i: 0,
            };
            flow.quoted().ok()?;
            flow.i
        }
        Some(b'#' | b'[' | b'{' | b'|' | b'>') | None => return None,
        _ => {
            let mut i = 0;
            loop {
                let rest = &text[i..];
                let c = rest.find(':')?;
                let end = i + c;
                if text[..end].contains(" #") {
                    return None;
                }
                if matches!(bytes.get(end + 1), None | Some(b' ' | b'\t')) {
                    break end;
                }
                i = end + 1;
            }
        }
    };
    let after = text[key_end..].trim_start_matches([' ', '\t']);
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((text[..key_end].to_owned(), rest))
}

fn scalar_key(key: &str) -> Result<String, String> {
    if key.starts_with(['\'', '"']) {
        let mut flow = Flow {
            s: key.as_bytes(),
            text: key,
            i: 0,
        };
        return flow.quoted().map_err(|_| "bad quoted key".to_owned());
    }
    if key.starts_with(['&', '*', '!', '?']) {
        return Err("anchors, aliases, tags and complex keys are not supported".into());
    }
    Ok(key.trim_end().to_owned())
}

/// A plain scalar without a trailing ` # comment`.
fn strip_comment(text: &str) -> &str {
    if text.starts_with('#') {
        return "";
    }
    match text.find(" #").or_else(|| text.find("\t#")) {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Adds `key` to `map` unless it is there already (YAML refuses a repeated key).
fn insert_new(map: &mut Map, key: &str, value: Value) -> bool {
    if map.iter().any(|(k, _)| k == key) {
        return false;
    }
    map.push((key.to_owned(), value));
    true
}

/// The YAML 1.2 core schema for a plain scalar: null, booleans, numbers, else a string.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(n) = s.strip_prefix(prefix) {
            if let Ok(n) = i64::from_str_radix(n, radix) {
                return Value::Number(n.into());
            }
        }
    }
    // A number with a leading zero (`007`) stays a string, as serde_yaml reads it.
    if digits.len() > 1 && digits.starts_with('0') && digits.as_bytes()[1].is_ascii_digit() {
        return Value::String(s.to_owned());
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = s.parse::<i64>() {
            return Value::Number(n.into());
        }
    }
    let float_like = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().any(|b| b.is_ascii_digit());
    if float_like {
        if let Some(n) = crate::float::parse(s) {
            return Value::Number(Number::F64(n));
        }
    }
    Value::String(s.to_owned())
}

enum FlowError {
    /// The text ended inside the construct (a flow collection may go on on the next line).
    Incomplete,
    Bad(String),
}

/// A cursor over one line (or several joined lines) of flow syntax.
struct Flow<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Flow<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len() || self.s[self.i] == b'#'
    }

    fn space(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, FlowError> {
        self.space();
        match self.s.get(self.i) {
            None => Err(FlowError::Incomplete),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.space();
                    match self.s.get(self.i) {
                        None => return Err(FlowError::Incomplete),
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => {}
                    }
                    items.push(self.value()?);
                    self.space();
                    match self.s.get(self.i) {
                        None => return Err(FlowError::Incomplete),
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        Some(_) => return Err(FlowError::Bad("expected `,` or `]`".into())),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut map = Map::new();
                loop {
                    self.space();
                    match self.s.get(self.i) {
                        None => return Err(FlowError::Incomplete),
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Object(map));
                        }
                        _ => {}
                    }
                    let key = match self.value()? {
                        Value::String(k) => k,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    self.space();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(FlowError::Bad("expected `:` in a flow mapping".into()));
                    }
                    self.i += 1;
                    self.space();
                    let value = match self.s.get(self.i) {
                        Some(b',' | b'}') => Value::Null,
                        _ => self.value()?,
                    };
                    if !insert_new(&mut map, &key, value) {
                        return Err(FlowError::Bad(format!("duplicate key `{key}`")));
                    }
                    self.space();
                    match self.s.get(self.i) {
                        None => return Err(FlowError::Incomplete),
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        Some(_) => return Err(FlowError::Bad("expected `,` or `}`".into())),
                    }
                }
            }
            Some(b'\'' | b'"') => self.quoted().map(Value::String),
            Some(b'&' | b'*' | b'!') => Err(FlowError::Bad(
                "anchors, aliases and tags are not supported".into(),
            )),
            Some(_) => {
                // A plain scalar inside a flow collection ends at `,`, `]`, `}` or `: `.
                let start = self.i;
                while let Some(&b) = self.s.get(self.i) {
                    if matches!(b, b',' | b']' | b'}')
                        || b == b':' && matches!(self.s.get(self.i + 1), None | Some(b' ' | b','))
                        || b == b'#' && self.i > start && self.s[self.i - 1] == b' '
                    {
                        break;
                    }
                    self.i += 1;
                }
                Ok(resolve_plain(self.text[start..self.i].trim_end()))
            }
        }
    }

    /// A single- or double-quoted scalar starting at the cursor, on this line.
    fn quoted(&mut self) -> Result<String, FlowError> {
        let quote = self.s[self.i];
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let Some(c) = rest.chars().next() else {
                return Err(FlowError::Incomplete);
            };
            self.i += c.len_utf8();
            match (quote, c) {
                (b'\'', '\'') => {
                    if self.s.get(self.i) == Some(&b'\'') {
                        out.push('\'');
                        self.i += 1;
                    } else {
                        return Ok(out);
                    }
                }
                (b'"', '"') => return Ok(out),
                (b'"', '\\') => out.push(self.escape()?),
                _ => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, FlowError> {
        let Some(&b) = self.s.get(self.i) else {
            return Err(FlowError::Incomplete);
        };
        self.i += 1;
        let hex = |this: &mut Self, n: usize| -> Result<char, FlowError> {
            let digits = this
                .text
                .get(this.i..this.i + n)
                .ok_or_else(|| FlowError::Bad("short escape".into()))?;
            this.i += n;
            u32::from_str_radix(digits, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| FlowError::Bad(format!("bad escape `{digits}`")))
        };
        Ok(match b {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' | b'\t' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => hex(self, 2)?,
            b'u' => hex(self, 4)?,
            b'U' => hex(self, 8)?,
            other => {
                return Err(FlowError::Bad(format!(
                    "unknown escape `\\{}` in a double-quoted string",
                    other as char
                )))
            }
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::parse;
    use crate::json::Value;

    fn same_as_serde_yaml(text: &str) {
        let expected: Value = serde_yaml::from_str(text).expect("serde_yaml reads it");
        let got = parse(text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
        assert_eq!(got, expected, "\n---\n{text}");
    }

    #[test]
    fn reads_every_embedded_pack_as_serde_yaml_does() {
        for (file, yaml) in super::super::EMBEDDED_YAML {
            let expected: Value = serde_yaml::from_str(yaml).expect("valid YAML");
            let got = parse(yaml).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(got, expected, "{file}");
        }
    }

    #[test]
    fn reads_the_constructs_it_supports_as_serde_yaml_does() {
        for text in [
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: null\nf: ~\ng:\nh: hello world\n",
            "# comment\nrules:\n  - id: x.y   # trailing comment\n    keywords: [a, 'b c', \"d\\te\", it's]\n    score: 40\n",
            "rules:\n- id: a\n  patterns: ['x''y', \"\\u00e9\\x41\"]\n- id: b\n",
            "k: >\n  folded text\n  over lines\n\n  new paragraph\nnext: |\n  literal\n    indented\n  text\n",
            "a: >-\n  stripped\n  text\n\nb: |+\n  kept\n\nc: x\n",
            "a: [1, [2, 3], {x: 1, y: 'z'}]\nb: {}\nc: []\n",
            "a: [one,\n  two, three]\n",
            "url: http://example.com/a#b\nq: 'a: b'\n\"quoted key\": 1\n",
            "- a\n- - b\n  - c\n-\n  k: v\n",
            "---\nname: x\n",
            "a: >\n  one\n    more\n  two\n\n\n  three\nb: yes\nc: 1e3\nd: .5\ne: +1\nf: 0x10\ng: 007\nh: 0o17\ni: -3.25e-2\nj: 0\n",
            "- description: |\n    text\n  id: x\n- key with spaces: v\n",
            "a: 'it''s # not a comment'\nb: x # comment\nc: \"#\"\n",
        ] {
            same_as_serde_yaml(text);
        }
    }

    #[test]
    fn refuses_what_it_does_not_read_with_the_line() {
        for (text, line) in [
            ("a: &x 1\nb: *x\n", "line 1"),
            ("a:\n\tb: 1\n", "line 2"),
            ("a: 'open\n", "line 1"),
            ("a: [1, 2\n", "line 1"),
            ("a: plain\n  continued\n", "line 1"),
            ("a: 1\na: 2\n", "line 2"),
            ("a: 1\n---\nb: 2\n", "line 2"),
            ("a: \"\\q\"\n", "line 1"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.starts_with(line), "{text:?}: {e}");
        }
    }
}
