//! The specification of the widening conversions, both exact: f16 -> f32 is IEEE
//! conversion (the `half` crate's), keeping infinities, signed zeros and subnormals, and
//! turning a NaN into a quiet NaN with the sign and the payload in the top mantissa bits;
//! bf16 -> f32 is the bit pattern shifted into the upper half (NaN payloads kept as is).

/// f16 bit pattern to f32.
pub(crate) fn f16(h: u16) -> f32 {
    half::f16::from_bits(h).to_f32()
}

/// bf16 bit pattern to f32.
pub(crate) fn bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}
