use super::*;

#[test]
fn placeholder_default_is_identity() {
    let px: Vec<u8> = (0..12).collect();
    let img = ImageView::packed(&px, 2, 2, PixelFormat::Rgb8).unwrap();
    let mut out = vec![0f32; 12];
    image_to_tensor(&img, &TensorParams::default(), &mut out).unwrap();
    assert_eq!(out, vec![0., 3., 6., 9., 1., 4., 7., 10., 2., 5., 8., 11.]);
}
