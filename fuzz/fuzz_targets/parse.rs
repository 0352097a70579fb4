//! Fuzzes the safetensors parser: any input must give an error or a self-consistent
//! file, never a panic, an out-of-bounds read or an unbounded allocation.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parse -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use scipix::model::safetensors::parse_header;
use scipix::model::Safetensors;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = parse_header(data) {
        let st = Safetensors::new(data).expect("parse_header accepted it");
        let total: usize = st.iter().map(|t| t.nbytes()).sum();
        assert_eq!(total, h.data_len);
        assert_eq!(8 + h.header_len + h.data_len, data.len());
        for t in st.iter() {
            assert_eq!(t.dtype.byte_len(t.num_elements()), Some(t.nbytes()));
            assert!(std::ptr::eq(st.get(t.name).unwrap().data, t.data));
        }
    }
});
