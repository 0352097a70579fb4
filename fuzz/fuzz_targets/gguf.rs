//! Fuzzes the GGUF parser: any input must give an error or a self-consistent file, never
//! a panic, an out-of-bounds read or an unbounded allocation. Accepted files are also
//! walked: every tensor looked up and dequantized where scipix supports its type, every
//! metadata value (nested arrays included) decoded.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run gguf -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use scipix::model::gguf::{parse_header, Value};
use scipix::model::Gguf;

fn walk(v: Value<'_>, depth: usize) {
    assert!(depth <= 8);
    if let Value::Array(a) = v {
        assert_eq!(a.iter().count(), a.len());
        for x in a.iter() {
            walk(x, depth + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = parse_header(data) {
        let g = Gguf::new(data).expect("parse_header accepted it");
        for t in g.iter() {
            assert!(t.file_offset + t.nbytes() <= data.len());
            assert!(t.file_offset >= h.data_start);
            assert!(std::ptr::eq(g.get(t.name).unwrap().data, t.data));
            if t.ggml_type.can_dequantize() && t.nbytes() < 1 << 16 {
                assert_eq!(t.to_f32_vec().unwrap().len(), t.num_elements());
            }
        }
        for (_, v) in g.metadata_iter() {
            walk(v, 0);
        }
    }
});
