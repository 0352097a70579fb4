//! Opening a model is O(header), not O(file): open + validate + look up every tensor of a
//! generated 100 MB and 1 GB safetensors file, next to reading the same file fully into
//! memory, in the same run.
//!
//! The files are generated in a temp dir (header written, data region extended with
//! `set_len`, so the data is a sparse run of zeros: generating 1 GB takes no time or
//! disk space) and removed at the end. Reading a sparse file fully still copies every
//! byte through the kernel, so "read fully" is a lower bound for a real on-disk file.
//!
//! `cargo bench --bench model_open -- --warm-up-time 1 --measurement-time 2`
//!
//! No copy baseline: the point is that opening does not touch the data; the baseline is
//! reading the same file.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::model::{Dtype, OpenOptions, Safetensors};
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Writes a safetensors file of `tensors` F32 tensors of `rows x cols` each, data zeros.
fn generate(path: &Path, tensors: usize, rows: usize, cols: usize) -> Vec<String> {
    let nbytes = rows * cols * 4;
    let mut names = Vec::with_capacity(tensors);
    let mut json = String::from("{\"__metadata__\":{\"format\":\"pt\"}");
    for i in 0..tensors {
        let name = format!("model.layers.{}.mlp.proj_{}.weight", i / 4, i % 4);
        json.push_str(&format!(
            ",\"{name}\":{{\"dtype\":\"{}\",\"shape\":[{rows},{cols}],\"data_offsets\":[{},{}]}}",
            Dtype::F32.name(),
            i * nbytes,
            (i + 1) * nbytes
        ));
        names.push(name);
    }
    json.push('}');
    while json.len() % 8 != 0 {
        json.push(' ');
    }
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&(json.len() as u64).to_le_bytes()).unwrap();
    f.write_all(json.as_bytes()).unwrap();
    f.set_len((8 + json.len() + tensors * nbytes) as u64)
        .unwrap();
    names
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("scipix-bench-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // (label, tensors, rows, cols): the same 256 tensors (same header size) in both
    // files, so any difference in open time would come from the file size.
    let cases = [
        ("100MB", 256usize, 100usize, 1024usize),
        ("1GB", 256, 1024, 1024),
    ];
    let mut files: Vec<(String, PathBuf, Vec<String>, u64)> = Vec::new();
    for (label, n, r, cc) in cases {
        let path = dir.join(format!("{label}.safetensors"));
        let names = generate(&path, n, r, cc);
        let len = std::fs::metadata(&path).unwrap().len();
        files.push((label.to_string(), path, names, len));
    }

    let mut g = c.benchmark_group("model_open");
    g.sample_size(10);
    for (label, path, names, len) in &files {
        g.throughput(Throughput::Bytes(*len));
        g.bench_with_input(
            BenchmarkId::new("open_lookup_all", label),
            path,
            |b, path| {
                b.iter(|| {
                    let st = Safetensors::open(path, OpenOptions::default()).unwrap();
                    let mut total = 0usize;
                    for name in names {
                        let t = st.get(name).unwrap();
                        total += t.nbytes() + t.data.as_ptr() as usize % 2;
                    }
                    black_box(total)
                })
            },
        );
        let mut buf = vec![0u8; *len as usize];
        g.bench_with_input(BenchmarkId::new("read_fully", label), path, |b, path| {
            b.iter(|| {
                let mut f = std::fs::File::open(path).unwrap();
                f.read_exact(&mut buf).unwrap();
                black_box(buf[buf.len() - 1])
            })
        });
    }
    g.finish();
    drop(files);
    std::fs::remove_dir_all(&dir).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
