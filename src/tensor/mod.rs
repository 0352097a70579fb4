//! f32 tensors from images and buffers: image-to-tensor conversion (NCHW/NHWC, channel
//! swap, per-channel affine rule) and mean/variance normalization.
//!
//! ```
//! use scipix::tensor::{normalize, Stats};
//!
//! let x = [1.0f32, 2.0, 3.0, 4.0];
//! let mut y = [0f32; 4];
//! let Stats { mean, var, .. } = normalize(&x, &mut y, 0.0)?;
//! assert_eq!((mean, var), (2.5, 1.25));
//! assert!(y.iter().sum::<f32>().abs() < 1e-6);
//! # Ok::<(), scipix::Error>(())
//! ```

pub mod image_to_tensor;
pub(crate) mod lut;
pub mod normalize;
pub mod pipeline;
pub(crate) mod source_buffer;
pub mod yuv_to_tensor;

pub use image_to_tensor::{
    image_to_tensor, images_to_tensor, tensor_channels, tensor_len, Layout, TensorParams,
};
pub use normalize::{
    normalize, normalize_channels, normalize_channels_inplace, normalize_inplace, stats, Stats,
};
pub(crate) use pipeline::RowSource;
pub use pipeline::{run_batch, torchvision_resize_size, ClassifyOptions, Pipeline, PipelineSpec};
pub use yuv_to_tensor::yuv_to_tensor;
