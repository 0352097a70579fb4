//! GGML blocks and GGUF files: Q8_0 / Q4_0 quantize and dequantize at 64K values (in
//! cache) and 1M values, best SIMD and AVX2 vs scalar on one thread, against a copy of the
//! same bytes read plus written; and
//! opening a 1.07 GB GGUF file (sparse, generated in a temp dir) plus looking up every
//! tensor by name.
//!
//! cargo bench --bench ggml -- --warm-up-time 1 --measurement-time 2
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa};
use scipix::model::{Gguf, GgufWriter, OpenOptions};
use scipix::quant::ggml::{self, GgmlType};
use std::hint::black_box;
use std::io::{Seek, SeekFrom, Write};

fn data(n: usize) -> Vec<f32> {
    let mut s = 0x1234_5678u32;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / 8_388_608.0 * 4.0 - 2.0
        })
        .collect()
}

fn blocks(c: &mut Criterion) {
    for (n, size) in [(1usize << 16, "64K"), (1 << 20, "1M")] {
        blocks_of(c, n, size);
    }
}

fn blocks_of(c: &mut Criterion, n: usize, size: &str) {
    let x = data(n);
    let best = Isa::best_available();
    for ty in [GgmlType::Q8_0, GgmlType::Q4_0] {
        let mut q = vec![0u8; ggml::quantized_size(ty, n).unwrap()];
        let mut y = vec![0f32; n];
        ggml::quantize(ty, &x, n, &mut q).unwrap();
        let mut g = c.benchmark_group(format!("ggml/{}/{size}", ty.name()));
        g.throughput(Throughput::Elements(n as u64));
        let isas = [("simd", best), ("avx2", Isa::Avx2), ("scalar", Isa::Scalar)];
        for (label, isa) in isas {
            if !Isa::available().contains(&isa) {
                continue;
            }
            g.bench_function(BenchmarkId::new("quantize", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| ggml::quantize(ty, black_box(&x), 1024, &mut q).unwrap())
                })
            });
            g.bench_function(BenchmarkId::new("dequantize", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| ggml::dequantize(ty, black_box(&q), &mut y).unwrap())
                })
            });
        }
        // The bytes each direction moves: f32 in, blocks out (and the reverse), as a
        // memcpy of (4n + block bytes) / 2.
        let len = (4 * n + q.len()) / 2;
        let mut qc = vec![0u8; len];
        g.bench_function("copy_same_traffic", |b| {
            b.iter(|| {
                let s: &[u8] = bytemuck_f32(black_box(&x));
                qc.copy_from_slice(&s[..len]);
                black_box(qc.as_ptr());
            })
        });
        g.finish();
    }
}

fn bytemuck_f32(x: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding; any byte view of it is valid.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast(), x.len() * 4) }
}

/// A writer that seeks over all-zero chunks, so the 1 GB data section stays sparse.
struct Sparse(std::fs::File, u64);

impl Write for Sparse {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.iter().all(|&b| b == 0) {
            self.0.seek(SeekFrom::Current(buf.len() as i64))?;
        } else {
            self.0.write_all(buf)?;
        }
        self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.set_len(self.1)
    }
}

fn gguf_open(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("scipix-bench-gguf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("1g.gguf");
    // 256 Q8_0 tensors of [960, 4096]: 4,177,920 bytes each, 1.07 GB in all.
    let zeros = vec![0u8; 4_177_920];
    let mut w = GgufWriter::new();
    let rows = zeros.len() / (34 * 128);
    for i in 0..256 {
        w.add_tensor(
            &format!("blk.{i}.w"),
            GgmlType::Q8_0,
            &[rows, 4096],
            &zeros[..],
        )
        .unwrap();
    }
    let mut f = Sparse(std::fs::File::create(&path).unwrap(), 0);
    w.write_to(&mut f).unwrap();
    f.flush().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 1_000_000_000, "{len}");
    let names: Vec<String> = (0..256).map(|i| format!("blk.{i}.w")).collect();
    let mut g = c.benchmark_group("gguf");
    g.bench_function("open_and_lookup_256_tensors_1GB", |b| {
        b.iter(|| {
            let g = Gguf::open(&path, OpenOptions::default()).unwrap();
            let mut total = 0usize;
            for n in &names {
                total += g.get(n).unwrap().nbytes();
            }
            black_box(total)
        })
    });
    g.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

criterion_group!(benches, blocks, gguf_open);
criterion_main!(benches);
