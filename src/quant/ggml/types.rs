//! GGML tensor types: ids as stored in GGUF files, block sizes and bytes per block.

/// A GGML tensor type, numbered as in GGUF files (`ggml_type` in ggml.h and
/// `GGMLQuantizationType` in the `gguf` Python package 0.19.0). Every id the `gguf`
/// package 0.19.0 knows is listed; ids ggml has retired (4, 5, 31-33, 36-38) and ids
/// above 41 are unknown and rejected wherever a type id is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[allow(non_camel_case_types)]
pub enum GgmlType {
    /// 32-bit IEEE float.
    F32 = 0,
    /// 16-bit IEEE float.
    F16 = 1,
    /// 32 values: f16 scale, 4-bit codes (symmetric).
    Q4_0 = 2,
    /// 32 values: f16 scale and minimum, 4-bit codes.
    Q4_1 = 3,
    /// 32 values: f16 scale, 5-bit codes (symmetric).
    Q5_0 = 6,
    /// 32 values: f16 scale and minimum, 5-bit codes.
    Q5_1 = 7,
    /// 32 values: f16 scale, 8-bit codes (symmetric).
    Q8_0 = 8,
    /// 32 values: f32 scale and sum, 8-bit codes.
    Q8_1 = 9,
    /// K-quant, 2 bits, 256 values per super-block.
    Q2_K = 10,
    /// K-quant, 3 bits.
    Q3_K = 11,
    /// K-quant, 4 bits (8 sub-blocks of 32 with 6-bit scales and minimums).
    Q4_K = 12,
    /// K-quant, 5 bits.
    Q5_K = 13,
    /// K-quant, 6 bits (16 sub-blocks of 16 with 8-bit scales).
    Q6_K = 14,
    /// K-quant, 8 bits (intermediate type).
    Q8_K = 15,
    /// i-quant.
    IQ2_XXS = 16,
    /// i-quant.
    IQ2_XS = 17,
    /// i-quant.
    IQ3_XXS = 18,
    /// i-quant.
    IQ1_S = 19,
    /// i-quant, non-linear 4 bits.
    IQ4_NL = 20,
    /// i-quant.
    IQ3_S = 21,
    /// i-quant.
    IQ2_S = 22,
    /// i-quant.
    IQ4_XS = 23,
    /// Signed 8-bit integer.
    I8 = 24,
    /// Signed 16-bit integer.
    I16 = 25,
    /// Signed 32-bit integer.
    I32 = 26,
    /// Signed 64-bit integer.
    I64 = 27,
    /// 64-bit IEEE float.
    F64 = 28,
    /// i-quant.
    IQ1_M = 29,
    /// bfloat16.
    BF16 = 30,
    /// Ternary, 1.69 bits.
    TQ1_0 = 34,
    /// Ternary, 2 bits.
    TQ2_0 = 35,
    /// Microscaling FP4.
    MXFP4 = 39,
    /// NVIDIA FP4.
    NVFP4 = 40,
    /// 1-bit.
    Q1_0 = 41,
}

/// Values per super-block of the K-quants.
pub const QK_K: usize = 256;

impl GgmlType {
    /// Every known type, by id.
    pub const ALL: [GgmlType; 34] = {
        use GgmlType::*;
        [
            F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,
            IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ4_NL, IQ3_S, IQ2_S, IQ4_XS, I8, I16, I32, I64, F64,
            IQ1_M, BF16, TQ1_0, TQ2_0, MXFP4, NVFP4, Q1_0,
        ]
    };

    /// The type with GGUF id `id`, or `None` for an unknown or retired id.
    pub fn from_id(id: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.id() == id)
    }

    /// The GGUF id.
    pub fn id(self) -> u32 {
        self as u32
    }

    /// The name used by ggml and the `gguf` package (`"Q4_0"`, `"F32"`, ...).
    pub fn name(self) -> &'static str {
        use GgmlType::*;
        match self {
            F32 => "F32",
            F16 => "F16",
            Q4_0 => "Q4_0",
            Q4_1 => "Q4_1",
            Q5_0 => "Q5_0",
            Q5_1 => "Q5_1",
            Q8_0 => "Q8_0",
            Q8_1 => "Q8_1",
            Q2_K => "Q2_K",
            Q3_K => "Q3_K",
            Q4_K => "Q4_K",
            Q5_K => "Q5_K",
            Q6_K => "Q6_K",
            Q8_K => "Q8_K",
            IQ2_XXS => "IQ2_XXS",
            IQ2_XS => "IQ2_XS",
            IQ3_XXS => "IQ3_XXS",
            IQ1_S => "IQ1_S",
            IQ4_NL => "IQ4_NL",
            IQ3_S => "IQ3_S",
            IQ2_S => "IQ2_S",
            IQ4_XS => "IQ4_XS",
            I8 => "I8",
            I16 => "I16",
            I32 => "I32",
            I64 => "I64",
            F64 => "F64",
            IQ1_M => "IQ1_M",
            BF16 => "BF16",
            TQ1_0 => "TQ1_0",
            TQ2_0 => "TQ2_0",
            MXFP4 => "MXFP4",
            NVFP4 => "NVFP4",
            Q1_0 => "Q1_0",
        }
    }

    /// The type named `name` (as [`name`](Self::name), case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// `(values per block, bytes per block)`, as `GGML_QUANT_SIZES` of the `gguf` package.
    pub fn block(self) -> (usize, usize) {
        use GgmlType::*;
        match self {
            F32 => (1, 4),
            F16 => (1, 2),
            Q4_0 => (32, 2 + 16),
            Q4_1 => (32, 2 + 2 + 16),
            Q5_0 => (32, 2 + 4 + 16),
            Q5_1 => (32, 2 + 2 + 4 + 16),
            Q8_0 => (32, 2 + 32),
            Q8_1 => (32, 4 + 4 + 32),
            Q2_K => (256, 2 + 2 + QK_K / 16 + QK_K / 4),
            Q3_K => (256, 2 + QK_K / 4 + QK_K / 8 + 12),
            Q4_K => (256, 2 + 2 + QK_K / 2 + 12),
            Q5_K => (256, 2 + 2 + QK_K / 2 + QK_K / 8 + 12),
            Q6_K => (256, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16),
            Q8_K => (256, 4 + QK_K + QK_K / 8),
            IQ2_XXS => (256, 2 + QK_K / 4),
            IQ2_XS => (256, 2 + QK_K / 4 + QK_K / 32),
            IQ3_XXS => (256, 2 + QK_K / 4 + QK_K / 8),
            IQ1_S => (256, 2 + QK_K / 8 + QK_K / 16),
            IQ4_NL => (32, 2 + 16),
            IQ3_S => (256, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4),
            IQ2_S => (256, 2 + QK_K / 4 + QK_K / 16),
            IQ4_XS => (256, 2 + 2 + QK_K / 2 + QK_K / 64),
            I8 => (1, 1),
            I16 => (1, 2),
            I32 => (1, 4),
            I64 => (1, 8),
            F64 => (1, 8),
            IQ1_M => (256, QK_K / 8 + QK_K / 16 + QK_K / 32),
            BF16 => (1, 2),
            TQ1_0 => (256, 2 + 4 * 13),
            TQ2_0 => (256, 2 + 64),
            MXFP4 => (32, 1 + 16),
            NVFP4 => (64, 4 + 32),
            Q1_0 => (128, 2 + 16),
        }
    }

    /// Values per block (1 for plain numeric types).
    pub fn block_size(self) -> usize {
        self.block().0
    }

    /// Bytes per block.
    pub fn type_size(self) -> usize {
        self.block().1
    }

    /// Bytes of a row of `n` values: `None` if `n` is not a multiple of the block size or
    /// the size overflows.
    pub fn row_bytes(self, n: usize) -> Option<usize> {
        let (bs, ts) = self.block();
        if !n.is_multiple_of(bs) {
            return None;
        }
        (n / bs).checked_mul(ts)
    }

    /// True for the block formats scipix quantizes (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1).
    pub fn can_quantize(self) -> bool {
        use GgmlType::*;
        matches!(self, Q8_0 | Q4_0 | Q4_1 | Q5_0 | Q5_1)
    }

    /// True for the types scipix dequantizes to f32: the five quantizable block formats,
    /// Q4_K, Q5_K, Q6_K, and F32, F16, BF16.
    pub fn can_dequantize(self) -> bool {
        use GgmlType::*;
        self.can_quantize() || matches!(self, Q4_K | Q5_K | Q6_K | F32 | F16 | BF16)
    }
}

impl std::fmt::Display for GgmlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_names_and_sizes_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for t in GgmlType::ALL {
            seen.insert(t);
            assert_eq!(GgmlType::from_id(t.id()), Some(t));
            assert_eq!(GgmlType::from_name(t.name()), Some(t));
            assert!(t.type_size() > 0 && t.block_size() > 0);
        }
        assert_eq!(seen.len(), 34);
        for retired in [4, 5, 31, 32, 33, 36, 37, 38, 42, u32::MAX] {
            assert_eq!(GgmlType::from_id(retired), None, "{retired}");
        }
        assert_eq!(GgmlType::Q4_0.row_bytes(64), Some(36));
        assert_eq!(GgmlType::Q4_0.row_bytes(48), None);
        assert_eq!(GgmlType::Q6_K.row_bytes(512), Some(420));
        assert_eq!(GgmlType::F32.row_bytes(usize::MAX), None);
    }
}
