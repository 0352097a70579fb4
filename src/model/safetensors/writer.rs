//! Writing safetensors files, atomically.

use super::dtype::Dtype;
use super::reason::{MAX_HEADER_LEN, METADATA_KEY};
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

struct Pending<'a> {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    data: Cow<'a, [u8]>,
}

/// Collects tensors and metadata, then writes one safetensors file.
///
/// Layout: tensors are stored by decreasing element size (64-bit dtypes first, sub-byte
/// ones last), in insertion order within one size, so that with the 8-byte aligned
/// header every tensor starts at a multiple of its element size. The JSON header lists
/// `__metadata__` first (if any metadata was added), then the tensors in file order, and
/// is padded with spaces to a multiple of 8 bytes. Data may be borrowed (`&[u8]`) or
/// owned (`Vec<u8>`); borrowed data is copied only when the file is written.
#[derive(Default)]
pub struct SafetensorsWriter<'a> {
    tensors: Vec<Pending<'a>>,
    names: HashSet<String>,
    metadata: Vec<(String, String)>,
    keys: HashSet<String>,
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("serializing a str cannot fail")
}

impl<'a> SafetensorsWriter<'a> {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tensors added so far.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// True when no tensor was added.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Adds a tensor. `data` must hold exactly the tensor's bytes (little-endian,
    /// row-major): element count x dtype bits / 8.
    ///
    /// Errors (`InvalidArgument`): empty name, the reserved name `__metadata__`, a NUL
    /// in the name, a name already added, a byte length that does not match, a sub-byte
    /// tensor that does not fill whole bytes. `SizeOverflow` if the size overflows.
    pub fn add_tensor(
        &mut self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
        data: impl Into<Cow<'a, [u8]>>,
    ) -> Result<()> {
        let data = data.into();
        if name.is_empty() {
            return Err(Error::invalid("tensor name is empty"));
        }
        if name == METADATA_KEY {
            return Err(Error::invalid(format!(
                "tensor name {METADATA_KEY:?} is reserved for metadata"
            )));
        }
        if name.contains('\0') {
            return Err(Error::invalid(format!(
                "tensor name {name:?} contains a NUL character"
            )));
        }
        if self.names.contains(name) {
            return Err(Error::invalid(format!("duplicate tensor name {name:?}")));
        }
        let count = crate::error::checked_product(shape, "tensor shape")?;
        let bits = count
            .checked_mul(dtype.bits())
            .ok_or_else(|| Error::overflow(format!("tensor {name:?}: size in bits overflows")))?;
        if bits % 8 != 0 {
            return Err(Error::invalid(format!(
                "tensor {name:?}: {count} {} elements are {bits} bits, not whole bytes",
                dtype.name()
            )));
        }
        if data.len() != bits / 8 {
            return Err(Error::invalid(format!(
                "tensor {name:?}: shape {shape:?} of {} needs {} bytes, got {}",
                dtype.name(),
                bits / 8,
                data.len()
            )));
        }
        self.names.insert(name.to_string());
        self.tensors.push(Pending {
            name: name.to_string(),
            dtype,
            shape: shape.to_vec(),
            data,
        });
        Ok(())
    }

    /// Adds a `__metadata__` entry. Errors (`InvalidArgument`): a key added twice, or a
    /// NUL in the key or value.
    pub fn add_metadata(&mut self, key: &str, value: &str) -> Result<()> {
        if key.contains('\0') || value.contains('\0') {
            return Err(Error::invalid(format!(
                "metadata entry {key:?} contains a NUL character"
            )));
        }
        if !self.keys.insert(key.to_string()) {
            return Err(Error::invalid(format!("duplicate metadata key {key:?}")));
        }
        self.metadata.push((key.to_string(), value.to_string()));
        Ok(())
    }

    /// File order of the tensors (indices into `self.tensors`).
    fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.tensors.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.tensors[i].dtype.bits()));
        order
    }

    /// The 8-byte length prefix plus the padded JSON header.
    fn header(&self, order: &[usize]) -> Result<Vec<u8>> {
        let mut json = String::from("{");
        let mut first = true;
        if !self.metadata.is_empty() {
            json.push_str(&json_str(METADATA_KEY));
            json.push_str(":{");
            for (i, (k, v)) in self.metadata.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(&json_str(k));
                json.push(':');
                json.push_str(&json_str(v));
            }
            json.push('}');
            first = false;
        }
        let mut offset = 0usize;
        for &i in order {
            let t = &self.tensors[i];
            if !first {
                json.push(',');
            }
            first = false;
            let end = offset + t.data.len();
            let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
            json.push_str(&format!(
                "{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
                json_str(&t.name),
                t.dtype.name(),
                shape.join(",")
            ));
            offset = end;
        }
        json.push('}');
        while json.len() % 8 != 0 {
            json.push(' ');
        }
        if json.len() as u64 > MAX_HEADER_LEN {
            return Err(Error::invalid(format!(
                "header would be {} bytes, above the {MAX_HEADER_LEN}-byte limit readers accept",
                json.len()
            )));
        }
        let mut out = Vec::with_capacity(8 + json.len());
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(json.as_bytes());
        Ok(out)
    }

    /// Writes the whole file to `w`.
    pub fn write_to(&self, w: &mut impl Write) -> Result<()> {
        let order = self.order();
        w.write_all(&self.header(&order)?)?;
        for &i in &order {
            w.write_all(&self.tensors[i].data)?;
        }
        Ok(())
    }

    /// The whole file as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// Writes the file to `path` atomically: the bytes go to a new temporary file in the
    /// same directory, which is flushed to disk (`fsync`) and then renamed over `path`,
    /// and the directory is synced. A crash leaves either the old file or the complete
    /// new one under `path` (plus, at worst, a stray `.<name>.tmp-*` file); on error the
    /// temporary file is removed. Readers that still map the old file keep reading it.
    ///
    /// Windows cannot replace or delete a file while it is mapped. There, when the rename
    /// over `path` is refused, the old file is first renamed aside to
    /// `.<name>.old-<tag>-<n>` in the same directory and the new one renamed in (so a
    /// reader opening `path` in between may briefly find no file); the old file is then
    /// deleted, or, while still mapped, left for the next `write` to the same path to
    /// delete. Processes that map it keep reading the old contents.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::model::atomic::write_atomic(path.as_ref(), |w| {
            let mut w = w;
            self.write_to(&mut w)
        })
    }
}
