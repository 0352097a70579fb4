//! GGUF metadata values: types, borrowed values and lazily decoded arrays.

/// A metadata value type, numbered as in GGUF files (`gguf_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ValueType {
    /// u8.
    U8 = 0,
    /// i8.
    I8 = 1,
    /// u16.
    U16 = 2,
    /// i16.
    I16 = 3,
    /// u32.
    U32 = 4,
    /// i32.
    I32 = 5,
    /// f32.
    F32 = 6,
    /// bool (one byte, 0 or 1).
    Bool = 7,
    /// UTF-8 string: u64 length, bytes.
    String = 8,
    /// Array: u32 element type, u64 count, elements.
    Array = 9,
    /// u64.
    U64 = 10,
    /// i64.
    I64 = 11,
    /// f64.
    F64 = 12,
}

impl ValueType {
    /// The type with id `id`.
    pub fn from_id(id: u32) -> Option<Self> {
        use ValueType::*;
        Some(match id {
            0 => U8,
            1 => I8,
            2 => U16,
            3 => I16,
            4 => U32,
            5 => I32,
            6 => F32,
            7 => Bool,
            8 => String,
            9 => Array,
            10 => U64,
            11 => I64,
            12 => F64,
            _ => return None,
        })
    }

    /// Byte size of a fixed-size value, `None` for strings and arrays.
    pub fn fixed_size(self) -> Option<usize> {
        use ValueType::*;
        match self {
            U8 | I8 | Bool => Some(1),
            U16 | I16 => Some(2),
            U32 | I32 | F32 => Some(4),
            U64 | I64 | F64 => Some(8),
            String | Array => None,
        }
    }

    /// Lower-case name (`"uint32"`, `"string"`, ...), as the gguf package's enum.
    pub fn name(self) -> &'static str {
        use ValueType::*;
        match self {
            U8 => "uint8",
            I8 => "int8",
            U16 => "uint16",
            I16 => "int16",
            U32 => "uint32",
            I32 => "int32",
            F32 => "float32",
            Bool => "bool",
            String => "string",
            Array => "array",
            U64 => "uint64",
            I64 => "int64",
            F64 => "float64",
        }
    }
}

/// A metadata value borrowed from the file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// u8.
    U8(u8),
    /// i8.
    I8(i8),
    /// u16.
    U16(u16),
    /// i16.
    I16(i16),
    /// u32.
    U32(u32),
    /// i32.
    I32(i32),
    /// f32.
    F32(f32),
    /// bool.
    Bool(bool),
    /// A UTF-8 string (may contain NUL characters).
    String(&'a str),
    /// An array (possibly of arrays).
    Array(Array<'a>),
    /// u64.
    U64(u64),
    /// i64.
    I64(i64),
    /// f64.
    F64(f64),
}

impl<'a> Value<'a> {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::U8(_) => ValueType::U8,
            Value::I8(_) => ValueType::I8,
            Value::U16(_) => ValueType::U16,
            Value::I16(_) => ValueType::I16,
            Value::U32(_) => ValueType::U32,
            Value::I32(_) => ValueType::I32,
            Value::F32(_) => ValueType::F32,
            Value::Bool(_) => ValueType::Bool,
            Value::String(_) => ValueType::String,
            Value::Array(_) => ValueType::Array,
            Value::U64(_) => ValueType::U64,
            Value::I64(_) => ValueType::I64,
            Value::F64(_) => ValueType::F64,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Any integer type as i128 (bools are not integers here).
    pub fn as_int(&self) -> Option<i128> {
        Some(match *self {
            Value::U8(v) => v as i128,
            Value::I8(v) => v as i128,
            Value::U16(v) => v as i128,
            Value::I16(v) => v as i128,
            Value::U32(v) => v as i128,
            Value::I32(v) => v as i128,
            Value::U64(v) => v as i128,
            Value::I64(v) => v as i128,
            _ => return None,
        })
    }

    /// F32 or F64 as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v as f64),
            Value::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<Array<'a>> {
        match self {
            Value::Array(a) => Some(*a),
            _ => None,
        }
    }
}

/// An array value: element type, count and the encoded elements (validated when the
/// file was opened). Fixed-size elements are decoded by index in O(1); strings and
/// nested arrays are decoded in order by [`iter`](Array::iter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Array<'a> {
    elem: ValueType,
    len: usize,
    data: &'a [u8],
}

impl<'a> Array<'a> {
    pub(crate) fn new(elem: ValueType, len: usize, data: &'a [u8]) -> Self {
        Array { elem, len, data }
    }

    /// Element type.
    pub fn elem_type(&self) -> ValueType {
        self.elem
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty array.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoded elements (little-endian; for fixed-size types `len * size` bytes).
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    /// Element `i` (O(1) for fixed-size types, O(i) for strings and arrays).
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        if i >= self.len {
            return None;
        }
        match self.elem.fixed_size() {
            Some(sz) => decode_fixed(self.elem, &self.data[i * sz..(i + 1) * sz]),
            None => self.iter().nth(i),
        }
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + 'a {
        let (elem, data) = (self.elem, self.data);
        let mut pos = 0usize;
        (0..self.len).map_while(move |_| {
            let (v, used) = decode(elem, &data[pos..])?;
            pos += used;
            Some(v)
        })
    }
}

fn u32_at(b: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(..4)?.try_into().ok()?))
}

fn u64_at(b: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(..8)?.try_into().ok()?))
}

fn decode_fixed(t: ValueType, b: &[u8]) -> Option<Value<'static>> {
    let a2 = |b: &[u8]| -> Option<[u8; 2]> { b.get(..2)?.try_into().ok() };
    let a4 = |b: &[u8]| -> Option<[u8; 4]> { b.get(..4)?.try_into().ok() };
    let a8 = |b: &[u8]| -> Option<[u8; 8]> { b.get(..8)?.try_into().ok() };
    Some(match t {
        ValueType::U8 => Value::U8(*b.first()?),
        ValueType::I8 => Value::I8(*b.first()? as i8),
        ValueType::Bool => Value::Bool(*b.first()? != 0),
        ValueType::U16 => Value::U16(u16::from_le_bytes(a2(b)?)),
        ValueType::I16 => Value::I16(i16::from_le_bytes(a2(b)?)),
        ValueType::U32 => Value::U32(u32::from_le_bytes(a4(b)?)),
        ValueType::I32 => Value::I32(i32::from_le_bytes(a4(b)?)),
        ValueType::F32 => Value::F32(f32::from_le_bytes(a4(b)?)),
        ValueType::U64 => Value::U64(u64::from_le_bytes(a8(b)?)),
        ValueType::I64 => Value::I64(i64::from_le_bytes(a8(b)?)),
        ValueType::F64 => Value::F64(f64::from_le_bytes(a8(b)?)),
        ValueType::String | ValueType::Array => return None,
    })
}

/// Decodes one (already validated) value of type `t` at the start of `b`; returns it and
/// its encoded length. `None` only if `b` was not validated (never for parsed files).
pub(crate) fn decode(t: ValueType, b: &[u8]) -> Option<(Value<'_>, usize)> {
    if let Some(sz) = t.fixed_size() {
        return Some((decode_fixed(t, b)?, sz));
    }
    match t {
        ValueType::String => {
            let n = usize::try_from(u64_at(b)?).ok()?;
            let s = std::str::from_utf8(b.get(8..8usize.checked_add(n)?)?).ok()?;
            Some((Value::String(s), 8 + n))
        }
        _ => {
            let elem = ValueType::from_id(u32_at(b)?)?;
            let len = usize::try_from(u64_at(b.get(4..)?)?).ok()?;
            let body = b.get(12..)?;
            let used = encoded_len(elem, len, body)?;
            Some((
                Value::Array(Array::new(elem, len, &body[..used])),
                12 + used,
            ))
        }
    }
}

/// Bytes taken by `len` validated elements of type `elem` at the start of `b`.
fn encoded_len(elem: ValueType, len: usize, b: &[u8]) -> Option<usize> {
    if let Some(sz) = elem.fixed_size() {
        let n = len.checked_mul(sz)?;
        return (n <= b.len()).then_some(n);
    }
    let mut pos = 0usize;
    for _ in 0..len {
        let (_, used) = decode(elem, b.get(pos..)?)?;
        pos += used;
    }
    Some(pos)
}
