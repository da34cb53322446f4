//! Parsing `elasticsearch.yml` without unbounded alias expansion.
//!
//! The file can be written by the `elasticsearch` group (packages make it `0660
//! root:elasticsearch`), and the YAML parser expands every alias in place: `a: &a [x, ...N]`
//! with `b: [*a, ...N]` is 12 KB of text and N×N values (review-security.md L5: 640 MB). Two
//! bounds, both exit 78 with a message naming the file:
//!
//! 1. **SnakeYAML's limit** (the parser under Elasticsearch's YAML settings loader): more than
//!    [`MAX_COLLECTION_ALIASES`] aliases of collections are refused before parsing. Anchors and
//!    aliases are found by [`collection_aliases`], a scanner that errs on the side of counting:
//!    an alias of an anchor it cannot classify counts as a collection alias.
//! 2. **A value budget** while parsing: the document may not expand to more values than twice
//!    its length in bytes plus [`EXTRA_VALUES`]. A document without aliases never comes near it
//!    (every value takes at least one byte of text, or two for an empty one); it stops what the
//!    scanner could miss and nested aliases (fifty aliases of collections can still double fifty
//!    times).
//! 3. **A byte budget** for the text of the scalars built: at most [`byte_budget`] (four times
//!    the document's length plus [`EXTRA_BYTES`]). Aliases of one large scalar are copies of it:
//!    5,000 aliases of a 100 KB string are 115 KB of YAML and 500 MB of strings.
//!
//! The tree built is exactly `serde_yaml_ng::Value`'s (same visitor semantics, same duplicate-key
//! errors), so flattening is unchanged.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_yaml_ng::mapping::Entry;
use serde_yaml_ng::value::{Tag, TaggedValue};
use serde_yaml_ng::{Mapping, Value};

/// SnakeYAML's `LoaderOptions.maxAliasesForCollections` default.
pub const MAX_COLLECTION_ALIASES: usize = 50;
/// Values allowed beyond twice the document's length.
pub const EXTRA_VALUES: usize = 100_000;

/// Scalar bytes allowed beyond four times the document's length.
pub const EXTRA_BYTES: usize = 1 << 20;

/// How many bytes of scalar text a document of `len` bytes may expand to.
pub fn byte_budget(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(EXTRA_BYTES)
}

/// How many values a document of `len` bytes may expand to.
pub fn value_budget(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(EXTRA_VALUES)
}

/// Why a bounded parse stopped.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The YAML parser's own error.
    Yaml(serde_yaml_ng::Error),
    /// The document expands to more values than its budget.
    TooManyValues(usize),
}

/// Parses `text` into a `Value`, refusing to build more than [`value_budget`] values.
pub(crate) fn parse(text: &str) -> Result<Value, Refused> {
    let budget = Budget {
        left: Cell::new(value_budget(text.len())),
        bytes_left: Cell::new(byte_budget(text.len())),
        exceeded: Cell::new(false),
    };
    let parsed = Node(&budget).deserialize(serde_yaml_ng::Deserializer::from_str(text));
    match parsed {
        Ok(v) => Ok(v),
        Err(_) if budget.exceeded.get() => Err(Refused::TooManyValues(value_budget(text.len()))),
        Err(e) => Err(Refused::Yaml(e)),
    }
}

struct Budget {
    left: Cell<usize>,
    bytes_left: Cell<usize>,
    exceeded: Cell<bool>,
}

impl Budget {
    /// Pays for one value holding `len` bytes of text.
    fn take_text<E: de::Error>(&self, len: usize) -> Result<(), E> {
        self.take()?;
        self.spend(
            &self.bytes_left,
            len,
            "the document expands to too much text",
        )
    }

    fn take<E: de::Error>(&self) -> Result<(), E> {
        self.spend(&self.left, 1, "the document expands to too many values")
    }

    /// Takes `n` from `budget`, or marks the budget exceeded and fails with `message`.
    fn spend<E: de::Error>(&self, budget: &Cell<usize>, n: usize, message: &str) -> Result<(), E> {
        match budget.get().checked_sub(n) {
            Some(left) => {
                budget.set(left);
                Ok(())
            }
            None => {
                self.exceeded.set(true);
                Err(E::custom(message))
            }
        }
    }
}

/// One value, built as `serde_yaml_ng::Value`'s own visitor builds it, each one paid for.
struct Node<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(u.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.0.take_text(s.len())?;
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        self.0.take_text(s.len())?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Node(self.0))? {
            items.push(v);
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(Node(self.0))? {
            match mapping.entry(key) {
                Entry::Occupied(e) => return Err(de::Error::custom(duplicate(e.key()))),
                Entry::Vacant(e) => {
                    e.insert(map.next_value_seed(Node(self.0))?);
                }
            }
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let (tag, contents) = data.variant_seed(TagSeed)?;
        let value = contents.newtype_variant_seed(Node(self.0))?;
        Ok(Value::Tagged(Box::new(TaggedValue { tag, value })))
    }
}

/// serde_yaml_ng's `DuplicateKeyError` text (flattening reads the key back out of it).
fn duplicate(key: &Value) -> String {
    match key {
        Value::Null => "duplicate entry with null key".to_owned(),
        Value::Bool(b) => format!("duplicate entry with key `{b}`"),
        Value::Number(n) => format!("duplicate entry with key {n}"),
        Value::String(s) => format!("duplicate entry with key {s:?}"),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => {
            "duplicate entry in YAML map".to_owned()
        }
    }
}

/// A tag, as serde_yaml_ng's `TagStringVisitor` reads it.
struct TagSeed;

impl<'de> DeserializeSeed<'de> for TagSeed {
    type Value = Tag;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Tag, D::Error> {
        d.deserialize_string(self)
    }
}

impl Visitor<'_> for TagSeed {
    type Value = Tag;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML tag string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Tag, E> {
        if s.is_empty() {
            return Err(E::custom("empty YAML tag is not allowed"));
        }
        Ok(Tag::new(s))
    }
}

/// Counts the aliases (`*name`) whose anchor (`&name`, the latest before it) is a collection
/// (`[`, `{`, or the end of the line: a block collection), or is unknown, stopping at
/// `stop_after`. Comments, quoted scalars, block scalars and plain scalars are skipped, as far
/// as a line-by-line scan can tell; where it cannot, it counts (a false count can only refuse a
/// document with dozens of `*word`s in odd places, never admit a bomb).
pub fn collection_aliases(text: &str, stop_after: usize) -> usize {
    let mut anchors: HashMap<&str, bool> = HashMap::new();
    let mut count = 0;
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    let mut i = 0;
    // An open quoted scalar continues on the next line.
    let mut open_quote: Option<u8> = None;
    while i < lines.len() {
        let line = lines[i];
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let mut pos = 0;
        if let Some(q) = open_quote {
            match quote_end(bytes, 0, q) {
                Some(end) => {
                    open_quote = None;
                    pos = end;
                }
                None => {
                    i += 1;
                    continue;
                }
            }
        }
        // Whether the next token starts a node (after indentation, `- `, `? `, `: `, `[`, `{`,
        // `,`, or a property).
        let mut at_start = pos == 0;
        let mut block_scalar = false;
        while pos < bytes.len() {
            let b = bytes[pos];
            match b {
                b' ' | b'\t' => {
                    pos += 1;
                    continue;
                }
                b'#' if pos == 0 || matches!(bytes[pos - 1], b' ' | b'\t') => break,
                b'[' | b'{' | b',' => {
                    pos += 1;
                    at_start = true;
                    continue;
                }
                b']' | b'}' => {
                    pos += 1;
                    at_start = false;
                    continue;
                }
                _ => {}
            }
            let followed_by_space = bytes
                .get(pos + 1)
                .is_none_or(|&n| matches!(n, b' ' | b'\t'));
            if matches!(b, b'-' | b'?' | b':') && followed_by_space {
                pos += 1;
                at_start = true;
                continue;
            }
            if !at_start {
                // Inside a plain scalar (or a key): skip to the next separator.
                pos = plain_end(bytes, pos);
                continue;
            }
            match b {
                b'"' | b'\'' => match quote_end(bytes, pos + 1, b) {
                    Some(end) => {
                        pos = end;
                        at_start = false;
                    }
                    None => {
                        open_quote = Some(b);
                        pos = bytes.len();
                    }
                },
                b'|' | b'>' => {
                    block_scalar = true;
                    pos = bytes.len();
                }
                b'&' | b'!' => {
                    let end = name_end(bytes, pos + 1);
                    if b == b'&' {
                        let name = &line[pos + 1..end];
                        anchors.insert(name, anchors_a_collection(bytes, end));
                    }
                    // A property: the node itself follows.
                    pos = end;
                }
                b'*' => {
                    let end = name_end(bytes, pos + 1);
                    if anchors.get(&line[pos + 1..end]) != Some(&false) {
                        count += 1;
                        if count > stop_after {
                            return count;
                        }
                    }
                    pos = end;
                    at_start = false;
                }
                _ => {
                    pos = plain_end(bytes, pos);
                    at_start = false;
                }
            }
        }
        i += 1;
        if block_scalar {
            // Its lines: empty, or indented deeper than the line that introduced it.
            while i < lines.len() {
                let l = lines[i].as_bytes();
                let blank = l.iter().all(|&b| b == b' ' || b == b'\t');
                if !blank && l.iter().take_while(|&&b| b == b' ').count() <= indent {
                    break;
                }
                i += 1;
            }
        }
    }
    count
}

/// After `&name` at `from`: is the anchored node a collection? `[`, `{`, or nothing more on the
/// line (a block collection below, or an empty scalar: counted as a collection). A tag may come
/// first.
fn anchors_a_collection(bytes: &[u8], mut from: usize) -> bool {
    loop {
        while bytes.get(from).is_some_and(|&b| b == b' ' || b == b'\t') {
            from += 1;
        }
        match bytes.get(from) {
            None | Some(b'#') | Some(b'[') | Some(b'{') => return true,
            Some(b'!') => from = name_end(bytes, from + 1),
            Some(_) => return false,
        }
    }
}

/// The end of an anchor, alias or tag name: up to white space or a flow indicator.
fn name_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len()
        && !matches!(bytes[pos], b' ' | b'\t' | b',' | b'[' | b']' | b'{' | b'}')
    {
        pos += 1;
    }
    pos
}

/// The end of a plain scalar's run on this line: before ` #`, `: `, or a flow indicator.
fn plain_end(bytes: &[u8], mut pos: usize) -> usize {
    pos += 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b',' | b'[' | b']' | b'{' | b'}' => return pos,
            b'#' if matches!(bytes[pos - 1], b' ' | b'\t') => return pos,
            b':' if bytes
                .get(pos + 1)
                .is_none_or(|&n| matches!(n, b' ' | b'\t')) =>
            {
                return pos
            }
            _ => pos += 1,
        }
    }
    pos
}

/// The position after the closing quote of a scalar whose content starts at `from`, if it closes
/// on this line. Double quotes take `\` escapes; single quotes are escaped by doubling.
fn quote_end(bytes: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while from < bytes.len() {
        match bytes[from] {
            b'\\' if quote == b'"' => from += 2,
            b'\'' if quote == b'\'' && bytes.get(from + 1) == Some(&b'\'') => from += 2,
            b if b == quote => return Some(from + 1),
            _ => from += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str) -> usize {
        collection_aliases(text, usize::MAX)
    }

    #[test]
    fn counts_aliases_of_collections_only() {
        assert_eq!(count("a: &a [x, y]\nb: [*a, *a]\n"), 2);
        assert_eq!(count("a: &a {x: 1}\nb: *a\nc: *a\n"), 2);
        assert_eq!(count("a: &a\n  - x\nb: *a\n"), 1);
        assert_eq!(count("a: &a !!seq [x]\nb: *a\n"), 1);
        // Scalars may be aliased at will (SnakeYAML counts only collections).
        assert_eq!(count("a: &a x\nb: [*a, *a, *a]\nc: *a\n"), 0);
        assert_eq!(count("a: &a 'x y'\nb: *a\n"), 0);
        // An anchor redefined: the latest counts.
        assert_eq!(count("a: &a x\nb: &a [1]\nc: *a\n"), 1);
        // Unknown anchors count.
        assert_eq!(count("b: *nowhere\n"), 1);
        // Merge keys are aliases too.
        assert_eq!(count("base: &b {x: 1}\nother:\n  <<: *b\n"), 1);
        assert_eq!(count("- *a\n- - *a\n? *a\n: *a\n"), 4);
    }

    #[test]
    fn text_that_only_looks_like_an_alias_is_not_counted() {
        for text in [
            "a: b *c\n",
            "a: \"*c\"\n",
            "a: '*c, *d'\n",
            "a: \"x\n  *c\"\n",
            "a: 'it''s *c'\n",
            "# *c *d\na: 1 # *e\n",
            "a: |\n  *c\n  *d\n\n  *e\nb: 1\n",
            "a: >-\n    *c\n",
            "a: x*c\n",
            "a*c: 1\n",
            "path: /var/*/x\n",
            "a: \"\\\"*c\"\n",
        ] {
            assert_eq!(count(text), 0, "{text:?}");
        }
        // After a block scalar, aliases count again.
        assert_eq!(count("a: |\n  *c\nb: &x [1]\nc: *x\n"), 1);
    }

    #[test]
    fn stops_counting_past_the_limit() {
        let bomb = format!(
            "a: &a [{}]\nb: [{}]\n",
            vec!["x"; 2000].join(","),
            vec!["*a"; 2000].join(",")
        );
        assert_eq!(collection_aliases(&bomb, 50), 51);
        assert_eq!(count(&bomb), 2000);
    }

    #[test]
    fn the_byte_budget_stops_copies_of_a_large_scalar() {
        // Review (second round) finding 3: 5,000 aliases of a 100 KB string.
        let mut text = format!("a: &a \"{}\"\nb: [", "x".repeat(100_000));
        for i in 0..5_000 {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str("*a");
        }
        text.push_str("]\n");
        assert!(matches!(parse(&text), Err(Refused::TooManyValues(_))));
        // A few copies of a moderate string are fine.
        let ok = format!("a: &a \"{}\"\nb: [*a, *a, *a]\n", "x".repeat(1_000));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn the_value_budget_stops_expansion() {
        // 40 aliases (below SnakeYAML's limit), each of a 4000-item list: 160,000 values from
        // a 16 KB document.
        let text = format!(
            "a: &a [{}]\nb: [{}]\n",
            vec!["x"; 4000].join(","),
            vec!["*a"; 40].join(",")
        );
        assert_eq!(count(&text), 40);
        match parse(&text) {
            Err(Refused::TooManyValues(n)) => assert_eq!(n, value_budget(text.len())),
            other => panic!("{other:?}"),
        }
        // A document without aliases fits, however dense.
        let dense = format!("a: [{}]\n", vec!["''"; 100_000].join(","));
        assert!(parse(&dense).is_ok());
        let keys: String = (0..60_000).map(|i| format!("k{i}:\n")).collect();
        assert!(parse(&keys).is_ok());
    }

    #[test]
    fn builds_what_serde_yaml_ng_builds() {
        for text in [
            "a: 1\nb: [x, 2.5, true, null, ~]\nc: {d: !t e, f: !t [1]}\n",
            "a: &x [1, 2]\nb: *x\n",
            "",
            "- 1\n",
            "a: 18446744073709551615\nb: -9223372036854775808\nc: 1e400\n",
            "!!binary x: 1\n",
            "a: 340282366920938463463374607431768211455\n",
        ] {
            let ours = parse(text).map_err(|e| format!("{e:?}"));
            let theirs = serde_yaml_ng::from_str::<Value>(text).map_err(|e| format!("{e:?}"));
            assert_eq!(ours.is_ok(), theirs.is_ok(), "{text}");
            if let (Ok(a), Ok(b)) = (ours, theirs) {
                assert_eq!(a, b, "{text}");
            }
        }
        for text in [
            "a: 1\na: 2\n",
            "a: [\n",
            "1: x\n1: y\n",
            "? [a]\n: 1\n? [a]\n: 2\n",
        ] {
            let ours = match parse(text) {
                Err(Refused::Yaml(e)) => e.to_string(),
                other => panic!("{other:?}"),
            };
            let theirs = serde_yaml_ng::from_str::<Value>(text)
                .unwrap_err()
                .to_string();
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
