//! A JSON tree that keeps object order and rejects duplicate keys.
//!
//! `serde_json::Value` silently keeps the last of duplicate keys; a safetensors header
//! with two entries of the same name is ambiguous, so this module builds its own tree
//! through serde's visitor API and stops at the first duplicate, recording which kind of
//! duplicate it was. Nesting depth is bounded by serde_json's recursion limit (128).

use super::reason::InvalidReason;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

/// A parsed JSON value; objects keep their keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    /// Non-negative integer.
    U64(u64),
    /// Negative integer.
    I64(i64),
    F64(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::U64(_) | Json::I64(_) | Json::F64(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

/// Where an object sits in the header, to name its duplicates precisely.
#[derive(Clone)]
enum Ctx {
    /// The header object itself: keys are tensor names (or `__metadata__`).
    Top,
    /// The value of a top-level key.
    Entry(String),
    /// Anything deeper.
    Deeper,
}

struct Seed<'c> {
    ctx: Ctx,
    reason: &'c RefCell<Option<InvalidReason>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(if v >= 0 {
            Json::U64(v as u64)
        } else {
            Json::I64(v)
        })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed {
            ctx: Ctx::Deeper,
            reason: self.reason,
        })? {
            items.push(v);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let reason = match &self.ctx {
                    Ctx::Top if key == super::reason::METADATA_KEY => {
                        InvalidReason::DuplicateMetadataBlock
                    }
                    Ctx::Top => InvalidReason::DuplicateTensorName(key),
                    Ctx::Entry(owner) if owner == super::reason::METADATA_KEY => {
                        InvalidReason::DuplicateMetadataKey(key)
                    }
                    Ctx::Entry(owner) => InvalidReason::DuplicateField {
                        tensor: owner.clone(),
                        field: key,
                    },
                    Ctx::Deeper => InvalidReason::DuplicateKey(key),
                };
                let msg = reason.to_string();
                *self.reason.borrow_mut() = Some(reason);
                return Err(de::Error::custom(msg));
            }
            let child = match &self.ctx {
                Ctx::Top => Ctx::Entry(key.clone()),
                _ => Ctx::Deeper,
            };
            let value = map.next_value_seed(Seed {
                ctx: child,
                reason: self.reason,
            })?;
            entries.push((key, value));
        }
        Ok(Json::Obj(entries))
    }
}

/// Parses a complete JSON document (surrounding whitespace allowed, nothing else).
pub(super) fn parse(text: &str) -> Result<Json, InvalidReason> {
    let reason = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = Seed {
        ctx: Ctx::Top,
        reason: &reason,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|_| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(reason
            .into_inner()
            .unwrap_or_else(|| InvalidReason::InvalidJson(e.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_types() {
        let j = parse(r#" {"b": [1, -2, 2.5, "x", null, true], "a": {}} "#).unwrap();
        assert_eq!(
            j,
            Json::Obj(vec![
                (
                    "b".into(),
                    Json::Arr(vec![
                        Json::U64(1),
                        Json::I64(-2),
                        Json::F64(2.5),
                        Json::Str("x".into()),
                        Json::Null,
                        Json::Bool(true)
                    ])
                ),
                ("a".into(), Json::Obj(vec![])),
            ])
        );
    }

    #[test]
    fn duplicates_are_named_by_level() {
        assert_eq!(
            parse(r#"{"w": {}, "w": {}}"#),
            Err(InvalidReason::DuplicateTensorName("w".into()))
        );
        assert_eq!(
            parse(r#"{"__metadata__": {}, "__metadata__": {}}"#),
            Err(InvalidReason::DuplicateMetadataBlock)
        );
        assert_eq!(
            parse(r#"{"__metadata__": {"k": "1", "k": "2"}}"#),
            Err(InvalidReason::DuplicateMetadataKey("k".into()))
        );
        assert_eq!(
            parse(r#"{"w": {"dtype": "F32", "dtype": "F16"}}"#),
            Err(InvalidReason::DuplicateField {
                tensor: "w".into(),
                field: "dtype".into()
            })
        );
        assert_eq!(
            parse(r#"{"w": {"x": [{"a": 1, "a": 2}]}}"#),
            Err(InvalidReason::DuplicateKey("a".into()))
        );
        // Escaped spellings of the same key are the same key.
        assert_eq!(
            parse(r#"{"w": {}, "\u0077": {}}"#),
            Err(InvalidReason::DuplicateTensorName("w".into()))
        );
    }

    #[test]
    fn syntax_errors_and_trailing_garbage() {
        for bad in ["", "{", "{\"a\":}", "{} x", "[1,]", "{\"a\":1,}"] {
            assert!(
                matches!(parse(bad), Err(InvalidReason::InvalidJson(_))),
                "{bad}"
            );
        }
        let deep = "[".repeat(10_000);
        assert!(matches!(parse(&deep), Err(InvalidReason::InvalidJson(_))));
    }
}
