//! Schema-aware, single-pass parsing of the safetensors JSON header.
//!
//! serde's visitor API drives serde_json's tokenizer straight into the header's shape:
//! the top level must be an object, `__metadata__` an object of strings (or null), each
//! tensor an object with exactly `dtype` (string), `shape` and `data_offsets` (arrays of
//! non-negative integers). Anything else stops the parse at once with a precise
//! [`InvalidReason`] (an unknown field is rejected before its value is read), so memory
//! stays proportional to what a valid header needs: names, metadata strings and shape
//! arrays (8 bytes per dimension, each at least 2 header bytes). Duplicate keys are
//! detected at every level (serde_json's own maps would keep the last one silently).
//! Nesting cannot go deeper than the schema, and serde_json bounds recursion anyway.

use super::reason::{InvalidReason, METADATA_KEY};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

/// A tensor entry with the JSON types checked; values not yet validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawTensor {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub begin: u64,
    pub end: u64,
}

/// One top-level header entry, in header order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RawItem {
    /// `__metadata__` (null gives an empty list).
    Metadata(Vec<(String, String)>),
    Tensor(RawTensor),
}

type Cell<'c> = &'c RefCell<Option<InvalidReason>>;

/// Records `reason` and returns the error that aborts the parse.
fn fail<E: de::Error>(cell: Cell<'_>, reason: InvalidReason) -> E {
    let msg = reason.to_string();
    *cell.borrow_mut() = Some(reason);
    E::custom(msg)
}

/// Implements the listed JSON kinds as rejections through `self.reject(kind)`.
macro_rules! reject {
    (bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(self.reject("a boolean"))
        }
    };
    (num) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(self.reject("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(self.reject("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(self.reject("a number"))
        }
    };
    (str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(self.reject("a string"))
        }
    };
    (null) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(self.reject("null"))
        }
    };
    (seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(self.reject("an array"))
        }
    };
    (map) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(self.reject("an object"))
        }
    };
    ($($kind:tt),+) => {
        $(reject!($kind);)+
    };
}

/// The header object.
struct Top<'c>(Cell<'c>);

impl Top<'_> {
    fn reject<E: de::Error>(&self, found: &'static str) -> E {
        fail(self.0, InvalidReason::HeaderNotObject { found })
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Vec<RawItem>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the safetensors header object")
    }
    reject!(bool, num, str, null, seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let reason = if key == METADATA_KEY {
                    InvalidReason::DuplicateMetadataBlock
                } else {
                    InvalidReason::DuplicateTensorName(key)
                };
                return Err(fail(self.0, reason));
            }
            if key == METADATA_KEY {
                items.push(RawItem::Metadata(map.next_value_seed(Meta(self.0))?));
            } else {
                let t = map.next_value_seed(Tensor {
                    cell: self.0,
                    name: key,
                })?;
                items.push(RawItem::Tensor(t));
            }
        }
        Ok(items)
    }
}

/// `__metadata__`: an object of strings, or null.
struct Meta<'c>(Cell<'c>);

impl Meta<'_> {
    fn reject<E: de::Error>(&self, found: &'static str) -> E {
        fail(self.0, InvalidReason::MetadataNotObject { found })
    }
}

impl<'de> DeserializeSeed<'de> for Meta<'_> {
    type Value = Vec<(String, String)>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Meta<'_> {
    type Value = Vec<(String, String)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of strings")
    }
    reject!(bool, num, str, seq);
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(fail(self.0, InvalidReason::DuplicateMetadataKey(key)));
            }
            let value = map.next_value_seed(MetaValue {
                cell: self.0,
                key: &key,
            })?;
            entries.push((key, value));
        }
        Ok(entries)
    }
}

/// One metadata value: a string.
struct MetaValue<'c, 'k> {
    cell: Cell<'c>,
    key: &'k str,
}

impl MetaValue<'_, '_> {
    fn reject<E: de::Error>(&self, found: &'static str) -> E {
        fail(
            self.cell,
            InvalidReason::MetadataValueNotString {
                key: self.key.to_string(),
                found,
            },
        )
    }
}

impl<'de> DeserializeSeed<'de> for MetaValue<'_, '_> {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MetaValue<'_, '_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    reject!(bool, num, null, seq, map);
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(v)
    }
}

/// One tensor entry.
struct Tensor<'c> {
    cell: Cell<'c>,
    name: String,
}

impl Tensor<'_> {
    fn reject<E: de::Error>(&self, found: &'static str) -> E {
        fail(
            self.cell,
            InvalidReason::TensorNotObject {
                tensor: self.name.clone(),
                found,
            },
        )
    }
}

impl<'de> DeserializeSeed<'de> for Tensor<'_> {
    type Value = RawTensor;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Tensor<'_> {
    type Value = RawTensor;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tensor entry object")
    }
    reject!(bool, num, str, null, seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let cell = self.cell;
        let name = self.name;
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            let dup = match key.as_str() {
                "dtype" => dtype.is_some(),
                "shape" => shape.is_some(),
                "data_offsets" => offsets.is_some(),
                _ => {
                    return Err(fail(
                        cell,
                        InvalidReason::UnknownField {
                            tensor: name,
                            field: key,
                        },
                    ))
                }
            };
            if dup {
                return Err(fail(
                    cell,
                    InvalidReason::DuplicateField {
                        tensor: name,
                        field: key,
                    },
                ));
            }
            match key.as_str() {
                "dtype" => {
                    dtype = Some(map.next_value_seed(Dtype {
                        cell,
                        tensor: &name,
                    })?)
                }
                "shape" => {
                    shape = Some(map.next_value_seed(UintList {
                        cell,
                        tensor: &name,
                        offsets: false,
                    })?)
                }
                _ => {
                    offsets = Some(map.next_value_seed(UintList {
                        cell,
                        tensor: &name,
                        offsets: true,
                    })?)
                }
            }
        }
        let missing = |field| {
            fail::<A::Error>(
                cell,
                InvalidReason::MissingField {
                    tensor: name.clone(),
                    field,
                },
            )
        };
        let dtype = dtype.ok_or_else(|| missing("dtype"))?;
        let shape = shape.ok_or_else(|| missing("shape"))?;
        let offsets = offsets.ok_or_else(|| missing("data_offsets"))?;
        if offsets.len() != 2 {
            return Err(fail(cell, InvalidReason::BadDataOffsets { tensor: name }));
        }
        Ok(RawTensor {
            dtype,
            shape,
            begin: offsets[0],
            end: offsets[1],
            name,
        })
    }
}

/// A tensor's `dtype`: a string.
struct Dtype<'c, 't> {
    cell: Cell<'c>,
    tensor: &'t str,
}

impl Dtype<'_, '_> {
    fn reject<E: de::Error>(&self, _found: &'static str) -> E {
        fail(
            self.cell,
            InvalidReason::DtypeNotString {
                tensor: self.tensor.to_string(),
            },
        )
    }
}

impl<'de> DeserializeSeed<'de> for Dtype<'_, '_> {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Dtype<'_, '_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dtype name")
    }
    reject!(bool, num, null, seq, map);
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.to_owned())
    }
}

/// `shape` or `data_offsets`: an array of non-negative integers (at most 2 for offsets,
/// so a long offsets array is rejected without being stored).
#[derive(Clone, Copy)]
struct UintList<'c, 't> {
    cell: Cell<'c>,
    tensor: &'t str,
    offsets: bool,
}

impl UintList<'_, '_> {
    fn reject<E: de::Error>(&self, _found: &'static str) -> E {
        let tensor = self.tensor.to_string();
        let reason = if self.offsets {
            InvalidReason::BadDataOffsets { tensor }
        } else {
            InvalidReason::BadShape { tensor }
        };
        fail(self.cell, reason)
    }
}

impl<'de> DeserializeSeed<'de> for UintList<'_, '_> {
    type Value = Vec<u64>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UintList<'_, '_> {
    type Value = Vec<u64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of non-negative integers")
    }
    reject!(bool, num, str, null, map);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Uint(self))? {
            if self.offsets && out.len() == 2 {
                return Err(self.reject("a longer array"));
            }
            out.push(v);
        }
        Ok(out)
    }
}

/// One element of a [`UintList`].
struct Uint<'c, 't>(UintList<'c, 't>);

impl<'de> DeserializeSeed<'de> for Uint<'_, '_> {
    type Value = u64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Uint<'_, '_> {
    fn reject<E: de::Error>(&self, found: &'static str) -> E {
        self.0.reject(found)
    }
}

impl<'de> Visitor<'de> for Uint<'_, '_> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative integer")
    }
    reject!(bool, str, null, seq, map);
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v).map_err(|_| self.reject("a negative number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(self.reject("a fraction"))
    }
}

/// Parses the header text (surrounding whitespace allowed, nothing else) into its
/// entries, in header order.
pub(super) fn parse(text: &str) -> Result<Vec<RawItem>, InvalidReason> {
    let cell = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result =
        de::Deserializer::deserialize_any(&mut de, Top(&cell)).and_then(|v| de.end().map(|_| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(cell
            .into_inner()
            .unwrap_or_else(|| InvalidReason::InvalidJson(e.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, dtype: &str, shape: &[u64], begin: u64, end: u64) -> RawItem {
        RawItem::Tensor(RawTensor {
            name: name.into(),
            dtype: dtype.into(),
            shape: shape.to_vec(),
            begin,
            end,
        })
    }

    #[test]
    fn keeps_order_and_values() {
        let h = r#" {"b": {"shape": [2, 3], "dtype": "F32", "data_offsets": [0, 24]},
                    "__metadata__": {"k": "v", "e": "\u00e9"},
                    "a": {"dtype": "U8", "shape": [], "data_offsets": [24, 25]}} "#;
        assert_eq!(
            parse(h).unwrap(),
            vec![
                t("b", "F32", &[2, 3], 0, 24),
                RawItem::Metadata(vec![("k".into(), "v".into()), ("e".into(), "é".into())]),
                t("a", "U8", &[], 24, 25),
            ]
        );
        assert_eq!(
            parse(r#"{"__metadata__": null}"#).unwrap(),
            vec![RawItem::Metadata(vec![])]
        );
    }

    #[test]
    fn duplicates_are_named_by_level() {
        assert_eq!(
            parse(r#"{"w": {}, "w": {}}"#),
            Err(InvalidReason::MissingField {
                tensor: "w".into(),
                field: "dtype"
            })
        );
        let e = r#"{"dtype":"U8","shape":[0],"data_offsets":[0,0]}"#;
        assert_eq!(
            parse(&format!(r#"{{"w": {e}, "w": {e}}}"#)),
            Err(InvalidReason::DuplicateTensorName("w".into()))
        );
        // Escaped spellings of the same key are the same key.
        assert_eq!(
            parse(&format!(r#"{{"w": {e}, "\u0077": {e}}}"#)),
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
    }

    #[test]
    fn unknown_fields_stop_before_their_value() {
        // The value after "x" is not even valid JSON: the parse stops at the key.
        assert_eq!(
            parse(r#"{"w": {"x": [[[[[[ nonsense"#),
            Err(InvalidReason::UnknownField {
                tensor: "w".into(),
                field: "x".into()
            })
        );
        assert_eq!(
            parse(r#"{"w": {"dtype":"U8","shape":[0],"data_offsets":[0,0,0,0"#),
            Err(InvalidReason::BadDataOffsets { tensor: "w".into() })
        );
    }

    #[test]
    fn syntax_errors_and_trailing_garbage() {
        for bad in [
            "",
            "{",
            "{\"a\":}",
            "{} x",
            "{\"__metadata__\":{},}",
            "{\"a\" 1}",
        ] {
            assert!(
                matches!(parse(bad), Err(InvalidReason::InvalidJson(_))),
                "{bad}"
            );
        }
        assert_eq!(
            parse(&"[".repeat(10_000)),
            Err(InvalidReason::HeaderNotObject { found: "an array" })
        );
    }
}
