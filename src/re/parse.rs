//! The pattern syntax: a pattern string parsed into a [`Hir`], the tree the compiler turns into
//! an automaton. The syntax is the regex crate's (the rules were written for it), less what the
//! rules cannot use here: Unicode properties (`\pL`), Unicode case folding (views are
//! lower-cased instead, see `src/rules/case.rs`), octal escapes and the `\<` `\>` word-edge
//! assertions. Each of those is refused with an error, never silently read as something else.

use super::unicode_table::{DIGIT, SPACE, WORD};
use super::Error;

/// Counted repetitions above this are refused (`a{1001}`): the automaton copies the repeated
/// part once per count.
const MAX_REPEAT: u32 = 1000;
/// Groups nested deeper than this are refused, which bounds the parser's and compiler's
/// recursion.
const MAX_NEST: usize = 200;

/// An assertion about a position: where it is in the text or in its line, or whether it sits
/// between a word character and a non-word one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// `^` (`\A`): the start of the text.
    Start,
    /// `$` (`\z`): the end of the text.
    End,
    /// `(?m:^)`: the start of the text or just after `\n`.
    StartLine,
    /// `(?m:$)`: the end of the text or just before `\n`.
    EndLine,
    /// `\b`: Unicode word characters on one side only.
    Word,
    /// `\B`.
    NotWord,
    /// `(?-u:\b)`: ASCII word characters on one side only.
    WordAscii,
    /// `(?-u:\B)`.
    NotWordAscii,
}

/// A set of ranges: of Unicode scalar values, or of bytes (a class in `(?-u)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Class {
    /// Sorted, not overlapping, not adjacent.
    pub ranges: Vec<(u32, u32)>,
    pub bytes: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hir {
    Empty,
    Literal(Vec<u8>),
    Class(Class),
    Look(Look),
    Repeat {
        min: u32,
        max: Option<u32>,
        greedy: bool,
        sub: Box<Hir>,
    },
    /// A capture group; group 0 is the whole match and has no node.
    Capture {
        index: u32,
        sub: Box<Hir>,
    },
    Concat(Vec<Hir>),
    Alt(Vec<Hir>),
}

/// A parsed pattern: its tree and the names of its groups (index 0 is the whole match).
#[derive(Debug)]
pub(crate) struct Parsed {
    pub hir: Hir,
    pub names: Vec<Option<String>>,
}

#[derive(Clone, Copy)]
struct Flags {
    case_insensitive: bool,
    multi_line: bool,
    dot_nl: bool,
    swap_greed: bool,
    unicode: bool,
    verbose: bool,
}

pub(crate) fn parse(pattern: &str) -> Result<Parsed, Error> {
    let mut p = Parser {
        chars: pattern.char_indices().collect(),
        pattern,
        pos: 0,
        names: vec![None],
        depth: 0,
    };
    let mut flags = Flags {
        case_insensitive: false,
        multi_line: false,
        dot_nl: false,
        swap_greed: false,
        unicode: true,
        verbose: false,
    };
    let hir = p.alternation(&mut flags)?;
    if p.pos < p.chars.len() {
        // Only an unopened `)` stops the top-level alternation early.
        return Err(p.error("unopened group"));
    }
    Ok(Parsed {
        hir,
        names: p.names,
    })
}

struct Parser<'p> {
    chars: Vec<(usize, char)>,
    pattern: &'p str,
    pos: usize,
    names: Vec<Option<String>>,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> Error {
        let at = self
            .chars
            .get(self.pos)
            .map_or(self.pattern.len(), |&(i, _)| i);
        Error::new(format!("{what} (at byte {at} of the pattern)"))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// In verbose mode (`x`), skips whitespace and `#` comments.
    fn skip_verbose(&mut self, flags: &Flags) {
        if !flags.verbose {
            return;
        }
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += 1;
            } else if c == '#' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    /// Branches separated by `|`, up to an unmatched `)` or the end.
    fn alternation(&mut self, flags: &mut Flags) -> Result<Hir, Error> {
        let mut branches = vec![self.concat(flags)?];
        while self.eat('|') {
            branches.push(self.concat(flags)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Hir::Empty)
        } else {
            Hir::Alt(branches)
        })
    }

    fn concat(&mut self, flags: &mut Flags) -> Result<Hir, Error> {
        let mut items: Vec<Hir> = Vec::new();
        loop {
            self.skip_verbose(flags);
            let Some(c) = self.peek() else { break };
            let atom = match c {
                '|' | ')' => break,
                '*' | '+' | '?' | '{' => {
                    return Err(self.error("repetition operator missing expression"))
                }
                '(' => {
                    self.pos += 1;
                    match self.group(flags)? {
                        Some(hir) => hir,
                        // A flag group `(?i)`: it changed `flags` for the rest of this group.
                        None => continue,
                    }
                }
                '[' => {
                    self.pos += 1;
                    let class = self.class(flags)?;
                    Hir::Class(class)
                }
                '.' => {
                    self.pos += 1;
                    dot(flags)
                }
                '^' => {
                    self.pos += 1;
                    Hir::Look(if flags.multi_line {
                        Look::StartLine
                    } else {
                        Look::Start
                    })
                }
                '$' => {
                    self.pos += 1;
                    Hir::Look(if flags.multi_line {
                        Look::EndLine
                    } else {
                        Look::End
                    })
                }
                '\\' => {
                    self.pos += 1;
                    self.escape(flags)?
                }
                _ => {
                    // A run of plain characters joins the literal before it in one step, all but
                    // a last one that a quantifier follows (most of a rule's text is words).
                    if let Some(run) = self.literal_run(flags) {
                        match items.last_mut() {
                            Some(Hir::Literal(previous)) => previous.extend_from_slice(run),
                            _ => items.push(Hir::Literal(run.to_vec())),
                        }
                        continue;
                    }
                    self.pos += 1;
                    // A plain character with no quantifier after it joins the literal before it
                    // without a node of its own.
                    if !flags.case_insensitive && (flags.unicode || c.is_ascii()) {
                        self.skip_verbose(flags);
                        if !matches!(self.peek(), Some('*' | '+' | '?' | '{')) {
                            let mut buf = [0; 4];
                            let bytes = c.encode_utf8(&mut buf).as_bytes();
                            match items.last_mut() {
                                Some(Hir::Literal(previous)) => previous.extend_from_slice(bytes),
                                _ => items.push(Hir::Literal(bytes.to_vec())),
                            }
                            continue;
                        }
                    }
                    literal(c, flags).map_err(|e| self.error(e))?
                }
            };
            let atom = self.repetitions(atom, flags)?;
            // Adjacent literals as one (`ignore` is one node of six bytes, not six nodes): the
            // tree and the compiler's work over it are several times smaller.
            if let (Hir::Literal(bytes), Some(Hir::Literal(previous))) = (&atom, items.last_mut()) {
                previous.extend_from_slice(bytes);
                continue;
            }
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Hir::Empty,
            1 => items.pop().unwrap_or(Hir::Empty),
            _ => Hir::Concat(items),
        })
    }

    /// The bytes of the plain characters from here on, consumed, unless they number fewer than
    /// two: characters that are no operator, outside verbose mode and case folding, and
    /// without the last one when a quantifier follows it (it is that quantifier's atom).
    fn literal_run(&mut self, flags: &Flags) -> Option<&[u8]> {
        if flags.case_insensitive || flags.verbose {
            return None;
        }
        let plain = |c: char| {
            !matches!(
                c,
                '|' | ')' | '*' | '+' | '?' | '{' | '(' | '[' | '.' | '^' | '$' | '\\'
            ) && (flags.unicode || c.is_ascii())
        };
        let start = self.pos;
        let mut end = start;
        while self.chars.get(end).is_some_and(|&(_, c)| plain(c)) {
            end += 1;
        }
        if end > start && matches!(self.chars.get(end), Some((_, '*' | '+' | '?' | '{'))) {
            end -= 1;
        }
        if end < start + 2 {
            return None;
        }
        let from = self.chars.get(start)?.0;
        let to = self
            .chars
            .get(end)
            .map_or(self.pattern.len(), |&(at, _)| at);
        self.pos = end;
        self.pattern.as_bytes().get(from..to)
    }

    /// Any quantifiers after an atom.
    #[inline(never)]
    fn repetitions(&mut self, mut atom: Hir, flags: &Flags) -> Result<Hir, Error> {
        loop {
            self.skip_verbose(flags);
            let (min, max) = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') => {
                    self.pos += 1;
                    let counted = self.counted()?;
                    // `counted` has read up to and including the `}`.
                    self.pos -= 1;
                    counted
                }
                _ => return Ok(atom),
            };
            self.pos += 1;
            let lazy = self.eat('?');
            atom = Hir::Repeat {
                min,
                max,
                greedy: lazy == flags.swap_greed,
                sub: Box::new(atom),
            };
        }
    }

    /// `{n}`, `{n,}`, `{n,m}` or `{,m}`, after the `{`; leaves the position after the `}`.
    fn counted(&mut self) -> Result<(u32, Option<u32>), Error> {
        let number = |p: &mut Parser| -> Result<Option<u32>, Error> {
            while p.peek().is_some_and(char::is_whitespace) {
                p.pos += 1;
            }
            let start = p.pos;
            let mut n: u32 = 0;
            while let Some(d) = p.peek().and_then(|c| c.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d);
                p.pos += 1;
            }
            while p.peek().is_some_and(char::is_whitespace) {
                p.pos += 1;
            }
            if p.pos == start {
                return Ok(None);
            }
            if n > MAX_REPEAT {
                return Err(p.error(&format!("repetition count above {MAX_REPEAT}")));
            }
            Ok(Some(n))
        };
        let min = number(self)?;
        let (min, max) = if self.eat(',') {
            let max = number(self)?;
            if min.is_none() && max.is_none() {
                return Err(self.error("repetition quantifier expects a valid decimal"));
            }
            (min.unwrap_or(0), max)
        } else {
            let Some(n) = min else {
                return Err(self.error("repetition quantifier expects a valid decimal"));
            };
            (n, Some(n))
        };
        if !self.eat('}') {
            return Err(self.error("unclosed counted repetition"));
        }
        if max.is_some_and(|m| m < min) {
            return Err(self.error("invalid repetition range: the minimum is above the maximum"));
        }
        Ok((min, max))
    }

    /// After `(`: a group, or `None` for a flag setting `(?flags)` that applies to the rest of
    /// the enclosing group.
    #[inline(never)]
    fn group(&mut self, flags: &mut Flags) -> Result<Option<Hir>, Error> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return Err(self.error("groups nested too deeply"));
        }
        let mut inner = *flags;
        let mut index = None;
        if self.eat('?') {
            if self.peek() == Some('P') && self.peek_at(1) == Some('<') {
                self.pos += 2;
                index = Some(self.group_name()?);
            } else if self.peek() == Some('<') {
                self.pos += 1;
                index = Some(self.group_name()?);
            } else {
                let mut negate = false;
                let mut any = false;
                loop {
                    let Some(c) = self.bump() else {
                        return Err(self.error("unclosed group"));
                    };
                    let flag = match c {
                        ':' => break,
                        ')' => {
                            if !any {
                                return Err(self.error("empty flag group"));
                            }
                            *flags = inner;
                            self.depth -= 1;
                            return Ok(None);
                        }
                        '-' if !negate => {
                            negate = true;
                            continue;
                        }
                        'i' => &mut inner.case_insensitive,
                        'm' => &mut inner.multi_line,
                        's' => &mut inner.dot_nl,
                        'U' => &mut inner.swap_greed,
                        'u' => &mut inner.unicode,
                        'x' => &mut inner.verbose,
                        _ => return Err(self.error(&format!("unrecognized flag `{c}`"))),
                    };
                    *flag = !negate;
                    any = true;
                }
            }
        } else {
            index = Some(self.names.len() as u32);
            self.names.push(None);
        }
        let sub = self.alternation(&mut inner)?;
        if !self.eat(')') {
            return Err(self.error("unclosed group"));
        }
        self.depth -= 1;
        Ok(Some(match index {
            Some(index) => Hir::Capture {
                index,
                sub: Box::new(sub),
            },
            None => sub,
        }))
    }

    /// A group's name after `<`, up to `>`; registers the group and returns its index.
    fn group_name(&mut self) -> Result<u32, Error> {
        let mut name = String::new();
        loop {
            match self.bump() {
                Some('>') => break,
                Some(c) if c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']') => {
                    name.push(c)
                }
                _ => return Err(self.error("invalid capture group name")),
            }
        }
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.error("invalid capture group name"));
        }
        if self.names.iter().flatten().any(|n| *n == name) {
            return Err(self.error(&format!("duplicate capture group name `{name}`")));
        }
        self.names.push(Some(name));
        Ok(self.names.len() as u32 - 1)
    }

    /// After `\` outside a class.
    #[inline(never)]
    fn escape(&mut self, flags: &Flags) -> Result<Hir, Error> {
        let Some(c) = self.bump() else {
            return Err(self.error("incomplete escape sequence"));
        };
        let look = |l: Look| Ok(Hir::Look(l));
        match c {
            'b' => look(if flags.unicode {
                Look::Word
            } else {
                Look::WordAscii
            }),
            'B' => look(if flags.unicode {
                Look::NotWord
            } else {
                Look::NotWordAscii
            }),
            'A' => look(Look::Start),
            'z' => look(Look::End),
            _ => match self.escape_item(c, flags)? {
                Item::Char(c) => literal(c, flags).map_err(|e| self.error(e)),
                Item::Byte(b) => Ok(byte_literal(b, flags)),
                Item::Class(class) => Ok(Hir::Class(class)),
            },
        }
    }

    /// An escape that stands for a character, a byte or a class (in a class or outside).
    fn escape_item(&mut self, c: char, flags: &Flags) -> Result<Item, Error> {
        Ok(match c {
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                let mut class = perl_class(c.to_ascii_lowercase(), flags.unicode);
                if c.is_ascii_uppercase() {
                    class.negate();
                }
                Item::Class(class)
            }
            'n' => Item::Char('\n'),
            't' => Item::Char('\t'),
            'r' => Item::Char('\r'),
            'f' => Item::Char('\x0C'),
            'v' => Item::Char('\x0B'),
            'a' => Item::Char('\x07'),
            'x' | 'u' | 'U' => {
                let digits = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let value = self.hex(digits)?;
                if !flags.unicode && c == 'x' && value <= 0xFF {
                    Item::Byte(value as u8)
                } else {
                    match char::from_u32(value) {
                        Some(ch) => Item::Char(ch),
                        None => return Err(self.error("invalid Unicode scalar value in escape")),
                    }
                }
            }
            'p' | 'P' => return Err(self.error("Unicode property classes (\\p) are not supported")),
            '0'..='9' => {
                return Err(self.error("backreferences and octal escapes are not supported"))
            }
            '<' | '>' => {
                return Err(self.error("the word-edge assertions \\< and \\> are not supported"))
            }
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Item::Char(c),
            c if c.is_whitespace() => Item::Char(c),
            _ => return Err(self.error("unrecognized escape sequence")),
        })
    }

    /// `NN`, `{N...}` for `\x`; fixed `digits` otherwise (or braces).
    fn hex(&mut self, digits: usize) -> Result<u32, Error> {
        let mut value: u32 = 0;
        if self.eat('{') {
            let mut n = 0;
            while let Some(d) = self.peek().and_then(|c| c.to_digit(16)) {
                value = value.saturating_mul(16).saturating_add(d);
                self.pos += 1;
                n += 1;
            }
            if n == 0 || n > 8 || !self.eat('}') {
                return Err(self.error("invalid hexadecimal escape"));
            }
            return Ok(value);
        }
        for _ in 0..digits {
            let Some(d) = self.peek().and_then(|c| c.to_digit(16)) else {
                return Err(self.error("invalid hexadecimal escape"));
            };
            value = value * 16 + d;
            self.pos += 1;
        }
        Ok(value)
    }

    /// After `[`: a bracketed class, with its nested classes and set operations.
    fn class(&mut self, flags: &Flags) -> Result<Class, Error> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return Err(self.error("classes nested too deeply"));
        }
        let negated = self.eat('^');
        let mut set = Class::empty(!flags.unicode);
        // A leading `]` is a literal.
        let mut first = true;
        // Set operations: `a&&b`, `a--b`, `a~~b` bind left to right over the items so far.
        let mut pending: Option<(char, Class)> = None;
        loop {
            self.skip_verbose(flags);
            let Some(c) = self.peek() else {
                return Err(self.error("unclosed character class"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if matches!(c, '&' | '-' | '~') && self.peek_at(1) == Some(c) {
                self.pos += 2;
                let left = std::mem::replace(&mut set, Class::empty(!flags.unicode));
                let left = match pending.take() {
                    Some((op, acc)) => acc.apply(op, &left),
                    None => left,
                };
                pending = Some((c, left));
                continue;
            }
            if c == '[' {
                if self.peek_at(1) == Some(':') {
                    if let Some(posix) = self.posix_class(flags)? {
                        set.union(&posix);
                        continue;
                    }
                }
                self.pos += 1;
                let nested = self.class(flags)?;
                set.union(&nested);
                continue;
            }
            let lo = self.class_atom(flags)?;
            let lo = match lo {
                Item::Class(class) => {
                    set.union(&class);
                    continue;
                }
                item => item,
            };
            // A range `a-z`, unless the `-` ends the class or starts an operator.
            if self.peek() == Some('-') && !matches!(self.peek_at(1), Some(']') | Some('-') | None)
            {
                self.pos += 1;
                let hi = self.class_atom(flags)?;
                let (lo, hi) = match (item_value(&lo), item_value(&hi)) {
                    (Some(lo), Some(hi)) => (lo, hi),
                    _ => return Err(self.error("invalid range boundary in a character class")),
                };
                if lo > hi {
                    return Err(self.error("invalid range in a character class: start above end"));
                }
                set.add(lo, hi, flags).map_err(|e| self.error(e))?;
            } else {
                let v = item_value(&lo).unwrap_or(0);
                set.add(v, v, flags).map_err(|e| self.error(e))?;
            }
        }
        if let Some((op, acc)) = pending.take() {
            set = acc.apply(op, &set);
        }
        if negated {
            set.negate();
        }
        self.depth -= 1;
        Ok(set)
    }

    /// One item of a class: a character, a byte or an escaped class.
    fn class_atom(&mut self, flags: &Flags) -> Result<Item, Error> {
        let Some(c) = self.bump() else {
            return Err(self.error("unclosed character class"));
        };
        if c == '\\' {
            let Some(e) = self.bump() else {
                return Err(self.error("incomplete escape sequence"));
            };
            return self.escape_item(e, flags);
        }
        if !flags.unicode && !c.is_ascii() {
            return Err(self.error("a non-ASCII character in a class where Unicode is off (?-u)"));
        }
        Ok(Item::Char(c))
    }

    /// `[:alpha:]` and the other ASCII classes, if that is what starts here.
    fn posix_class(&mut self, flags: &Flags) -> Result<Option<Class>, Error> {
        let rest: String = self.chars[self.pos..]
            .iter()
            .take(12)
            .map(|&(_, c)| c)
            .collect();
        let Some(end) = rest.find(":]") else {
            return Ok(None);
        };
        let mut name = &rest[2..end];
        let negated = name.starts_with('^');
        if negated {
            name = &name[1..];
        }
        let ranges: &[(u32, u32)] = match name {
            "alnum" => &[(48, 57), (65, 90), (97, 122)],
            "alpha" => &[(65, 90), (97, 122)],
            "ascii" => &[(0, 127)],
            "blank" => &[(9, 9), (32, 32)],
            "cntrl" => &[(0, 31), (127, 127)],
            "digit" => &[(48, 57)],
            "graph" => &[(33, 126)],
            "lower" => &[(97, 122)],
            "print" => &[(32, 126)],
            "punct" => &[(33, 47), (58, 64), (91, 96), (123, 126)],
            "space" => &[(9, 13), (32, 32)],
            "upper" => &[(65, 90)],
            "word" => &[(48, 57), (65, 90), (95, 95), (97, 122)],
            "xdigit" => &[(48, 57), (65, 70), (97, 102)],
            _ => return Err(self.error("invalid ASCII class name")),
        };
        self.pos += rest[..end + 2].chars().count();
        let mut class = Class::empty(!flags.unicode);
        for &(lo, hi) in ranges {
            class.add(lo, hi, flags).map_err(|e| self.error(e))?;
        }
        if negated {
            class.negate();
        }
        Ok(Some(class))
    }
}

enum Item {
    Char(char),
    Byte(u8),
    Class(Class),
}

fn item_value(item: &Item) -> Option<u32> {
    match item {
        Item::Char(c) => Some(*c as u32),
        Item::Byte(b) => Some(u32::from(*b)),
        Item::Class(_) => None,
    }
}

const UNICODE_CASE: &str =
    "case-insensitive matching of Unicode text is not supported: views are lower-cased, so write \
     the pattern in lower case, or use (?i-u) for ASCII";

/// A literal character under `flags`.
fn literal(c: char, flags: &Flags) -> Result<Hir, &'static str> {
    if !flags.unicode {
        if !c.is_ascii() {
            return Err("a non-ASCII character where Unicode is off (?-u)");
        }
        return Ok(byte_literal(c as u8, flags));
    }
    if flags.case_insensitive {
        return Err(UNICODE_CASE);
    }
    let mut buf = [0; 4];
    Ok(Hir::Literal(c.encode_utf8(&mut buf).as_bytes().to_vec()))
}

/// A byte literal; a letter under `(?i-u)` becomes the class of its two cases.
fn byte_literal(b: u8, flags: &Flags) -> Hir {
    if flags.case_insensitive && b.is_ascii_alphabetic() {
        let (lower, upper) = (b.to_ascii_lowercase(), b.to_ascii_uppercase());
        return Hir::Class(Class {
            ranges: vec![
                (u32::from(upper), u32::from(upper)),
                (u32::from(lower), u32::from(lower)),
            ],
            bytes: true,
        });
    }
    Hir::Literal(vec![b])
}

fn dot(flags: &Flags) -> Hir {
    let max = if flags.unicode { 0x10FFFF } else { 0xFF };
    let ranges = if flags.dot_nl {
        vec![(0, max)]
    } else {
        vec![(0, 9), (11, max)]
    };
    Hir::Class(Class {
        ranges,
        bytes: !flags.unicode,
    })
}

/// `\d`, `\s` or `\w`: Unicode's under `u`, ASCII's otherwise.
fn perl_class(kind: char, unicode: bool) -> Class {
    let ranges: Vec<(u32, u32)> = match (kind, unicode) {
        ('d', true) => DIGIT.to_vec(),
        ('s', true) => SPACE.to_vec(),
        ('w', true) => WORD.to_vec(),
        ('d', false) => vec![(48, 57)],
        ('s', false) => vec![(9, 13), (32, 32)],
        _ => vec![(48, 57), (65, 90), (95, 95), (97, 122)],
    };
    Class {
        ranges,
        bytes: !unicode,
    }
}

impl Hir {
    /// The tree as it can match text of ASCII characters alone: classes cut down to their ASCII
    /// part, literals and alternatives that need a non-ASCII character left out. `None` if
    /// nothing is left. On ASCII text it matches exactly what the whole tree matches, with
    /// the same preferences, and its automata have no UTF-8 sequences to spell out.
    pub(crate) fn ascii_only(self) -> Option<Hir> {
        match self {
            Hir::Empty | Hir::Look(_) => Some(self),
            Hir::Literal(bytes) => bytes.is_ascii().then_some(Hir::Literal(bytes)),
            Hir::Class(mut class) => {
                class.ranges.retain(|&(lo, _)| lo <= 0x7F);
                if let Some(last) = class.ranges.last_mut() {
                    last.1 = last.1.min(0x7F);
                }
                (!class.ranges.is_empty()).then_some(Hir::Class(class))
            }
            Hir::Repeat {
                min,
                max,
                greedy,
                sub,
            } => match sub.ascii_only() {
                Some(sub) => Some(Hir::Repeat {
                    min,
                    max,
                    greedy,
                    sub: Box::new(sub),
                }),
                None if min == 0 => Some(Hir::Empty),
                None => None,
            },
            Hir::Capture { index, sub } => sub.ascii_only().map(|sub| Hir::Capture {
                index,
                sub: Box::new(sub),
            }),
            Hir::Concat(items) => items
                .into_iter()
                .map(Hir::ascii_only)
                .collect::<Option<Vec<Hir>>>()
                .map(Hir::Concat),
            Hir::Alt(branches) => {
                let mut kept: Vec<Hir> = branches.into_iter().filter_map(Hir::ascii_only).collect();
                match kept.len() {
                    0 => None,
                    1 => kept.pop(),
                    _ => Some(Hir::Alt(kept)),
                }
            }
        }
    }
}

impl Class {
    fn empty(bytes: bool) -> Class {
        Class {
            ranges: Vec::new(),
            bytes,
        }
    }

    fn max(&self) -> u32 {
        if self.bytes {
            0xFF
        } else {
            0x10FFFF
        }
    }

    /// Adds `lo..=hi` under `flags` (both ASCII cases of letters under `(?i-u)`).
    fn add(&mut self, lo: u32, hi: u32, flags: &Flags) -> Result<(), &'static str> {
        if flags.case_insensitive {
            if flags.unicode {
                return Err(UNICODE_CASE);
            }
            for (a, z, delta) in [(65u32, 90u32, 32i64), (97, 122, -32)] {
                let (s, e) = (lo.max(a), hi.min(z));
                if s <= e {
                    let shift = |v: u32| (i64::from(v) + delta) as u32;
                    self.push(shift(s), shift(e));
                }
            }
        }
        self.push(lo, hi);
        Ok(())
    }

    fn push(&mut self, lo: u32, hi: u32) {
        self.ranges.push((lo, hi));
        self.canonicalize();
    }

    fn canonicalize(&mut self) {
        crate::sort::sort(&mut self.ranges);
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(self.ranges.len());
        for &(lo, hi) in &self.ranges {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        self.ranges = out;
    }

    fn union(&mut self, other: &Class) {
        if other.bytes != self.bytes && !other.bytes {
            // A Unicode class inside a byte class keeps to what a byte can be.
            self.ranges.extend(
                other
                    .ranges
                    .iter()
                    .filter(|r| r.0 <= 0x7F)
                    .map(|&(lo, hi)| (lo, hi.min(0x7F))),
            );
        } else {
            self.ranges.extend_from_slice(&other.ranges);
        }
        self.canonicalize();
    }

    pub(crate) fn negate(&mut self) {
        let mut out = Vec::new();
        let mut next = 0u32;
        for &(lo, hi) in &self.ranges {
            if lo > next {
                out.push((next, lo - 1));
            }
            next = hi + 1;
        }
        if next <= self.max() {
            out.push((next, self.max()));
        }
        self.ranges = out;
    }

    fn intersect(&self, other: &Class) -> Class {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a, b) = (self.ranges[i], other.ranges[j]);
            let (lo, hi) = (a.0.max(b.0), a.1.min(b.1));
            if lo <= hi {
                out.push((lo, hi));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Class {
            ranges: out,
            bytes: self.bytes,
        }
    }

    fn apply(self, op: char, right: &Class) -> Class {
        let mut not_right = right.clone();
        not_right.bytes = self.bytes;
        not_right.negate();
        match op {
            '&' => self.intersect(right),
            '-' => self.intersect(&not_right),
            _ => {
                let mut either = self.clone();
                either.union(right);
                let mut both = self.intersect(right);
                both.negate();
                either.intersect(&both)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> Hir {
        parse(p)
            .map(|p| p.hir)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn literals_are_utf8_bytes() {
        assert_eq!(ok("é"), Hir::Literal("é".as_bytes().to_vec()));
    }

    #[test]
    fn class_operations_and_negation() {
        let Hir::Class(c) = ok("[a-z&&[^aeiou]]") else {
            panic!("not a class")
        };
        assert!(c.ranges.contains(&(98, 100)));
        assert!(!c.ranges.iter().any(|&(lo, hi)| lo <= 97 && 97 <= hi));
        let Hir::Class(c) = ok("(?-u:[^a])") else {
            panic!("not a class")
        };
        assert_eq!(c.ranges, vec![(0, 96), (98, 255)]);
    }

    #[test]
    fn ascii_case_folding_under_i_minus_u() {
        let Hir::Class(c) = ok("(?i-u:[a-c])") else {
            panic!("not a class")
        };
        assert_eq!(c.ranges, vec![(65, 67), (97, 99)]);
    }

    #[test]
    fn refused_constructs_say_why() {
        for (p, why) in [
            ("(?i)a", "case-insensitive"),
            (r"\pL", "property"),
            ("(a", "unclosed group"),
            ("a)", "unopened group"),
            ("[a", "unclosed character class"),
            ("a{2,1}", "minimum is above"),
            ("*a", "missing expression"),
            (r"\1", "backreferences"),
            ("a{5000}", "above 1000"),
        ] {
            let e = parse(p).err().unwrap_or_else(|| panic!("{p} parsed"));
            assert!(e.to_string().contains(why), "{p}: {e}");
        }
    }

    #[test]
    fn flags_apply_to_the_rest_of_the_group() {
        assert!(parse("a(?i-u)b|c").is_ok());
        assert!(parse("(?x) a b # comment\n c").is_ok());
    }
}
