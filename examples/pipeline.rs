//! The safe Rust API end to end: images to a normalized tensor, int8 quantization of a weight
//! matrix, a safetensors file written and mapped back zero-copy, and a dynamic batcher whose
//! worker threads turn requests into tensors.
//!
//! Run it with `cargo run --example pipeline`; it checks its own results and exits non-zero
//! if one is wrong.

use scipix::batch::{BatcherConfig, DynamicBatcher};
use scipix::image::{ImageView, PixelFormat};
use scipix::model::{Dtype, OpenOptions, Safetensors, SafetensorsWriter};
use scipix::quant::{Granularity, QDtype, QMode, QuantizedTensor};
use scipix::tensor::{image_to_tensor, tensor_len, Layout, TensorParams};
use std::time::Duration;

/// torchvision's ImageNet normalization: `ToTensor()` then `Normalize(mean, std)`.
fn imagenet() -> TensorParams {
    TensorParams {
        divisor: 255.0,
        mean: [0.485, 0.456, 0.406, 0.0],
        std: [0.229, 0.224, 0.225, 1.0],
        layout: Layout::Nchw,
        ..TensorParams::default()
    }
}

/// A `w` x `h` RGB test pattern.
fn pattern(w: usize, h: usize, seed: usize) -> Vec<u8> {
    (0..w * h * 3)
        .map(|i| ((i * 7 + seed * 31) % 256) as u8)
        .collect()
}

fn main() -> scipix::Result<()> {
    println!(
        "scipix {} on {} (kernels: {})",
        scipix::version::VERSION,
        scipix::cpu::detected().names(),
        scipix::cpu::kernel_isa().name()
    );

    // 1. Image to tensor: an RGB crop (a strided view into a larger image) to NCHW f32.
    let (w, h) = (64, 48);
    let pixels = pattern(w, h, 1);
    let full = ImageView::packed(&pixels, w, h, PixelFormat::Rgb8)?;
    let crop = full.subview(8, 4, 32, 32)?;
    let params = imagenet();
    let mut tensor = vec![0f32; tensor_len(crop.width(), crop.height(), crop.format())?];
    image_to_tensor(&crop, &params, &mut tensor)?;
    let first = crop.pixel(0, 0)[0];
    let expect = (first as f32 / 255.0 - 0.485) / 0.229;
    assert_eq!(tensor[0], expect, "the documented rule, evaluated in f32");
    println!(
        "tensor: 1x3x32x32 from a 32x32 crop, [0] = {:.4}",
        tensor[0]
    );

    // 2. Quantize a 16x64 weight matrix to int8, one scale per output row (ONNX-exact).
    let shape = [16usize, 64];
    let weights: Vec<f32> = (0..16 * 64).map(|i| ((i as f32) * 0.37).sin()).collect();
    let q = QuantizedTensor::quantize(
        &weights,
        &shape,
        QDtype::I8,
        QMode::Symmetric,
        false,
        Granularity::PerAxis { axis: 0 },
    )?;
    let back = q.dequantize()?;
    let worst = weights
        .iter()
        .zip(&back)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let max_scale = q.scales().iter().copied().fold(0f32, f32::max);
    assert!(
        worst <= max_scale / 2.0 + f32::EPSILON,
        "error above half a step"
    );
    println!(
        "quantized: {} scales, {} bytes, worst error {worst:.5} (half a step: {:.5})",
        q.scales().len(),
        q.nbytes(),
        max_scale / 2.0
    );

    // 3. safetensors: write the int8 weights, their scales and the tensor; map the file
    //    back and read the weights without copying them.
    let dir = std::env::temp_dir().join(format!("scipix-pipeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(scipix::Error::from)?;
    let path = dir.join("model.safetensors");
    let scales: Vec<u8> = q.scales().iter().flat_map(|s| s.to_le_bytes()).collect();
    let input: Vec<u8> = tensor.iter().flat_map(|x| x.to_le_bytes()).collect();
    let mut writer = SafetensorsWriter::new();
    writer.add_tensor("weight", Dtype::I8, &shape, q.data())?;
    writer.add_tensor("weight_scale", Dtype::F32, &[16], scales)?;
    writer.add_tensor("input", Dtype::F32, &[1, 3, 32, 32], input)?;
    writer.add_metadata("quantization", "int8 symmetric per output channel")?;
    writer.write(&path)?;
    let st = Safetensors::open(&path, OpenOptions::default())?;
    let weight = st.get("weight")?;
    assert_eq!((weight.dtype, weight.shape), (Dtype::I8, &shape[..]));
    assert_eq!(weight.data, q.data());
    assert_eq!(st.get("input")?.to_f32_vec()?, tensor);
    println!(
        "safetensors: {} tensors, metadata {:?}",
        st.len(),
        st.metadata_get("quantization").unwrap_or("")
    );
    std::fs::remove_dir_all(&dir).ok();

    // 4. Dynamic batching: producers submit images; two worker threads convert each batch
    //    to tensors and answer every request with its tensor's first element.
    let cfg = BatcherConfig {
        max_batch_size: 8,
        preferred_batch_size: 8,
        max_wait: Duration::from_millis(5),
        ..BatcherConfig::default()
    };
    let batcher: DynamicBatcher<Vec<u8>, f32> = DynamicBatcher::new(cfg)?;
    batcher.start_workers(2, move |batch| {
        let mut results = Vec::with_capacity(batch.len());
        for img in batch.inputs() {
            let view = ImageView::packed(img, 16, 16, PixelFormat::Rgb8)?;
            let mut out = vec![0f32; 3 * 16 * 16];
            image_to_tensor(&view, &imagenet(), &mut out)?;
            results.push(out[0]);
        }
        batch.complete(results)
    })?;
    let tickets = (0..20)
        .map(|i| batcher.submit(pattern(16, 16, i)))
        .collect::<scipix::Result<Vec<_>>>()?;
    for (i, t) in tickets.into_iter().enumerate() {
        let got = t.wait()?;
        let want = (pattern(16, 16, i)[0] as f32 / 255.0 - 0.485) / 0.229;
        assert_eq!(got, want, "request {i}");
    }
    let stats = batcher.stats();
    println!(
        "batcher: {} requests in {} batches",
        stats.completed, stats.batches
    );
    Ok(())
}
