//! avx2 kernels (first version: everything goes to the scalar tail).

use super::Plan;

pub(crate) unsafe fn planar_body(_: &[u8], _: usize, _: &Plan, _: &mut [&mut [f32]; 3]) -> usize {
    0
}

pub(crate) unsafe fn interleaved_body(_: &[u8], _: usize, _: &Plan, _: &mut [f32]) -> usize {
    0
}
