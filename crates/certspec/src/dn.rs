//! Distinguished names written as text, as `javax.security.auth.x500.X500Principal(String)` reads
//! them: what certutil's `instances.yml` accepts as an instance `name` that contains `=`.
//!
//! The grammar is RFC 2253 with RFC 1779's tolerance: relative distinguished names separated by
//! `,` or `;`, each `KEYWORD=value` or `OID=value`, values plain (with `\` escapes: a special
//! character or two hex digits of UTF-8) or quoted. A multi-valued RDN (`+`) and a BER value
//! (`#...`), which no Elasticsearch node name needs, are refused with a message that says so.

use std::fmt;

/// How an attribute value is encoded in a certificate (as the JDK's `AVA` picks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnStringType {
    /// PrintableString (every character in its alphabet).
    Printable,
    /// UTF8String.
    Utf8,
    /// IA5String (`DC`, `EMAILADDRESS`).
    Ia5,
}

/// The attribute keywords `X500Principal` knows (RFC 2253, RFC 1779 and the JDK's additions),
/// with their OIDs. The first keyword of a row is the one shown.
const KEYWORDS: &[(&[&str], &[u64])] = &[
    (&["CN"], &[2, 5, 4, 3]),
    (&["C"], &[2, 5, 4, 6]),
    (&["L"], &[2, 5, 4, 7]),
    (&["ST", "S"], &[2, 5, 4, 8]),
    (&["O"], &[2, 5, 4, 10]),
    (&["OU"], &[2, 5, 4, 11]),
    (&["T", "TITLE"], &[2, 5, 4, 12]),
    (&["STREET"], &[2, 5, 4, 9]),
    (&["SURNAME"], &[2, 5, 4, 4]),
    (&["SERIALNUMBER"], &[2, 5, 4, 5]),
    (&["GIVENNAME"], &[2, 5, 4, 42]),
    (&["INITIALS"], &[2, 5, 4, 43]),
    (&["GENERATION"], &[2, 5, 4, 44]),
    (&["DNQUALIFIER", "DNQ"], &[2, 5, 4, 46]),
    (&["DC"], &[0, 9, 2342, 19_200_300, 100, 1, 25]),
    (&["UID"], &[0, 9, 2342, 19_200_300, 100, 1, 1]),
    (&["EMAILADDRESS", "EMAIL"], &[1, 2, 840, 113_549, 1, 9, 1]),
    (&["IP"], &[1, 3, 6, 1, 4, 1, 42, 2, 11, 2, 1]),
];

const CN_OID: &[u64] = &[2, 5, 4, 3];

/// One `TYPE=value` of a distinguished name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnAttribute {
    /// The attribute type's OID arcs.
    pub oid: Vec<u64>,
    /// The keyword shown for it (`CN`), or `None` when only the OID is known.
    pub keyword: Option<&'static str>,
    /// The value, unescaped.
    pub value: String,
}

impl DnAttribute {
    /// The ASN.1 string type the value is written with.
    pub fn string_type(&self) -> DnStringType {
        match self.keyword {
            Some("DC" | "EMAILADDRESS") if self.value.is_ascii() => DnStringType::Ia5,
            _ if crate::is_printable_string(&self.value) => DnStringType::Printable,
            _ => DnStringType::Utf8,
        }
    }
}

/// A distinguished name, attributes in the order they are written (most specific first, as in
/// `CN=node,O=Example`); certificates encode them in the reverse order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinguishedName {
    attributes: Vec<DnAttribute>,
}

/// Why a text is not a distinguished name es-autoconf can use; the text says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDn(pub String);

impl fmt::Display for InvalidDn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidDn {}

/// Characters that must be escaped inside a value (RFC 1779's specials, as the JDK checks them).
const SPECIALS: &[char] = &[',', '=', '\n', '+', '<', '>', '#', ';', '\\', '"'];

impl DistinguishedName {
    /// `CN=<cn>`.
    pub fn common_name(cn: &str) -> Self {
        Self {
            attributes: vec![DnAttribute {
                oid: CN_OID.to_vec(),
                keyword: Some("CN"),
                value: cn.to_owned(),
            }],
        }
    }

    /// Parses `text` as `X500Principal(String)` does (see the module documentation for what is
    /// refused on purpose).
    pub fn parse(text: &str) -> Result<Self, InvalidDn> {
        let chars: Vec<char> = text.chars().collect();
        let mut p = Parser { chars, at: 0 };
        let mut attributes: Vec<DnAttribute> = Vec::new();
        loop {
            p.skip_spaces();
            let attr = p.attribute()?;
            attributes.push(attr);
            match p.next() {
                None => break,
                Some(',' | ';') => continue,
                Some('+') => {
                    return Err(InvalidDn(
                        "multi-valued relative distinguished names (+) are not supported".into(),
                    ))
                }
                Some(c) => {
                    return Err(InvalidDn(format!(
                        "Character '{c}' in AVA appears without escape"
                    )))
                }
            }
        }
        Ok(Self { attributes })
    }

    /// The attributes, in written order.
    pub fn attributes(&self) -> &[DnAttribute] {
        &self.attributes
    }

    /// The value of the first `CN`, if any.
    pub fn cn(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.oid == CN_OID)
            .map(|a| a.value.as_str())
    }

    /// Whether this is exactly `CN=<value>` (one attribute).
    pub fn is_cn_only(&self) -> bool {
        self.attributes.len() == 1 && self.attributes[0].oid == CN_OID
    }
}

impl fmt::Display for DistinguishedName {
    /// RFC 2253 text (`X500Principal.getName()` style): `CN=a,O=b`, specials escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.attributes.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match a.keyword {
                Some(k) => f.write_str(k)?,
                None => f.write_str(&oid_text(&a.oid))?,
            }
            f.write_str("=")?;
            f.write_str(&escape(&a.value))?;
        }
        Ok(())
    }
}

fn oid_text(oid: &[u64]) -> String {
    oid.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// RFC 2253 escaping of a value.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let edge_space = c == ' ' && (i == 0 || i + 1 == n);
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (c == '#' && i == 0)
            || edge_space
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ') {
            self.at += 1;
        }
    }

    fn attribute(&mut self) -> Result<DnAttribute, InvalidDn> {
        let start = self.at;
        while let Some(c) = self.peek() {
            if c == '=' {
                break;
            }
            if matches!(c, ',' | ';' | '+') {
                return Err(InvalidDn("improperly specified input name".into()));
            }
            self.at += 1;
        }
        if self.next() != Some('=') {
            return Err(InvalidDn("improperly specified input name".into()));
        }
        let raw: String = self.chars[start..self.at - 1].iter().collect();
        let (oid, keyword) = attribute_type(raw.trim())?;
        self.skip_spaces();
        let value = self.value()?;
        Ok(DnAttribute {
            oid,
            keyword,
            value,
        })
    }

    /// A value, up to (not including) the next unescaped `,`, `;` or `+`.
    fn value(&mut self) -> Result<String, InvalidDn> {
        if self.peek() == Some('"') {
            self.at += 1;
            let mut bytes = Vec::new();
            loop {
                match self.next() {
                    None => return Err(InvalidDn("Quoted string did not end with quote".into())),
                    Some('"') => break,
                    Some('\\') => self.escaped(&mut bytes)?,
                    Some(c) => push_char(&mut bytes, c),
                }
            }
            self.skip_spaces();
            return utf8(bytes);
        }
        if self.peek() == Some('#') {
            return Err(InvalidDn(
                "BER-encoded values (#...) are not supported".into(),
            ));
        }
        let mut bytes = Vec::new();
        // Length of `bytes` up to the last character that was escaped or not a space: trailing
        // unescaped spaces are not part of the value.
        let mut keep = 0;
        while let Some(c) = self.peek() {
            if matches!(c, ',' | ';' | '+') {
                break;
            }
            self.at += 1;
            if c == '\\' {
                self.escaped(&mut bytes)?;
                keep = bytes.len();
                continue;
            }
            if SPECIALS.contains(&c) {
                return Err(InvalidDn(format!(
                    "Character '{}' in AVA appears without escape",
                    c.escape_default()
                )));
            }
            push_char(&mut bytes, c);
            if c != ' ' {
                keep = bytes.len();
            }
        }
        bytes.truncate(keep);
        utf8(bytes)
    }

    /// After a `\`: a special character (or a space), or two hex digits of a UTF-8 byte.
    fn escaped(&mut self, bytes: &mut Vec<u8>) -> Result<(), InvalidDn> {
        let Some(c) = self.next() else {
            return Err(InvalidDn("escaped character missing at the end".into()));
        };
        if let Some(hi) = c.to_digit(16) {
            let lo = self
                .next()
                .and_then(|d| d.to_digit(16))
                .ok_or_else(|| InvalidDn("escaped hex value must have two digits".into()))?;
            bytes.push((hi * 16 + lo) as u8);
            return Ok(());
        }
        if SPECIALS.contains(&c) || c == ' ' {
            push_char(bytes, c);
            return Ok(());
        }
        Err(InvalidDn(format!("invalid escaped character '{c}'")))
    }
}

fn push_char(bytes: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

fn utf8(bytes: Vec<u8>) -> Result<String, InvalidDn> {
    String::from_utf8(bytes).map_err(|_| InvalidDn("escaped bytes are not UTF-8".into()))
}

/// A keyword (any case, `OID.` prefix allowed for dotted OIDs) or a dotted OID.
fn attribute_type(raw: &str) -> Result<(Vec<u64>, Option<&'static str>), InvalidDn> {
    let numeric = raw
        .strip_prefix("OID.")
        .or_else(|| raw.strip_prefix("oid."))
        .unwrap_or(raw);
    if !numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let arcs: Option<Vec<u64>> = numeric.split('.').map(|a| a.parse().ok()).collect();
        // X.660: the first arc is 0, 1 or 2, and under 0 and 1 the second is below 40.
        let arcs = arcs
            .filter(|a| a.len() >= 2 && a[0] <= 2 && (a[0] == 2 || a[1] < 40) && a[1] < 1 << 56)
            .ok_or_else(|| InvalidDn(format!("Invalid OID \"{raw}\"")))?;
        let keyword = KEYWORDS
            .iter()
            .find(|(_, oid)| *oid == arcs.as_slice())
            .map(|(names, _)| names[0]);
        return Ok((arcs, keyword));
    }
    KEYWORDS
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(raw)))
        .map(|(names, oid)| (oid.to_vec(), Some(names[0])))
        .ok_or_else(|| InvalidDn(format!("Invalid keyword \"{raw}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_x500principal_reads() {
        let dn = DistinguishedName::parse("CN=es01, OU=Ops;o=\"Example, Inc.\"").unwrap();
        let shown: Vec<(Option<&str>, &str)> = dn
            .attributes()
            .iter()
            .map(|a| (a.keyword, a.value.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (Some("CN"), "es01"),
                (Some("OU"), "Ops"),
                (Some("O"), "Example, Inc.")
            ]
        );
        assert_eq!(dn.cn(), Some("es01"));
        assert_eq!(dn.to_string(), "CN=es01,OU=Ops,O=Example\\, Inc.");
        assert_eq!(DistinguishedName::parse(&dn.to_string()), Ok(dn));
        let esc = DistinguishedName::parse("CN=a\\,b\\C3\\A9 \\ ,2.5.4.10=x").unwrap();
        assert_eq!(esc.cn(), Some("a,bé  "));
        assert_eq!(esc.attributes()[1].keyword, Some("O"));
        let no_cn = DistinguishedName::parse("O=x,DC=example").unwrap();
        assert_eq!(no_cn.cn(), None);
        assert_eq!(no_cn.attributes()[1].string_type(), DnStringType::Ia5);
        assert!(DistinguishedName::parse("CN=plain").unwrap().is_cn_only());
    }

    #[test]
    fn refuses_what_it_cannot_write() {
        for (text, why) in [
            ("CN=a,b", "improperly specified input name"),
            ("CN=a=b", "Character '=' in AVA appears without escape"),
            ("XX=a", "Invalid keyword \"XX\""),
            ("CN=a+O=b", "multi-valued"),
            ("CN=#0403", "BER-encoded"),
            ("CN=\"open", "Quoted string did not end with quote"),
            ("CN=a\\", "escaped character missing"),
            ("CN=a\\zz", "invalid escaped character"),
            ("CN=\\ff", "not UTF-8"),
            ("9.1=x", "Invalid OID"),
            ("1.40.3=x", "Invalid OID"),
        ] {
            let e = DistinguishedName::parse(text).unwrap_err();
            assert!(e.0.contains(why), "{text}: {e}");
        }
    }
}
