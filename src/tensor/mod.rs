//! f32 tensors from images and buffers: image-to-tensor conversion (NCHW/NHWC, channel
//! swap, per-channel affine rule) and mean/variance normalization.

pub mod image_to_tensor;
pub mod normalize;
pub mod pipeline;

pub use image_to_tensor::{
    image_to_tensor, images_to_tensor, tensor_channels, tensor_len, Layout, TensorParams,
};
pub use normalize::{
    normalize, normalize_channels, normalize_channels_inplace, normalize_inplace, stats, Stats,
};
pub use pipeline::{run_batch, torchvision_resize_size, ClassifyOptions, Pipeline, PipelineSpec};
