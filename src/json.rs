//! JSON for the library: a [`Value`], a strict parser (RFC 8259), a compact writer, and the
//! serde glue that lets the `#[derive(Serialize, Deserialize)]` types of rule packs, sessions,
//! vaults and the known-attacks index go to and from JSON text without `serde_json`, which was
//! ~80 KB of the WebAssembly module's code.
//!
//! Text goes through a [`Value`] both ways: [`from_str`] parses, then deserializes the value;
//! [`to_string`] serializes to a value, then writes it. One parser and one writer serve every
//! type, which is what keeps this small.

use serde::de::{self, IntoDeserializer, Visitor};
use serde::{ser, Deserialize, Serialize};
use std::fmt::{self, Write as _};

/// Deepest nesting of arrays and objects the parser accepts (as `serde_json`); deeper input is
/// refused rather than allowed to exhaust the stack.
const MAX_DEPTH: usize = 128;

/// A JSON value. Objects keep their members in document order, duplicates included (a
/// struct refuses a duplicate field when deserialized; [`Value::get`] sees the last one).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// An object's members in order.
pub type Map = Vec<(String, Value)>;

/// A JSON number: integers exact, anything else as `f64`. `I64` holds negative integers only,
/// so each number has one representation and `==` compares values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Number {
    /// The number as a float (integers beyond 2^53 rounded).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::U64(n) => n as f64,
            Number::I64(n) => n as f64,
            Number::F64(n) => n,
        }
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Number {
        Number::U64(n)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        u64::try_from(n).map_or(Number::I64(n), Number::U64)
    }
}

impl Value {
    /// The member `key` of an object (the last, if repeated); `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
}

/// A JSON error: a syntax error with its line and column (1-based, in characters), or a value
/// of the wrong shape for the type it was read into.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }

    // These two say what serde's own would, but without `Unexpected`'s `Display`, whose float
    // case would bring core's float formatting into the WebAssembly module (`crate::float`).
    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        Error(format!(
            "invalid type: {}, expected {expected}",
            describe(unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        Error(format!(
            "invalid value: {}, expected {expected}",
            describe(unexpected)
        ))
    }
}

/// What serde's `Unexpected` says of itself.
fn describe(unexpected: de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match unexpected {
        U::Bool(b) => format!("boolean `{b}`"),
        U::Unsigned(n) => format!("integer `{n}`"),
        U::Signed(n) => format!("integer `{n}`"),
        U::Float(n) => format!("floating point `{}`", crate::float::to_text(n)),
        U::Char(c) => format!("character `{c}`"),
        U::Str(s) => format!("string {s:?}"),
        U::Bytes(_) => "byte array".into(),
        U::Unit => "unit value".into(),
        U::Option => "Option value".into(),
        U::NewtypeStruct => "newtype struct".into(),
        U::Seq => "sequence".into(),
        U::Map => "map".into(),
        U::Enum => "enum".into(),
        U::UnitVariant => "unit variant".into(),
        U::NewtypeVariant => "newtype variant".into(),
        U::TupleVariant => "tuple variant".into(),
        U::StructVariant => "struct variant".into(),
        U::Other(other) => other.into(),
    }
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

/// Parses JSON text into `T`.
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    from_value(parse(text)?)
}

/// Reads `T` from a parsed value.
pub fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(value)
}

/// `value` as compact JSON text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    Ok(to_value(value)?.to_string())
}

/// `value` as a [`Value`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

// ---- Parser ----

/// Parses one JSON document (RFC 8259: no comments, no trailing commas, nothing after it).
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let value = p.value()?;
    p.skip_space();
    if p.at < p.bytes.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    /// `what` went wrong at the current byte.
    fn error(&self, what: &str) -> Error {
        let before = &self.text[..self.at.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Error(format!("{what} at line {line} column {column}"))
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips blanks and consumes `byte`, or fails with `what`.
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), Error> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.eof_or(what))
        }
    }

    /// Consumes a comma, refusing one right before `close` (JSON has no trailing commas).
    fn comma(&mut self, close: u8) -> Result<(), Error> {
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(close) {
            return Err(self.error("trailing comma"));
        }
        Ok(())
    }

    fn eof_or(&self, what: &str) -> Error {
        self.error(if self.at < self.bytes.len() {
            what
        } else {
            "unexpected end of input"
        })
    }

    fn value(&mut self) -> Result<Value, Error> {
        self.skip_space();
        let Some(b) = self.peek() else {
            return Err(self.error("unexpected end of input, expected a value"));
        };
        match b {
            b'[' | b'{' => {
                if self.depth == MAX_DEPTH {
                    return Err(self.error("nested too deeply"));
                }
                self.depth += 1;
                self.at += 1;
                let value = if b == b'[' {
                    self.array()
                } else {
                    self.object()
                };
                self.depth -= 1;
                value
            }
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(),
            _ => {
                for (word, value) in [
                    ("null", Value::Null),
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                ] {
                    if self.bytes[self.at..].starts_with(word.as_bytes()) {
                        self.at += word.len();
                        return Ok(value);
                    }
                }
                Err(self.error("expected a value"))
            }
        }
    }

    fn array(&mut self) -> Result<Value, Error> {
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.comma(b']')?,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.eof_or("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, Error> {
        let mut map = Map::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.eof_or("expected a string key"));
            }
            let key = self.string()?;
            self.expect(b':', "expected `:`")?;
            map.push((key, self.value()?));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.comma(b'}')?,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.eof_or("expected `,` or `}`")),
            }
        }
    }

    /// A string, from its opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The input is a `str` and the stops are ASCII: the run is whole characters.
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match self.peek() {
                        Some(b'u') => self.unicode_escape()?,
                        Some(e) => {
                            let c = match e {
                                b'"' => '"',
                                b'\\' => '\\',
                                b'/' => '/',
                                b'b' => '\u{8}',
                                b'f' => '\u{c}',
                                b'n' => '\n',
                                b'r' => '\r',
                                b't' => '\t',
                                _ => return Err(self.error("invalid escape")),
                            };
                            self.at += 1;
                            c
                        }
                        None => return Err(self.error("unexpected end of input in a string")),
                    };
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unexpected end of input in a string")),
            }
        }
    }

    /// `\uXXXX` from the `u`, with a following `\uXXXX` when the first is a high surrogate.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes[self.at..].starts_with(b"\\u") {
                    return Err(self.error("lone leading surrogate in a \\u escape"));
                }
                self.at += 1;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone leading surrogate in a \\u escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            code => code,
        };
        char::from_u32(code).ok_or_else(|| self.error("lone trailing surrogate in a \\u escape"))
    }

    /// Four hex digits after the `u` at the current byte.
    fn hex4(&mut self) -> Result<u32, Error> {
        self.at += 1;
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.eof_or("invalid \\u escape"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        let digits = |p: &mut Parser| {
            let from = p.at;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.at += 1;
            }
            p.at - from
        };
        let negative = self.peek() == Some(b'-');
        self.at += usize::from(negative);
        let int_start = self.at;
        let int_digits = digits(self);
        if int_digits == 0 {
            return Err(self.eof_or("expected a digit"));
        }
        if int_digits > 1 && self.bytes[int_start] == b'0' {
            self.at = int_start + 1;
            return Err(self.error("leading zero in a number"));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.eof_or("expected a digit after `.`"));
            }
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.eof_or("expected a digit in the exponent"));
            }
            integer = false;
        }
        let text = &self.text[start..self.at];
        if integer {
            // `-0` is the float -0.0 (as serde_json reads it), so that it writes back the same.
            let exact = if negative {
                text.parse::<i64>()
                    .ok()
                    .filter(|&n| n != 0)
                    .map(Number::I64)
            } else {
                text.parse::<u64>().ok().map(Number::U64)
            };
            if let Some(n) = exact {
                return Ok(Value::Number(n));
            }
        }
        // Integers beyond 64 bits become floats, as in serde_json.
        match crate::float::parse(text) {
            Some(f) => Ok(Value::Number(Number::F64(f))),
            None => {
                self.at = start;
                Err(self.error("number out of range"))
            }
        }
    }
}

// ---- Writer ----

impl fmt::Display for Number {
    /// Integers as they are; a float so that it parses back to the same `f64` (`1.0`, `1e-7`);
    /// NaN and the infinities, which JSON lacks, as `null` (as serde_json writes them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::U64(n) => write!(f, "{n}"),
            Number::I64(n) => write!(f, "{n}"),
            Number::F64(n) if n.is_finite() => crate::float::write(n, f),
            Number::F64(_) => f.write_str("null"),
        }
    }
}

/// Compact JSON text (`value.to_string()`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write_string(f, s),
            Value::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Object(map) => {
                f.write_char('{')?;
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, key)?;
                    write!(f, ":{value}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// A string in quotes, escaped as serde_json escapes it: quote, backslash and control
/// characters only.
fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if short.is_empty() {
            write!(f, "\\u{:04x}", c as u32)?;
        } else {
            f.write_str(short)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_char('"')
}

// ---- serde: reading types from a Value ----

/// `deserialize_*` methods for the number types: numbers only.
macro_rules! numbers {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self {
                Value::Number(n) => visit_number(n, visitor),
                other => Err(other.invalid_type(&visitor)),
            }
        })*
    };
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(map) => visit_object(map, visitor),
        }
    }

    // What a type asks for is all its visitor gets: each derived type and primitive then
    // compiles only its own branch, not one for every kind of value (which deserialize_any
    // gave every one of them). The errors are the visitors' own, as from deserialize_any.

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Bool(b) => visitor.visit_bool(b),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::String(s) => visitor.visit_string(s),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Array(items) => visit_array(items, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Object(map) => visit_object(map, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(value),
        }
    }

    /// A struct from an object only: serde_json also takes an array of the fields in order,
    /// which nothing here writes, and refusing it leaves out each struct's `visit_seq`.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Value::Object(map) => visit_object(map, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A unit variant is its name as a string; any other variant an object with one member,
    /// the name and the content (serde's external tagging, as serde_json reads it).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Object(map) if map.len() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(
                    de::value::MapDeserializer::new(map.into_iter()),
                ))
            }
            other => Err(other.invalid_type(&"a string or an object with one member")),
        }
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: Number, visitor: V) -> Result<V::Value, Error> {
    match n {
        Number::U64(n) => visitor.visit_u64(n),
        Number::I64(n) => visitor.visit_i64(n),
        Number::F64(n) => visitor.visit_f64(n),
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let mut seq = de::value::SeqDeserializer::new(items.into_iter());
    let out = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(out)
}

fn visit_object<'de, V: Visitor<'de>>(map: Map, visitor: V) -> Result<V::Value, Error> {
    let mut map = de::value::MapDeserializer::new(map.into_iter());
    let out = visitor.visit_map(&mut map)?;
    map.end()?;
    Ok(out)
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

impl Value {
    fn invalid_type(&self, expected: &dyn de::Expected) -> Error {
        let unexpected = match self {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Number(Number::U64(n)) => de::Unexpected::Unsigned(*n),
            Value::Number(Number::I64(n)) => de::Unexpected::Signed(*n),
            Value::Number(Number::F64(n)) => de::Unexpected::Float(*n),
            Value::String(s) => de::Unexpected::Str(s),
            Value::Array(_) => de::Unexpected::Seq,
            Value::Object(_) => de::Unexpected::Map,
        };
        de::Error::invalid_type(unexpected, expected)
    }
}

/// A `Value` read from any serde format (serde_yaml reads rule packs into one natively).
/// Non-finite floats become `null`, as serde_json's `Value` makes them.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(if n.is_finite() {
            Value::Number(Number::F64(n))
        } else {
            Value::Null
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(entry) = access.next_entry::<String, Value>()? {
            map.push(entry);
        }
        Ok(Value::Object(map))
    }
}

// ---- serde: writing types as a Value ----

/// Serializes any `Serialize` type to a [`Value`], which [`to_string`] then writes.
struct ValueSerializer;

/// The items of a sequence, tuple or tuple variant (`variant` wraps it in `{name: [...]}`).
struct SeqBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

/// The members of a map, struct or struct variant; `key` waits for its value.
struct MapBuilder {
    map: Map,
    key: Option<String>,
    variant: Option<&'static str>,
}

/// `{variant: value}`, or `value` for no variant.
fn tagged(variant: Option<&'static str>, value: Value) -> Value {
    match variant {
        Some(name) => Value::Object(vec![(name.to_owned(), value)]),
        None => value,
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(Value::Number(Number::F64(v)))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.into()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Array(
            v.iter()
                .map(|&b| Value::Number(Number::U64(b.into())))
                .collect(),
        ))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        Ok(tagged(Some(variant), value.serialize(self)?))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::new(),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::new(),
            variant: Some(variant),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            map: Map::new(),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            map: Map::new(),
            key: None,
            variant: Some(variant),
        })
    }
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let value = value.serialize(ValueSerializer)?;
        self.push_value(value);
        Ok(())
    }

    /// Out of line, so that each serialized type does not carry its own copy.
    #[inline(never)]
    fn push_value(&mut self, value: Value) {
        self.items.push(value);
    }

    fn done(self) -> Result<Value, Error> {
        Ok(tagged(self.variant, Value::Array(self.items)))
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

impl MapBuilder {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        let value = value.serialize(ValueSerializer)?;
        self.push_member(key, value);
        Ok(())
    }

    /// Out of line, so that each serialized field does not carry its own copy.
    #[inline(never)]
    fn push_member(&mut self, key: &str, value: Value) {
        self.map.push((key.to_owned(), value));
    }

    fn done(self) -> Result<Value, Error> {
        Ok(tagged(self.variant, Value::Object(self.map)))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    /// Keys are strings; numbers and booleans are written as strings, as serde_json does.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(match key.serialize(ValueSerializer)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(Error("a map key must be a string".to_owned())),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().unwrap_or_default();
        self.field(&key, value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        self.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn int(n: u64) -> Value {
        Value::Number(Number::U64(n))
    }

    fn float(n: f64) -> Value {
        Value::Number(Number::F64(n))
    }

    fn string(s: &str) -> Value {
        Value::String(s.to_owned())
    }

    #[test]
    fn valid_documents_parse_to_their_values() {
        let cases = [
            ("null", Value::Null),
            (" true ", Value::Bool(true)),
            ("\n\tfalse\r\n", Value::Bool(false)),
            ("0", int(0)),
            ("-12", Value::Number(Number::I64(-12))),
            ("18446744073709551615", int(u64::MAX)),
            ("-9223372036854775808", Value::Number(Number::I64(i64::MIN))),
            ("18446744073709551616", float(18446744073709551616.0)),
            ("-0", float(-0.0)),
            ("1.5e3", float(1500.0)),
            ("2E-2", float(0.02)),
            ("1e+2", float(100.0)),
            (r#""a\"\\\/\b\f\n\r\t""#, string("a\"\\/\u{8}\u{c}\n\r\t")),
            (r#""\u00e9\uD83D\uDE00é""#, string("é😀é")),
            ("[]", Value::Array(vec![])),
            (
                "[1, [2], {}]",
                Value::Array(vec![
                    int(1),
                    Value::Array(vec![int(2)]),
                    Value::Object(vec![]),
                ]),
            ),
            (
                r#"{"b": 1, "a": [null], "b": 2}"#,
                Value::Object(vec![
                    ("b".to_owned(), int(1)),
                    ("a".to_owned(), Value::Array(vec![Value::Null])),
                    ("b".to_owned(), int(2)),
                ]),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse(text).unwrap_or_else(|e| panic!("{text}: {e}")),
                expected,
                "{text}"
            );
        }
        let repeated = parse(r#"{"b": 1, "b": 2}"#).expect("parses");
        assert_eq!(repeated.get("b"), Some(&int(2)), "the last member wins");
    }

    #[test]
    fn invalid_documents_are_refused_with_what_and_where() {
        let cases = [
            (
                "",
                "unexpected end of input, expected a value at line 1 column 1",
            ),
            (
                "   ",
                "unexpected end of input, expected a value at line 1 column 4",
            ),
            ("nul", "expected a value at line 1 column 1"),
            ("[1,]", "trailing comma at line 1 column 4"),
            ("[1,,2]", "expected a value at line 1 column 4"),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("{\"a\" 1}", "expected `:` at line 1 column 6"),
            ("{\"a\":1, }", "trailing comma at line 1 column 9"),
            ("{\"a\":1,,}", "expected a string key at line 1 column 8"),
            ("{a:1}", "expected a string key at line 1 column 2"),
            (
                "{\n  \"a\": 1\n  \"b\": 2\n}",
                "expected `,` or `}` at line 3 column 3",
            ),
            ("[1] x", "trailing characters at line 1 column 5"),
            ("01", "leading zero in a number at line 1 column 2"),
            ("-", "unexpected end of input at line 1 column 2"),
            ("1.", "unexpected end of input at line 1 column 3"),
            ("1.e5", "expected a digit after `.` at line 1 column 3"),
            ("1e", "unexpected end of input at line 1 column 3"),
            ("+1", "expected a value at line 1 column 1"),
            ("1e400", "number out of range at line 1 column 1"),
            (
                "\"abc",
                "unexpected end of input in a string at line 1 column 5",
            ),
            (
                "\"a\tb\"",
                "control character in a string at line 1 column 3",
            ),
            ("\"é\\x\"", "invalid escape at line 1 column 4"),
            ("\"\\u12g4\"", "invalid \\u escape at line 1 column 6"),
            (
                "\"\\uD83D\"",
                "lone leading surrogate in a \\u escape at line 1 column 8",
            ),
            (
                "\"\\uD83D\\u0041\"",
                "lone leading surrogate in a \\u escape at line 1 column 14",
            ),
            (
                "\"\\uDE00\"",
                "lone trailing surrogate in a \\u escape at line 1 column 8",
            ),
            (
                "[1,\n2,\n",
                "unexpected end of input, expected a value at line 3 column 1",
            ),
            ("// c\n1", "expected a value at line 1 column 1"),
            ("NaN", "expected a value at line 1 column 1"),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(text);
            assert_eq!(err.to_string(), expected, "{text:?}");
        }
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deep).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse(&deeper).expect_err("too deep").to_string(),
            format!("nested too deeply at line 1 column {}", MAX_DEPTH + 1)
        );
    }

    #[test]
    fn values_round_trip_through_text() {
        let texts = [
            r#"{"a":"quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul \u0000 us \u001f del  é 😀 \u2028"}"#,
            r#"["\ud83d\ude00","\uDBFF\uDFFF","\u0080"]"#,
            "[18446744073709551615,-9223372036854775808,0,-1,1e300,-1e-300,0.1,1.0,-0.0,5e-324,1.7976931348623157e308]",
            "[123456789012345678901234567890,2.5e16,1e16,1e15,0.30000000000000004]",
            r#"{"nested":{"list":[[],{},[{}],null,true,false]},"empty":""}"#,
        ];
        for text in texts {
            let value = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let written = value.to_string();
            let again = parse(&written).unwrap_or_else(|e| panic!("{written}: {e}"));
            assert_eq!(again, value, "{text} -> {written}");
            assert_eq!(again.to_string(), written);
            let reference: serde_json::Value = serde_json::from_str(&written).expect("serde_json");
            assert_eq!(from_serde(&reference), as_serde_keeps(value), "{written}");
        }
        assert_eq!(
            parse("\"\\u0001\\/\"").expect("parses").to_string(),
            "\"\\u0001/\""
        );
        assert_eq!(float(f64::NAN).to_string(), "null");
        assert_eq!(float(1.0).to_string(), "1.0");
    }

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    struct Spec {
        id: String,
        #[serde(default)]
        score: Option<u8>,
        #[serde(default)]
        tags: Vec<String>,
        kind: Kind,
        #[serde(default)]
        shape: Option<Shape>,
    }

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        HighRisk,
        Low,
    }

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    enum Shape {
        Point,
        Circle(f64),
        Pair(i32, i32),
        Rect { w: u32, h: u32 },
    }

    #[test]
    fn derived_types_read_and_write_as_serde_json_does() {
        let spec = Spec {
            id: "a\"b".to_owned(),
            score: Some(40),
            tags: vec!["x".to_owned()],
            kind: Kind::HighRisk,
            shape: Some(Shape::Rect { w: 2, h: 3 }),
        };
        let text = to_string(&spec).expect("serializes");
        assert_eq!(text, serde_json::to_string(&spec).expect("serde_json"));
        assert_eq!(from_str::<Spec>(&text).expect("reads back"), spec);
        for shape in [Shape::Point, Shape::Circle(0.5), Shape::Pair(-1, 2)] {
            let text = to_string(&shape).expect("serializes");
            assert_eq!(text, serde_json::to_string(&shape).expect("serde_json"));
            assert_eq!(from_str::<Shape>(&text).expect("reads back"), shape);
        }
        let minimal: Spec =
            from_str(r#"{"id": "x", "kind": "low", "score": null}"#).expect("reads");
        assert_eq!(
            (minimal.score, minimal.tags.len(), minimal.shape),
            (None, 0, None)
        );
        let map: std::collections::BTreeMap<String, u32> =
            from_str(r#"{"b":2,"a":1}"#).expect("map");
        assert_eq!(to_string(&map).expect("writes"), r#"{"a":1,"b":2}"#);
    }

    #[test]
    fn shape_errors_say_what_is_wrong_as_serde_json_does() {
        for text in [
            r#"{"id": "x", "kind": "low", "extra": 1}"#,
            r#"{"kind": "low"}"#,
            r#"{"id": "x", "kind": "medium"}"#,
            r#"{"id": 5, "kind": "low"}"#,
            r#"{"id": "x", "kind": "low", "score": 300}"#,
            r#"{"id": "x", "kind": "low", "score": -1}"#,
            r#"{"id": "x", "kind": "low", "score": 1.5}"#,
            r#"{"id": "x", "id": "y", "kind": "low"}"#,
            r#"{"id": "x", "kind": "low", "shape": {"Rect": {"w": 1}}}"#,
            r#"{"id": "x", "kind": "low", "shape": {"Oval": 1}}"#,
            r#"{"id": "x", "kind": "low", "tags": "x"}"#,
            "42",
        ] {
            let ours = from_str::<Spec>(text).expect_err(text).to_string();
            let reference = serde_json::from_str::<Spec>(text)
                .expect_err(text)
                .to_string();
            // serde_json adds where it was reading when the shape went wrong; ours has no
            // position once the text is parsed.
            assert!(
                reference.starts_with(&ours),
                "{text}: {ours:?} against {reference:?}"
            );
        }
    }

    /// Our value for a serde_json one.
    fn from_serde(value: &serde_json::Value) -> Value {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(if let Some(n) = n.as_u64() {
                Number::U64(n)
            } else if let Some(n) = n.as_i64() {
                Number::I64(n)
            } else {
                Number::F64(n.as_f64().expect("a number is one of the three"))
            }),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::Array(items.iter().map(from_serde).collect()),
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), from_serde(v)))
                    .collect(),
            ),
        }
    }

    /// Objects as serde_json's `Value` keeps them: the last of repeated keys, in key order.
    fn as_serde_keeps(value: Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.into_iter().map(as_serde_keeps).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, as_serde_keeps(v)))
                    .collect::<std::collections::BTreeMap<_, _>>()
                    .into_iter()
                    .collect(),
            ),
            other => other,
        }
    }

    mod differential {
        use super::super::*;
        use super::{as_serde_keeps, from_serde};
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::Bool),
                any::<u64>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                (-1e6..1e6f64).prop_map(serde_json::Value::from),
                any::<String>().prop_map(serde_json::Value::String),
                "[\"\\\\\u{0}-\u{1f}a\u{e9}\u{1f600}]{0,8}".prop_map(serde_json::Value::String),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                    prop::collection::btree_map("[a-z\"\\\\\u{1}]{0,4}", inner, 0..6)
                        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// Bytes that are often almost JSON: pieces of valid documents, shuffled.
        fn almost_json() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("{"),
                Just("}"),
                Just("["),
                Just("]"),
                Just(","),
                Just(":"),
                Just(" "),
                Just("\""),
                Just("\\"),
                Just("\\u"),
                Just("d83d"),
                Just("\\ude00"),
                Just("0"),
                Just("-"),
                Just("1"),
                Just("."),
                Just("e"),
                Just("+"),
                Just("true"),
                Just("nul"),
                Just("null"),
                Just("\"k\":"),
                Just("\n"),
                Just("\t"),
                Just("é"),
                Just("\u{1}"),
                Just("99999999999999999999"),
            ];
            prop::collection::vec(piece, 0..16).prop_map(|p| p.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// What serde_json writes, we read to the same value; what we write, serde_json
            /// reads to the same value (floats within its parser's last bit) and we read back
            /// exactly.
            #[test]
            fn reads_and_writes_as_serde_json(reference in json_value()) {
                let text = serde_json::to_string(&reference).expect("serde_json writes");
                let ours = parse(&text).expect("we read what serde_json writes");
                prop_assert_eq!(&ours, &from_serde(&reference));
                let written = ours.to_string();
                prop_assert_eq!(&parse(&written).expect("we read what we write"), &ours);
                let back: serde_json::Value =
                    serde_json::from_str(&written).expect("serde_json reads what we write");
                prop_assert!(close(&from_serde(&back), &ours), "{} -> {}", text, written);
            }

            /// Any text is accepted by both parsers or refused by both, and when accepted it
            /// is the same value.
            #[test]
            fn accepts_and_refuses_as_serde_json(text in almost_json()) {
                let reference = serde_json::from_str::<serde_json::Value>(&text);
                match (parse(&text), reference) {
                    (Ok(ours), Ok(reference)) => {
                        prop_assert_eq!(as_serde_keeps(ours), from_serde(&reference));
                    }
                    (Err(_), Err(_)) => {}
                    (ours, reference) => prop_assert!(
                        false, "{:?}: ours {:?}, serde_json {:?}", text, ours, reference
                    ),
                }
            }
        }

        /// Equal, except that floats may differ in the last bit.
        fn close(a: &Value, b: &Value) -> bool {
            match (a, b) {
                (Value::Number(Number::F64(x)), Value::Number(Number::F64(y))) => {
                    // serde_json's default float parser may be a few bits off, most among
                    // the subnormals.
                    x == y
                        || x.to_bits().abs_diff(y.to_bits()) <= 4
                        || (x - y).abs() < f64::MIN_POSITIVE
                }
                (Value::Array(x), Value::Array(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y))
                }
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len()
                        && x.iter()
                            .zip(y)
                            .all(|((kx, vx), (ky, vy))| kx == ky && close(vx, vy))
                }
                _ => a == b,
            }
        }
    }
}
