use super::*;
use std::ptr::{null, null_mut};

fn temp(tag: &str) -> (PathBuf, CString) {
    let p = crate::model::test_temp_dir().join(format!(
        "scipix-capi-model-{tag}-{}",
        crate::model::process_tag()
    ));
    let c = CString::new(p.to_str().unwrap()).unwrap();
    (p, c)
}

fn write_sample(path: &CStr) {
    let mut w = null_mut();
    assert_eq!(
        scipix_safetensors_writer_new(&mut w),
        ScipixStatus::SCIPIX_OK
    );
    let f: Vec<u8> = [1.0f32, -2.0, 3.5, 0.25, 8.0, 9.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let shape = [2usize, 3];
    let st = scipix_safetensors_writer_add_tensor(
        w,
        c"layer.weight".as_ptr(),
        SCIPIX_ST_F32,
        shape.as_ptr(),
        2,
        f.as_ptr(),
        f.len(),
    );
    assert_eq!(st, ScipixStatus::SCIPIX_OK);
    let h = [0x00u8, 0x3c, 0x00, 0xc0];
    let one = [2usize];
    // SAFETY: `h` outlives the writer (freed below).
    let st = unsafe {
        scipix_safetensors_writer_add_tensor_borrowed(
            w,
            c"half".as_ptr(),
            SCIPIX_ST_F16,
            one.as_ptr(),
            1,
            h.as_ptr(),
            h.len(),
        )
    };
    assert_eq!(st, ScipixStatus::SCIPIX_OK);
    let s = [7u8];
    let st = scipix_safetensors_writer_add_tensor(
        w,
        c"scalar".as_ptr(),
        SCIPIX_ST_U8,
        null(),
        0,
        s.as_ptr(),
        1,
    );
    assert_eq!(st, ScipixStatus::SCIPIX_OK);
    assert_eq!(
        scipix_safetensors_writer_add_metadata(w, c"format".as_ptr(), c"pt".as_ptr()),
        ScipixStatus::SCIPIX_OK
    );
    // Errors leave the writer unchanged.
    assert_eq!(
        scipix_safetensors_writer_add_tensor(w, c"x".as_ptr(), 99, null(), 0, null(), 0),
        ScipixStatus::SCIPIX_ERR_UNSUPPORTED_FORMAT
    );
    assert_eq!(
        scipix_safetensors_writer_add_tensor(
            w,
            c"half".as_ptr(),
            SCIPIX_ST_U8,
            null(),
            0,
            s.as_ptr(),
            1
        ),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        scipix_safetensors_writer_add_tensor(
            w,
            c"y".as_ptr(),
            SCIPIX_ST_F32,
            one.as_ptr(),
            1,
            null(),
            8
        ),
        ScipixStatus::SCIPIX_ERR_NULL_POINTER
    );
    assert_eq!(
        scipix_safetensors_writer_write(w, path.as_ptr()),
        ScipixStatus::SCIPIX_OK
    );
    // SAFETY: live writer, not used afterwards.
    unsafe { scipix_safetensors_writer_free(w) };
}

#[test]
fn write_open_lookup_roundtrip() {
    let (p, c) = temp("roundtrip");
    write_sample(&c);

    let mut model = null();
    assert_eq!(
        scipix_model_open(
            c.as_ptr(),
            SCIPIX_MODEL_RANDOM | SCIPIX_MODEL_WILLNEED,
            &mut model
        ),
        ScipixStatus::SCIPIX_OK
    );
    let (mut data, mut len) = (null(), 0usize);
    assert_eq!(
        scipix_model_bytes(model, &mut data, &mut len),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(len, std::fs::metadata(&p).unwrap().len() as usize);
    assert_eq!(
        scipix_model_advise(model, SCIPIX_ADVICE_SEQUENTIAL),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(
        scipix_model_advise(model, 42),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        scipix_model_advise_range(model, SCIPIX_ADVICE_WILLNEED, 8, len - 8),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(
        scipix_model_advise_range(model, SCIPIX_ADVICE_WILLNEED, 8, len),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );

    let mut st = null_mut();
    assert_eq!(
        scipix_safetensors_from_model(model, &mut st),
        ScipixStatus::SCIPIX_OK
    );
    // The safetensors handle keeps the mapping alive.
    // SAFETY: live handle, not used afterwards.
    unsafe { scipix_model_free(model) };

    let mut count = 0;
    assert_eq!(
        scipix_safetensors_tensor_count(st, &mut count),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(count, 3);
    let mut names = Vec::new();
    for i in 0..count {
        let mut n = null();
        assert_eq!(
            scipix_safetensors_tensor_name(st, i, &mut n),
            ScipixStatus::SCIPIX_OK
        );
        // SAFETY: valid NUL-terminated string owned by st.
        names.push(unsafe { CStr::from_ptr(n) }.to_str().unwrap().to_string());
    }
    assert_eq!(names, ["layer.weight", "half", "scalar"]);
    let mut n = null();
    assert_eq!(
        scipix_safetensors_tensor_name(st, 3, &mut n),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );

    let mut info = std::mem::MaybeUninit::<ScipixStTensorInfo>::zeroed();
    assert_eq!(
        scipix_safetensors_find(st, c"layer.weight".as_ptr(), info.as_mut_ptr()),
        ScipixStatus::SCIPIX_OK
    );
    // SAFETY: written on success.
    let info = unsafe { info.assume_init() };
    assert_eq!(info.dtype, SCIPIX_ST_F32);
    assert_eq!(info.rank, 2);
    // SAFETY: shape has rank entries, data has nbytes bytes, while st lives.
    let (shape, bytes) = unsafe {
        (
            std::slice::from_raw_parts(info.shape, info.rank),
            std::slice::from_raw_parts(info.data, info.nbytes),
        )
    };
    assert_eq!(shape, &[2, 3]);
    assert_eq!(info.num_elements, 6);
    assert_eq!(info.nbytes, 24);
    assert_eq!(&bytes[..4], &1.0f32.to_le_bytes());
    assert!(info.alignment >= 4);
    assert_eq!(info.file_offset % 8, 0);
    assert_eq!(info.bits_per_element, 32);

    let mut half = std::mem::MaybeUninit::<ScipixStTensorInfo>::zeroed();
    assert_eq!(
        scipix_safetensors_tensor_info(st, 1, half.as_mut_ptr()),
        ScipixStatus::SCIPIX_OK
    );
    // SAFETY: written on success.
    let half = unsafe { half.assume_init() };
    let mut f = [0f32; 2];
    // SAFETY: reading 4 bytes of the map; the u16 cast is for the test only, the data
    // is 2-aligned (alignment checked).
    assert!(half.alignment >= 2);
    let st_conv = scipix_f16_to_f32(half.data.cast(), f.as_mut_ptr(), 2);
    assert_eq!(st_conv, ScipixStatus::SCIPIX_OK);
    assert_eq!(f, [1.0, -2.0]);

    let mut missing = std::mem::MaybeUninit::<ScipixStTensorInfo>::zeroed();
    assert_eq!(
        scipix_safetensors_find(st, c"nope".as_ptr(), missing.as_mut_ptr()),
        ScipixStatus::SCIPIX_ERR_NOT_FOUND
    );
    assert_eq!(
        scipix_safetensors_tensor_info(st, 3, missing.as_mut_ptr()),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );

    let mut mcount = 0;
    assert_eq!(
        scipix_safetensors_metadata_count(st, &mut mcount),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(mcount, 1);
    let (mut k, mut v) = (null(), null());
    assert_eq!(
        scipix_safetensors_metadata_entry(st, 0, &mut k, &mut v),
        ScipixStatus::SCIPIX_OK
    );
    // SAFETY: NUL-terminated strings owned by st.
    unsafe {
        assert_eq!(CStr::from_ptr(k), c"format");
        assert_eq!(CStr::from_ptr(v), c"pt");
    }
    let mut got = null();
    assert_eq!(
        scipix_safetensors_metadata_get(st, c"format".as_ptr(), &mut got),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(got, v);
    assert_eq!(
        scipix_safetensors_metadata_get(st, c"other".as_ptr(), &mut got),
        ScipixStatus::SCIPIX_ERR_NOT_FOUND
    );

    let mut m2 = null();
    assert_eq!(
        scipix_safetensors_model(st, &mut m2),
        ScipixStatus::SCIPIX_OK
    );
    // SAFETY: live handles, each freed once.
    unsafe {
        scipix_safetensors_free(st);
        scipix_model_free(m2);
    }
    std::fs::remove_file(&p).unwrap();
}

#[test]
fn open_errors_and_nulls() {
    let (p, c) = temp("errors");
    let mut model = null();
    assert_eq!(
        scipix_model_open(c.as_ptr(), 0, &mut model),
        ScipixStatus::SCIPIX_ERR_NOT_FOUND
    );
    assert!(model.is_null());
    std::fs::write(&p, b"").unwrap();
    assert_eq!(
        scipix_model_open(c.as_ptr(), 0, &mut model),
        ScipixStatus::SCIPIX_ERR_INVALID_FILE
    );
    std::fs::write(&p, b"not a safetensors file").unwrap();
    assert_eq!(
        scipix_model_open(
            c.as_ptr(),
            SCIPIX_MODEL_SEQUENTIAL | SCIPIX_MODEL_RANDOM,
            &mut model
        ),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        scipix_model_open(c.as_ptr(), 1 << 20, &mut model),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );
    let dir = CString::new(crate::model::test_temp_dir().to_str().unwrap()).unwrap();
    assert_eq!(
        scipix_model_open(dir.as_ptr(), 0, &mut model),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        scipix_model_open(null(), 0, &mut model),
        ScipixStatus::SCIPIX_ERR_NULL_POINTER
    );
    assert_eq!(
        scipix_model_open(c"".as_ptr(), 0, &mut model),
        ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        scipix_model_open(c.as_ptr(), 0, null_mut()),
        ScipixStatus::SCIPIX_ERR_NULL_POINTER
    );
    assert!(model.is_null());

    let mut st = null_mut();
    assert_eq!(
        scipix_safetensors_open(c.as_ptr(), 0, &mut st),
        ScipixStatus::SCIPIX_ERR_INVALID_FILE
    );
    assert!(st.is_null());
    assert_eq!(
        scipix_safetensors_from_model(null(), &mut st),
        ScipixStatus::SCIPIX_ERR_NULL_POINTER
    );
    let mut count = 0;
    assert_eq!(
        scipix_safetensors_tensor_count(null(), &mut count),
        ScipixStatus::SCIPIX_ERR_NULL_POINTER
    );
    assert_eq!(
        scipix_f16_to_f32(null(), null_mut(), 0),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(
        scipix_bf16_to_f32(null(), null_mut(), 1),
        ScipixStatus::SCIPIX_ERR_NULL_POINTER
    );
    // SAFETY: NULL is accepted by every free function.
    unsafe {
        scipix_model_free(null());
        scipix_safetensors_free(null_mut());
        scipix_safetensors_writer_free(null_mut());
    }
    std::fs::remove_file(&p).unwrap();
}

#[test]
fn dtype_names_and_bits() {
    for (code, d) in DTYPE_CODES {
        // SAFETY: static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(scipix_st_dtype_name(code)) };
        assert_eq!(name.to_str().unwrap(), d.name());
        assert_eq!(scipix_st_dtype_bits(code) as usize, d.bits());
    }
    // SAFETY: static NUL-terminated string.
    let unknown = unsafe { CStr::from_ptr(scipix_st_dtype_name(0)) };
    assert_eq!(unknown, c"unknown");
    assert_eq!(scipix_st_dtype_bits(999), 0);
    let mut f = [0f32; 2];
    assert_eq!(
        scipix_bf16_to_f32([0x3f80u16, 0xc000].as_ptr(), f.as_mut_ptr(), 2),
        ScipixStatus::SCIPIX_OK
    );
    assert_eq!(f, [1.0, -2.0]);
}

#[test]
#[cfg_attr(threadless, ignore = "needs threads")]
fn many_threads_share_one_handle() {
    let (p, c) = temp("threads");
    write_sample(&c);
    let mut st = null_mut();
    assert_eq!(
        scipix_safetensors_open(c.as_ptr(), 0, &mut st),
        ScipixStatus::SCIPIX_OK
    );
    let addr = st as usize;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(move || {
                let st = addr as *const ScipixSafetensors;
                for _ in 0..200 {
                    let mut info = std::mem::MaybeUninit::<ScipixStTensorInfo>::zeroed();
                    assert_eq!(
                        scipix_safetensors_find(st, c"scalar".as_ptr(), info.as_mut_ptr()),
                        ScipixStatus::SCIPIX_OK
                    );
                    // SAFETY: written on success; data has 1 byte while st lives.
                    assert_eq!(unsafe { *info.assume_init().data }, 7);
                }
            });
        }
    });
    // SAFETY: live handle, freed once.
    unsafe { scipix_safetensors_free(st) };
    std::fs::remove_file(&p).unwrap();
}
