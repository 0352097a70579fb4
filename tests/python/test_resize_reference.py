"""Cross-checks of resizing, letterbox and the fused model-input pipelines against the real
libraries: every SCIPIX_RESIZE_* mode against cv2.resize (opencv-python-headless 5.1.0.95) or
PIL.Image.resize (Pillow 13) on random and photo-like images of many sizes and all five
formats, with the library capped at every ISA this CPU has; letterbox against Ultralytics'
LetterBox (re-implemented here with cv2, line for line) and blobFromImage; the
classification pipeline against Pillow + the float32 ToTensor/Normalize chain; box mapping
against Ultralytics' scale_boxes. Modes whose kernels are not built into the library yet
(status UNSUPPORTED_FORMAT with "not implemented") are skipped, not passed."""
import ctypes

import numpy as np
import pytest

from conftest import available_isas, check

import cv2
from PIL import Image

GRAY, RGB, BGR, RGBA, BGRA = range(5)
CHANNELS = {GRAY: 1, RGB: 3, BGR: 3, RGBA: 4, BGRA: 4}
NCHW, NHWC = 0, 1

CV_MODES = {0: cv2.INTER_NEAREST, 1: cv2.INTER_NEAREST_EXACT, 2: cv2.INTER_LINEAR,
            3: cv2.INTER_LINEAR_EXACT, 4: cv2.INTER_AREA, 5: cv2.INTER_CUBIC}
PIL_MODES = {6: Image.Resampling.NEAREST, 7: Image.Resampling.BOX, 8: Image.Resampling.BILINEAR,
             9: Image.Resampling.BICUBIC, 10: Image.Resampling.LANCZOS}
MODE_NAMES = ["cv_nearest", "cv_nearest_exact", "cv_linear", "cv_linear_exact", "cv_area",
              "cv_cubic", "pil_nearest", "pil_box", "pil_bilinear", "pil_bicubic", "pil_lanczos"]


class Img(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("width", ctypes.c_size_t),
                ("height", ctypes.c_size_t), ("stride", ctypes.c_size_t),
                ("format", ctypes.c_uint32)]


class LbParams(ctypes.Structure):
    _fields_ = [("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                ("color", ctypes.c_uint8 * 4), ("scaleup", ctypes.c_bool),
                ("auto_pad", ctypes.c_bool), ("scale_fill", ctypes.c_bool),
                ("center", ctypes.c_bool), ("stride", ctypes.c_size_t)]


class LbInfo(ctypes.Structure):
    _fields_ = [("scale_x", ctypes.c_double), ("scale_y", ctypes.c_double),
                ("resized_width", ctypes.c_size_t), ("resized_height", ctypes.c_size_t),
                ("left", ctypes.c_size_t), ("top", ctypes.c_size_t),
                ("right", ctypes.c_size_t), ("bottom", ctypes.c_size_t),
                ("out_width", ctypes.c_size_t), ("out_height", ctypes.c_size_t)]


class ClsParams(ctypes.Structure):
    _fields_ = [("resize_short", ctypes.c_size_t), ("crop_width", ctypes.c_size_t),
                ("crop_height", ctypes.c_size_t), ("layout", ctypes.c_uint32)]


def desc(arr, fmt):
    h, w = arr.shape[:2]
    return Img(arr.ctypes.data, w, h, arr.strides[0], fmt)


def f32p(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


def for_each_isa(lib):
    for isa in available_isas(lib):
        eff = ctypes.c_uint32()
        check(lib, lib.scipix_set_max_isa(isa, ctypes.byref(eff)))
        yield isa
    check(lib, lib.scipix_set_max_isa(lib.scipix_best_isa(), None))


def unimplemented(lib, status):
    msg = lib.scipix_last_error_message().decode()
    return status == 4 and "not implemented" in msg


def photo(h, w, ch, seed):
    """A photo-like image: smooth gradients, a few hard edges, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(ch):
        v = 128 + 90 * np.sin(x / (7 + 5 * c) + y / (11 + 3 * c)) + 30 * np.cos(x * y / (900.0 + 50 * c))
        v += rng.normal(0, 6, (h, w))
        v[(x // 17 + y // 13) % 5 == 0] = 255 * (c % 2)
        planes.append(v)
    img = np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8)
    return img[:, :, 0] if ch == 1 else img


def make(h, w, fmt, seed, kind):
    ch = CHANNELS[fmt]
    if kind == "photo":
        return photo(h, w, ch, seed)
    rng = np.random.default_rng(seed)
    shape = (h, w) if ch == 1 else (h, w, ch)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    if ch == 4 and seed % 2:
        # Alpha with 0 and 255 runs: Pillow's premultiplication keeps those colours.
        img[..., 3] = np.where(rng.random((h, w)) < 0.3, 0, np.where(rng.random((h, w)) < 0.5, 255, img[..., 3]))
    return img


def reference(img, fmt, mode, w, h):
    if mode in CV_MODES:
        return cv2.resize(img, (w, h), interpolation=CV_MODES[mode])
    # Pillow has no BGR modes: resize the channel-reversed image as RGB(A) and reverse back.
    if fmt in (BGR, BGRA):
        order = [2, 1, 0] + ([3] if fmt == BGRA else [])
        return reference(np.ascontiguousarray(img[..., order]), fmt - 1, mode, w, h)[..., order]
    pil_mode = {GRAY: "L", RGB: "RGB", RGBA: "RGBA"}[fmt]
    return np.asarray(Image.fromarray(img, pil_mode).resize((w, h), PIL_MODES[mode]))


def scipix_resize(lib, img, fmt, mode, w, h, pad=0):
    ch = CHANNELS[fmt]
    buf = np.full((h, w * ch + pad), 77, np.uint8)
    out = buf[:, : w * ch].reshape((h, w) if ch == 1 else (h, w, ch))
    s, d = desc(img, fmt), Img(buf.ctypes.data, w, h, buf.strides[0], fmt)
    st = lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), mode)
    if unimplemented(lib, st):
        return None
    check(lib, st)
    assert (buf[:, w * ch:] == 77).all(), "row padding was written"
    return out


# (src w, h) -> (dst w, h): integer and fractional factors, up and down, odd, down to 1x1.
SIZES = [((64, 48), (32, 24)), ((64, 48), (16, 12)), ((97, 61), (40, 29)), ((40, 29), (97, 61)),
         ((33, 17), (1, 1)), ((13, 9), (26, 27)), ((120, 80), (45, 80)), ((75, 50), (75, 23)),
         ((200, 150), (64, 64)), ((31, 7), (7, 31)),
         # Odd integer downscales (cubic: one tap of weight 1) on both axes and on one.
         ((96, 45), (32, 15)), ((75, 50), (15, 30))]


CV_CUBIC = 5


def odd_integer_downscale(src, dst):
    """Every destination pixel on a source pixel centre: cubic weights 0, 1, 0, 0."""
    return src % dst == 0 and (src // dst) % 2 == 1


def assert_matches(got, want, mode, src_size, what):
    """Exact, except the documented bound of CV_CUBIC on sources of 4x4 and more, which
    opencv-python hands to Intel IPP: at most 1 level, on at most 0.5 % of the values
    (IPP's float rounding of exact half-way values is not public; see the guide). An odd
    integer downscale on both axes samples the source pixels there, exactly."""
    diff = np.abs(got.astype(int) - want.astype(int))
    detail = f"{what}: max diff {diff.max()}, {np.count_nonzero(diff)} of {diff.size} values differ"
    (sw, sh), (dh, dw) = src_size, got.shape[:2]
    sampled = odd_integer_downscale(sw, dw) and odd_integer_downscale(sh, dh)
    if mode == CV_CUBIC and min(src_size) >= 4 and not sampled:
        assert diff.max() <= 1 and np.count_nonzero(diff) <= 0.005 * diff.size, detail
    else:
        assert diff.max() == 0, detail


@pytest.mark.parametrize("mode", range(11), ids=MODE_NAMES)
def test_every_mode_matches_its_library_on_every_isa(lib, mode):
    ran = 0
    for isa in for_each_isa(lib):
        for i, ((sw, sh), (dw, dh)) in enumerate(SIZES):
            for fmt in (GRAY, RGB, BGR, RGBA, BGRA):
                kind = "photo" if i % 2 else "random"
                img = make(sh, sw, fmt, 100 * i + fmt, kind)
                # A strided, unaligned source view: a crop of a larger image.
                big = np.zeros((sh + 2, sw + 3) + img.shape[2:], np.uint8)
                big[1:1 + sh, 3:3 + sw] = img
                view = big[1:1 + sh, 3:3 + sw]
                got = scipix_resize(lib, view, fmt, mode, dw, dh, pad=5)
                if got is None:
                    pytest.skip(f"{MODE_NAMES[mode]} is not implemented in this build")
                want = reference(img, fmt, mode, dw, dh)
                assert_matches(got, want, mode, (sw, sh),
                               f"{MODE_NAMES[mode]} isa {isa} fmt {fmt} {sw}x{sh}->{dw}x{dh} ({kind})")
                ran += 1
    assert ran == len(available_isas(lib)) * len(SIZES) * 5


@pytest.mark.parametrize("mode", [2, 4, 5, 8, 9], ids=lambda m: MODE_NAMES[m])
def test_large_frames_to_model_sizes(lib, mode):
    """1920x1080-like frames to the sizes models use (the parallel row split runs here)."""
    for (sw, sh), (dw, dh) in [((1280, 720), (640, 360)), ((1001, 767), (224, 224)),
                               ((1920, 1080), (640, 360))]:
        img = make(sh, sw, BGR, sw, "photo")
        got = scipix_resize(lib, img, BGR, mode, dw, dh)
        if got is None:
            pytest.skip(f"{MODE_NAMES[mode]} is not implemented in this build")
        assert_matches(got, reference(img, BGR, mode, dw, dh), mode, (sw, sh), f"{sw}x{sh}->{dw}x{dh}")


def test_resizer_handle_and_windows(lib):
    img = make(61, 97, RGB, 5, "photo")
    r = ctypes.c_void_p()
    st = lib.scipix_resizer_new(97, 61, 40, 29, RGB, 2, ctypes.byref(r))
    if unimplemented(lib, st):
        pytest.skip("cv_linear is not implemented in this build")
    check(lib, st)
    try:
        full = np.empty((29, 40, 3), np.uint8)
        check(lib, lib.scipix_resizer_run(r, ctypes.byref(desc(img, RGB)), ctypes.byref(desc(full, RGB))))
        assert np.array_equal(full, cv2.resize(img, (40, 29), interpolation=cv2.INTER_LINEAR))
        win = np.empty((7, 11, 3), np.uint8)
        check(lib, lib.scipix_resizer_run_window(r, ctypes.byref(desc(img, RGB)), ctypes.c_size_t(20),
                                                 ctypes.c_size_t(13), ctypes.byref(desc(win, RGB))))
        assert np.array_equal(win, full[13:20, 20:31])
        # A window leaving the destination is refused and nothing is written.
        win[:] = 3
        st = lib.scipix_resizer_run_window(r, ctypes.byref(desc(img, RGB)), ctypes.c_size_t(30),
                                           ctypes.c_size_t(0), ctypes.byref(desc(win, RGB)))
        assert st == 2 and (win == 3).all()
    finally:
        lib.scipix_resizer_free(r)
    lib.scipix_resizer_free(None)


def test_pad_constant_and_center_crop(lib):
    img = make(9, 11, BGR, 1, "random")
    out = np.empty((9 + 3 + 4, 11 + 2 + 5, 3), np.uint8)
    color = (ctypes.c_uint8 * 4)(1, 2, 3, 0)
    check(lib, lib.scipix_pad_constant(ctypes.byref(desc(img, BGR)), ctypes.byref(desc(out, BGR)),
                                       ctypes.c_size_t(3), ctypes.c_size_t(2), color))
    want = cv2.copyMakeBorder(img, 3, 4, 2, 5, cv2.BORDER_CONSTANT, value=(1, 2, 3))
    assert np.array_equal(out, want)

    class Rect(ctypes.Structure):
        _fields_ = [("left", ctypes.c_int64), ("top", ctypes.c_int64),
                    ("width", ctypes.c_size_t), ("height", ctypes.c_size_t)]

    for (w, h, cw, ch) in [(11, 9, 4, 4), (10, 10, 7, 3), (12, 9, 9, 6), (5, 5, 8, 9), (7, 13, 9, 4)]:
        r = Rect()
        check(lib, lib.scipix_center_crop_rect(ctypes.c_size_t(w), ctypes.c_size_t(h),
                                               ctypes.c_size_t(cw), ctypes.c_size_t(ch), ctypes.byref(r)))
        # torchvision.transforms.functional.center_crop, line for line.
        pad_l = (cw - w) // 2 if cw > w else 0
        pad_t = (ch - h) // 2 if ch > h else 0
        iw, ih = max(w, cw), max(h, ch)
        left = int(round((iw - cw) / 2.0)) - pad_l
        top = int(round((ih - ch) / 2.0)) - pad_t
        assert (r.left, r.top, r.width, r.height) == (left, top, cw, ch), (w, h, cw, ch)


def ultralytics_letterbox(img, new_shape=(640, 640), color=(114, 114, 114), auto=False,
                          scale_fill=False, scaleup=True, center=True, stride=32):
    """Ultralytics' LetterBox.__call__ image path (ultralytics/data/augment.py)."""
    shape = img.shape[:2]
    r = min(new_shape[0] / shape[0], new_shape[1] / shape[1])
    if not scaleup:
        r = min(r, 1.0)
    ratio = r, r
    new_unpad = int(round(shape[1] * r)), int(round(shape[0] * r))
    dw, dh = new_shape[1] - new_unpad[0], new_shape[0] - new_unpad[1]
    if auto:
        dw, dh = np.mod(dw, stride), np.mod(dh, stride)
    elif scale_fill:
        dw, dh = 0.0, 0.0
        new_unpad = (new_shape[1], new_shape[0])
        ratio = new_shape[1] / shape[1], new_shape[0] / shape[0]
    if center:
        dw /= 2
        dh /= 2
    if shape[::-1] != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)) if center else 0, int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)) if center else 0, int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=color)
    return img, ratio, (left, top)


def lb_params(lib, w=640, h=640, **kw):
    p = LbParams()
    check(lib, lib.scipix_letterbox_params_default(ctypes.byref(p)))
    p.width, p.height = w, h
    for k, v in kw.items():
        setattr(p, k, v)
    return p


FRAMES = [(1920, 1080), (1280, 720), (640, 480), (500, 335), (333, 500), (640, 640), (37, 23), (1000, 999)]


def test_letterbox_geometry_and_box_mapping_match_ultralytics(lib):
    rng = np.random.default_rng(0)
    for (w, h) in FRAMES + [(int(a), int(b)) for a, b in rng.integers(16, 3000, (40, 2))]:
        for opts in [{}, {"auto_pad": True}, {"scaleup": False}, {"center": False}, {"scale_fill": True}]:
            info = LbInfo()
            check(lib, lib.scipix_letterbox_info(ctypes.c_size_t(w), ctypes.c_size_t(h),
                                                 ctypes.byref(lb_params(lib, **opts)), ctypes.byref(info)))
            fake = np.zeros((h, w), np.uint8)
            if opts.get("scale_fill") or min(640 / h, 640 / w) * min(w, h) >= 0.5:
                lb, ratio, (left, top) = ultralytics_letterbox(
                    fake, auto=opts.get("auto_pad", False), scale_fill=opts.get("scale_fill", False),
                    scaleup=opts.get("scaleup", True), center=opts.get("center", True))
                assert (info.out_height, info.out_width) == lb.shape[:2], (w, h, opts)
                assert (info.left, info.top) == (left, top), (w, h, opts)
                assert (info.scale_x, info.scale_y) == ratio, (w, h, opts)
        # Box mapping: Ultralytics' scale_boxes with its own recomputed pad.
        info = LbInfo()
        check(lib, lib.scipix_letterbox_info(ctypes.c_size_t(w), ctypes.c_size_t(h),
                                             ctypes.byref(lb_params(lib)), ctypes.byref(info)))
        gain = min(640 / h, 640 / w)
        pad = round((640 - w * gain) / 2 - 0.1), round((640 - h * gain) / 2 - 0.1)
        boxes = rng.uniform(0, 640, (16, 4))
        want = boxes.copy()
        want[:, [0, 2]] -= pad[0]
        want[:, [1, 3]] -= pad[1]
        want /= gain
        got = boxes.copy()
        got[:, [0, 2]] = (got[:, [0, 2]] - info.left) / info.scale_x
        got[:, [1, 3]] = (got[:, [1, 3]] - info.top) / info.scale_y
        # scale_boxes recomputes the pad from the unrounded size; it equals the real pad
        # except when rounding the resized side moves it by one pixel.
        assert np.abs(got - want).max() <= 1.0 / gain + 1e-9, (w, h)


def test_letterbox_image_and_tensor_match_ultralytics_and_blob(lib):
    ran = 0
    for isa in for_each_isa(lib):
        for i, (w, h) in enumerate(FRAMES[:6]):
            for fmt in (BGR, RGB, BGRA, GRAY):
                img = make(h, w, fmt, i, "photo")
                want_img, _, _ = ultralytics_letterbox(img, color=(114,) * 4)
                out = np.empty_like(want_img)
                info = LbInfo()
                st = lib.scipix_letterbox(ctypes.byref(desc(img, fmt)), ctypes.byref(desc(out, fmt)),
                                          ctypes.byref(lb_params(lib)), ctypes.byref(info))
                if unimplemented(lib, st):
                    pytest.skip("cv_linear is not implemented in this build")
                check(lib, st)
                assert np.array_equal(out, want_img), (isa, w, h, fmt)
                c = 1 if fmt == GRAY else 3
                want = cv2.dnn.blobFromImage(want_img, 1 / 255, swapRB=fmt in (BGR, BGRA))[:, :c]
                for layout in (NCHW, NHWC):
                    t = np.full((2, c, 640, 640), np.nan, np.float32)
                    check(lib, lib.scipix_letterbox_to_tensor(
                        ctypes.byref(desc(img, fmt)), ctypes.byref(lb_params(lib)), layout,
                        f32p(t), ctypes.c_size_t(t.size), ctypes.c_size_t(1), None))
                    got = t[1] if layout == NCHW else t.reshape(2, 640, 640, c)[1].transpose(2, 0, 1)
                    assert np.isnan(t[0]).all(), "batch slot 0 was written"
                    assert np.array_equal(got.view(np.uint32), want[0].view(np.uint32)), (isa, w, h, fmt, layout)
                ran += 1
    assert ran > 0


def torchvision_chain(rgb, short, crop, mean, std):
    """PIL Resize(short, BILINEAR) + CenterCrop(crop) + ToTensor + Normalize in float32."""
    h, w = rgb.shape[:2]
    s, l = (w, h) if w <= h else (h, w)
    nl = int(short * l / s)
    nw, nh = (short, nl) if w <= h else (nl, short)
    pil = Image.fromarray(rgb)
    if (nw, nh) != (w, h):
        pil = pil.resize((nw, nh), Image.Resampling.BILINEAR)
    a = np.asarray(pil)
    cw, ch = crop
    if cw > nw or ch > nh:
        pl, pt = ((cw - nw) // 2 if cw > nw else 0), ((ch - nh) // 2 if ch > nh else 0)
        pr, pb = ((cw - nw + 1) // 2 if cw > nw else 0), ((ch - nh + 1) // 2 if ch > nh else 0)
        a = np.pad(a, ((pt, pb), (pl, pr), (0, 0)))
        nh, nw = a.shape[:2]
    top, left = int(round((nh - ch) / 2.0)), int(round((nw - cw) / 2.0))
    a = a[top:top + ch, left:left + cw]
    x = a.astype(np.float32) / np.float32(255)
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return x.transpose(2, 0, 1)[None]


MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def classify(lib, img, fmt, short, crop, layout=NCHW, out=None, index=0):
    p = ClsParams(short, crop[0], crop[1], layout)
    m, s = np.asarray(MEAN, np.float32), np.asarray(STD, np.float32)
    if out is None:
        out = np.full((1, 3, crop[1], crop[0]), np.nan, np.float32)
    st = lib.scipix_classify_to_tensor(ctypes.byref(desc(img, fmt)), ctypes.byref(p), f32p(m),
                                       ctypes.c_size_t(3), f32p(s), ctypes.c_size_t(3), f32p(out),
                                       ctypes.c_size_t(out.size), ctypes.c_size_t(index))
    return st, out


def test_classification_pipeline_matches_pillow_float32_chain(lib):
    cases = [((500, 375), 256, (224, 224)), ((375, 500), 256, (224, 224)), ((1920, 1080), 256, (224, 224)),
             ((97, 61), 40, (31, 45)), ((224, 224), 224, (224, 224)), ((50, 40), 20, (30, 30))]
    for isa in for_each_isa(lib):
        for i, ((w, h), short, crop) in enumerate(cases):
            rgb = make(h, w, RGB, i, "photo")
            want = torchvision_chain(rgb, short, crop, MEAN, STD)
            st, got = classify(lib, rgb, RGB, short, crop)
            if unimplemented(lib, st):
                pytest.skip("pil_bilinear is not implemented in this build")
            check(lib, st)
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (isa, w, h)
            # BGR input gives the same RGB tensor.
            st, got = classify(lib, np.ascontiguousarray(rgb[..., ::-1]), BGR, short, crop)
            check(lib, st)
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (isa, w, h, "bgr")
    # The literal numpy expression (np.asarray(img) / 255 - mean) / std runs in float64;
    # rounded to float32 at the end it is not the float32 chain: it differs by a few 1e-7
    # (many ulps near zero). scipix reproduces the float32 chain (torchvision's).
    rgb = make(375, 500, RGB, 0, "photo")
    st, got = classify(lib, rgb, RGB, 256, (224, 224))
    pil = np.asarray(Image.fromarray(rgb).resize((341, 256), Image.Resampling.BILINEAR))[16:240, 58:282]
    f64 = ((pil / 255 - np.asarray(MEAN)) / np.asarray(STD)).astype(np.float32).transpose(2, 0, 1)[None]
    diff = np.abs(got.astype(np.float64) - f64)
    print(f"float64 chain vs float32 chain: max |diff| {diff.max():.3g}, "
          f"{np.count_nonzero(diff)} of {diff.size} elements differ")
    assert 0 < diff.max() < 1e-6


def test_batch_pipelines_pack_images_of_different_sizes(lib):
    frames = [make(h, w, BGR, i, "photo") for i, (w, h) in enumerate([(640, 480), (1280, 720), (333, 500)])]
    n = len(frames)
    descs = (Img * n)(*[desc(f, BGR) for f in frames])
    out = np.full((n, 3, 640, 640), np.nan, np.float32)
    infos = (LbInfo * n)()
    st = lib.scipix_letterbox_batch_to_tensor(descs, ctypes.c_size_t(n), ctypes.byref(lb_params(lib)), NCHW,
                                              f32p(out), ctypes.c_size_t(out.size), infos)
    if unimplemented(lib, st):
        pytest.skip("cv_linear is not implemented in this build")
    check(lib, st)
    for i, f in enumerate(frames):
        lb, ratio, (left, top) = ultralytics_letterbox(f)
        want = cv2.dnn.blobFromImage(lb, 1 / 255, swapRB=True)
        assert np.array_equal(out[i].view(np.uint32), want[0].view(np.uint32)), i
        assert (infos[i].left, infos[i].top, infos[i].scale_x) == (left, top, ratio[0])
    rgbs = [make(h, w, RGB, i, "photo") for i, (w, h) in enumerate([(500, 375), (300, 300), (256, 400)])]
    descs = (Img * n)(*[desc(f, RGB) for f in rgbs])
    out = np.full((n, 3, 224, 224), np.nan, np.float32)
    p = ClsParams(256, 224, 224, NCHW)
    m, s = np.asarray(MEAN, np.float32), np.asarray(STD, np.float32)
    check(lib, lib.scipix_classify_batch_to_tensor(descs, ctypes.c_size_t(n), ctypes.byref(p), f32p(m),
                                                   ctypes.c_size_t(3), f32p(s), ctypes.c_size_t(3),
                                                   f32p(out), ctypes.c_size_t(out.size)))
    for i, f in enumerate(rgbs):
        want = torchvision_chain(f, 256, (224, 224), MEAN, STD)
        assert np.array_equal(out[i:i + 1].view(np.uint32), want.view(np.uint32)), i


def test_results_do_not_depend_on_thread_count(lib):
    img = make(1080, 1920, BGR, 3, "photo")
    outs = []
    for threads in (1, 2, 3):
        check(lib, lib.scipix_set_num_threads(ctypes.c_size_t(threads)))
        t = np.empty((1, 3, 640, 640), np.float32)
        st = lib.scipix_letterbox_to_tensor(ctypes.byref(desc(img, BGR)), ctypes.byref(lb_params(lib)), NCHW,
                                            f32p(t), ctypes.c_size_t(t.size), ctypes.c_size_t(0), None)
        if unimplemented(lib, st):
            pytest.skip("cv_linear is not implemented in this build")
        check(lib, st)
        outs.append(t)
    check(lib, lib.scipix_set_num_threads(ctypes.c_size_t(0)))
    assert all(np.array_equal(o.view(np.uint32), outs[0].view(np.uint32)) for o in outs)


def test_bad_input_names_the_field_and_writes_nothing(lib):
    img = make(20, 30, RGB, 0, "random")
    out = np.full((1, 3, 16, 16), 7.0, np.float32)
    m, s = np.asarray(MEAN, np.float32), np.asarray([0.2, 0.0, 0.2], np.float32)
    p = ClsParams(16, 16, 16, NCHW)

    good = np.asarray([0.2, 0.2, 0.2], np.float32)

    def run(mean_len=3, std=s, params=p):
        return lib.scipix_classify_to_tensor(ctypes.byref(desc(img, RGB)), ctypes.byref(params), f32p(m),
                                             ctypes.c_size_t(mean_len), f32p(std), ctypes.c_size_t(3),
                                             f32p(out), ctypes.c_size_t(out.size), ctypes.c_size_t(0))

    def msg():
        return lib.scipix_last_error_message().decode()

    assert run() == 2 and "std[1]" in msg()
    assert run(mean_len=2) == 2 and "mean_len" in msg()
    assert run(std=good, params=ClsParams(0, 16, 16, NCHW)) == 2 and "resize_short" in msg()
    assert run(std=good, params=ClsParams(16, 16, 16, 9)) == 4 and "layout" in msg()
    assert (out == 7.0).all()
    lb = lb_params(lib, w=2**64 - 5)  # a negative size cast to size_t
    info = LbInfo()
    assert lib.scipix_letterbox_info(ctypes.c_size_t(30), ctypes.c_size_t(20), ctypes.byref(lb),
                                     ctypes.byref(info)) == 2
    assert "letterbox size" in msg()
    big = np.zeros((10, 2), np.uint8)
    dst = np.zeros((1, 1), np.uint8)
    assert lib.scipix_resize(ctypes.byref(desc(big, GRAY)), ctypes.byref(desc(dst, GRAY)), 11) == 2
    assert "mode" in msg()
    # A resized side rounding to 0 (a 1x10000 frame) is refused.
    assert lib.scipix_letterbox_info(ctypes.c_size_t(1), ctypes.c_size_t(10000),
                                     ctypes.byref(lb_params(lib)), ctypes.byref(info)) == 2
    # Output overlapping the source.
    buf = np.zeros(4096, np.uint8)
    src = Img(buf.ctypes.data, 16, 16, 48, RGB)
    assert lib.scipix_classify_to_tensor(ctypes.byref(src), ctypes.byref(ClsParams(16, 8, 8, NCHW)), f32p(m),
                                         ctypes.c_size_t(3), f32p(np.ones(3, np.float32)), ctypes.c_size_t(3),
                                         ctypes.cast(buf.ctypes.data + 64, ctypes.POINTER(ctypes.c_float)),
                                         ctypes.c_size_t(192), ctypes.c_size_t(0)) == 2
    assert "overlap" in msg()
