// The C++ API (include/scipix.hpp) against the C API it wraps: same results, failures as
// scipix::Error with the C status and message, handles freed by their owners.
//
//   cxx_api [work-dir]    (a safetensors file is written to work-dir, default ".")
#include <scipix.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

// Runs `body`, which must throw scipix::Error with status `want`; returns the message.
template <typename F>
static std::string expect_error(int line, ScipixStatus want, F body) {
  try {
    body();
  } catch (const scipix::Error &e) {
    if (e.status() != want) {
      std::fprintf(stderr, "line %d: status %d (%s), want %d\n", line, static_cast<int>(e.status()),
                   scipix_status_str(e.status()), static_cast<int>(want));
      failures++;
    }
    return e.what();
  }
  std::fprintf(stderr, "line %d: no scipix::Error thrown\n", line);
  failures++;
  return "";
}

// A deterministic RGB8 test pattern with a padded stride.
static std::vector<uint8_t> pattern(size_t w, size_t h, size_t stride) {
  std::vector<uint8_t> px(stride * h, 0);
  for (size_t y = 0; y < h; y++)
    for (size_t x = 0; x < w * 3; x++) px[y * stride + x] = static_cast<uint8_t>((x * 7 + y * 13) & 0xff);
  return px;
}

static void versions() {
  CHECK(std::strcmp(scipix::version(), SCIPIX_VERSION_STRING) == 0);
  CHECK(std::strcmp(scipix::version(), scipix_version()) == 0);
  CHECK(scipix::abi_version() == SCIPIX_ABI_VERSION);
  CHECK(std::strcmp(scipix::status_str(SCIPIX_ERR_TIMEOUT), scipix_status_str(SCIPIX_ERR_TIMEOUT)) == 0);
  std::printf("C++ sees scipix %s (ABI %u)\n", scipix::version(), scipix::abi_version());
}

static void spans() {
  std::vector<float> v{1.0f, 2.0f, 3.0f};
  const std::array<float, 2> a{{4.0f, 5.0f}};
  float c[4] = {0, 0, 0, 0};
  scipix::Span<const float> sv(v), sa(a), sp(v.data() + 1, 2);
  scipix::Span<float> sc(c);
  CHECK(sv.size() == 3 && sv.data() == v.data());
  CHECK(sa.size() == 2 && sa[1] == 5.0f);
  CHECK(sp.size() == 2 && sp[0] == 2.0f);
  CHECK(sc.size() == 4 && sc.data() == c);
}

static void errors() {
  // A zero-width image: the C call's status and message, thrown by the C++ call.
  std::vector<uint8_t> src_px(12 * 4), dst_px(6 * 2 * 3);
  ScipixImage c_src{src_px.data(), 0, 4, 12, SCIPIX_FORMAT_RGB8};
  ScipixImageMut c_dst{dst_px.data(), 6, 2, 18, SCIPIX_FORMAT_RGB8};
  ScipixStatus c_status = scipix_resize(&c_src, &c_dst, SCIPIX_RESIZE_CV_LINEAR);
  std::string c_message = scipix_last_error_message();
  CHECK(c_status == SCIPIX_ERR_INVALID_ARGUMENT);
  scipix::Image src(src_px.data(), 0, 4, 12, SCIPIX_FORMAT_RGB8);
  scipix::ImageMut dst(dst_px.data(), 6, 2, 18, SCIPIX_FORMAT_RGB8);
  std::string message =
      expect_error(__LINE__, c_status, [&] { scipix::resize(src, dst, SCIPIX_RESIZE_CV_LINEAR); });
  CHECK(!message.empty());
  CHECK(message == c_message);
  CHECK(scipix::last_error_message() == message);
  char buf[8];
  CHECK(scipix::last_error_copy(buf) == message.size());
  CHECK(std::strlen(buf) == sizeof buf - 1);

  // The panic boundary.
  message = expect_error(__LINE__, SCIPIX_ERR_PANIC, [] { scipix::debug_panic(); });
  CHECK(message == "internal panic: scipix_debug_panic called");

  // Paired spans of different lengths are refused before the C call.
  std::vector<float> x{1, 2, 3}, y{1, 2};
  expect_error(__LINE__, SCIPIX_ERR_INVALID_ARGUMENT, [&] { scipix::quantization_mse(x, y); });
  y.push_back(3.5f);
  double mse_c = -1;
  CHECK(scipix_quantization_mse(x.data(), y.data(), 3, &mse_c) == SCIPIX_OK);
  CHECK(scipix::quantization_mse(x, y) == mse_c);
  CHECK(mse_c > 0.08 && mse_c < 0.09);  // 0.5^2 / 3
}

// Owners are move-only; moving never throws.
static_assert(!std::is_copy_constructible_v<scipix::Resizer> && !std::is_copy_assignable_v<scipix::Model>);
static_assert(std::is_nothrow_move_constructible_v<scipix::Safetensors> &&
              std::is_nothrow_move_assignable_v<scipix::QTensor>);

static void handles() {
  scipix::Resizer r = scipix::resizer_new(64, 48, 32, 24, SCIPIX_FORMAT_RGB8, SCIPIX_RESIZE_CV_AREA);
  CHECK(r);
  ScipixResizer *raw = r.get();
  scipix::Resizer moved(std::move(r));
  CHECK(!r && r.get() == nullptr);
  CHECK(moved.get() == raw);
  scipix::ResizerSizes s = moved.sizes();
  CHECK(s.src_width == 64 && s.src_height == 48 && s.dst_width == 32 && s.dst_height == 24);

  // Move assignment frees the previous handle; release() hands the pointer back.
  scipix::Resizer other = scipix::resizer_new(8, 8, 4, 4, SCIPIX_FORMAT_GRAY8, SCIPIX_RESIZE_CV_LINEAR);
  other = std::move(moved);
  CHECK(other.get() == raw && !moved);
  ScipixResizer *released = other.release();
  CHECK(released == raw && !other);
  size_t dw = 0;
  CHECK(scipix_resizer_sizes(released, nullptr, nullptr, &dw, nullptr) == SCIPIX_OK && dw == 32);
  scipix_resizer_free(released);

  // A resizer run through C++ gives the one-shot C resize's bytes.
  std::vector<uint8_t> px = pattern(64, 48, 200);
  std::vector<uint8_t> a(32 * 24 * 3), b(32 * 24 * 3);
  scipix::Resizer area = scipix::resizer_new(64, 48, 32, 24, SCIPIX_FORMAT_RGB8, SCIPIX_RESIZE_CV_AREA);
  area.run(scipix::Image(px.data(), 64, 48, 200, SCIPIX_FORMAT_RGB8),
           scipix::ImageMut(a.data(), 32, 24, 96, SCIPIX_FORMAT_RGB8));
  ScipixImage c_src{px.data(), 64, 48, 200, SCIPIX_FORMAT_RGB8};
  ScipixImageMut c_dst{b.data(), 32, 24, 96, SCIPIX_FORMAT_RGB8};
  CHECK(scipix_resize(&c_src, &c_dst, SCIPIX_RESIZE_CV_AREA) == SCIPIX_OK);
  CHECK(a == b);
}

static void letterbox_tensor() {
  const size_t w = 61, h = 37, stride = 200;
  std::vector<uint8_t> px = pattern(w, h, stride);
  ScipixLetterboxParams params = scipix::letterbox_params_default();
  CHECK(params.width == 640 && params.height == 640 && params.color[0] == 114);
  params.width = 32;
  params.height = 32;

  std::vector<float> cxx(2 * 3 * 32 * 32, -1.0f), c(2 * 3 * 32 * 32, -1.0f);
  scipix::Image img(px.data(), w, h, stride, SCIPIX_FORMAT_RGB8);
  ScipixLetterboxInfo info = scipix::letterbox_to_tensor(img, params, SCIPIX_LAYOUT_NCHW, cxx, 1);
  ScipixLetterboxInfo c_info{};
  CHECK(scipix_letterbox_to_tensor(&img.c(), &params, SCIPIX_LAYOUT_NCHW, c.data(), c.size(), 1, &c_info) ==
        SCIPIX_OK);
  CHECK(std::memcmp(&info, &c_info, sizeof info) == 0);
  CHECK(cxx == c);
  // 61x37 into 32x32: scale 32/61, 32x19 resized, 13 rows of padding split 6 / 7.
  CHECK(info.resized_width == 32 && info.resized_height == 19);
  CHECK(info.top == 6 && info.bottom == 7 && info.left == 0 && info.right == 0);
  CHECK(cxx[0] == -1.0f);                                          // slot 0 untouched
  CHECK(cxx[3 * 32 * 32] > 0.447f && cxx[3 * 32 * 32] < 0.448f);  // padding 114 / 255

  // Too small an output buffer: BUFFER_TOO_SMALL, nothing written.
  std::vector<float> small(10, -2.0f);
  expect_error(__LINE__, SCIPIX_ERR_BUFFER_TOO_SMALL,
               [&] { scipix::letterbox_to_tensor(img, params, SCIPIX_LAYOUT_NCHW, small); });
  CHECK(small[0] == -2.0f);

  // The batch form takes a span of C descriptors and fills one info per image.
  std::vector<ScipixImage> srcs{img, img};
  std::vector<ScipixLetterboxInfo> infos(2);
  std::vector<float> batch(2 * 3 * 32 * 32);
  scipix::letterbox_batch_to_tensor(srcs, params, SCIPIX_LAYOUT_NCHW, batch, infos);
  CHECK(std::memcmp(&infos[1], &c_info, sizeof c_info) == 0);
  CHECK(std::equal(batch.begin() + 3 * 32 * 32, batch.end(), c.begin() + 3 * 32 * 32));
}

static void quantization() {
  scipix::QParams q = scipix::quantize_params_from_range(-1.0f, 3.0f, SCIPIX_QDTYPE_UINT8,
                                                         SCIPIX_QMODE_ASYMMETRIC, false);
  float scale = 0;
  int32_t zp = -1;
  CHECK(scipix_quantize_params_from_range(-1.0f, 3.0f, SCIPIX_QDTYPE_UINT8, SCIPIX_QMODE_ASYMMETRIC, false, &scale,
                                          &zp) == SCIPIX_OK);
  CHECK(q.scale == scale && q.zero_point == zp);
  CHECK(q.zero_point == 64);  // round(1 / (4 / 255))

  std::vector<float> x{-1.0f, 0.0f, 0.5f, 3.0f};
  std::vector<uint8_t> out(4);
  scipix::quantize_linear(x, q.scale, q.zero_point, SCIPIX_QDTYPE_UINT8, out.data(), out.size());
  CHECK(out[0] == 0 && out[1] == 64 && out[3] == 255);
  std::vector<float> back(4);
  scipix::dequantize_linear(out.data(), out.size(), q.scale, q.zero_point, SCIPIX_QDTYPE_UINT8, back);
  CHECK(back[1] == 0.0f);

  const size_t shape[2] = {2, 2};
  scipix::QTensor t = scipix::qtensor_quantize(x.data(), shape, SCIPIX_QDTYPE_INT8, SCIPIX_QMODE_SYMMETRIC, false,
                                               SCIPIX_QGRAN_PER_TENSOR, 0, 0);
  CHECK(t.dtype() == SCIPIX_QDTYPE_INT8);
  CHECK(t.shape().size() == 2 && t.shape()[0] == 2 && t.shape()[1] == 2);
  CHECK(t.data().size() == 4 && t.nbytes() == 4);
  CHECK(t.scales().size() == 1);
}

static void model_files(const std::string &dir) {
  const std::string path = dir + "/cxx_api.safetensors";
  const float values[4] = {1.0f, -2.0f, 0.5f, 8.0f};
  const size_t shape[2] = {2, 2};
  {
    scipix::SafetensorsWriter w = scipix::safetensors_writer_new();
    w.add_tensor("w", SCIPIX_ST_F32, shape,
                 scipix::Span<const uint8_t>(reinterpret_cast<const uint8_t *>(values), sizeof values));
    w.add_metadata("format", "pt");
    w.write(path.c_str());
  }
  scipix::Model model = scipix::model_open(path.c_str());
  CHECK(model.bytes().size() > sizeof values);
  scipix::Safetensors st = scipix::safetensors_from_model(model);
  model = scipix::Model();  // the safetensors handle keeps its own reference
  CHECK(st.tensor_count() == 1);
  CHECK(std::strcmp(st.tensor_name(0), "w") == 0);
  ScipixStTensorInfo info = st.find("w");
  CHECK(info.dtype == SCIPIX_ST_F32 && info.rank == 2 && info.nbytes == sizeof values);
  CHECK(std::memcmp(info.data, values, sizeof values) == 0);
  CHECK(std::strcmp(st.metadata_get("format"), "pt") == 0);
  expect_error(__LINE__, SCIPIX_ERR_NOT_FOUND, [&] { st.find("missing"); });
  expect_error(__LINE__, SCIPIX_ERR_NOT_FOUND,
               [&] { scipix::model_open((dir + "/no-such-file.safetensors").c_str()); });
  std::remove(path.c_str());
}

static void gguf_round_trip(const std::string &dir) {
  const std::string path = dir + "/cxx_api.gguf";
  std::vector<float> x(64);
  for (size_t i = 0; i < x.size(); i++) x[i] = static_cast<float>(i) * 0.25f - 8.0f;
  const size_t shape[1] = {64};
  {
    scipix::GgufWriter w = scipix::gguf_writer_new();
    w.add_tensor_f32("t", SCIPIX_GGML_F32, shape, x);
    w.add_string("general.name", "cxx");
    w.add_u32("answer", 42);
    w.write(path.c_str());
  }
  scipix::Gguf g = scipix::gguf_open(path.c_str());
  CHECK(g.tensor_count() == 1);
  ScipixGgufTensorInfo t = g.tensor_info(g.find("t"));
  CHECK(t.type == SCIPIX_GGML_F32 && t.num_elements == 64 && t.nbytes == 64 * sizeof(float));
  CHECK(std::memcmp(t.data, x.data(), t.nbytes) == 0);
  ScipixGgufValue v = g.metadata_value(g.metadata_find("answer"));
  CHECK(v.type == SCIPIX_GGUF_TYPE_UINT32 && v.u == 42);
  ScipixGgufValue name = g.metadata_value(g.metadata_find("general.name"));
  CHECK(std::string(name.str, name.str_len) == "cxx");
  expect_error(__LINE__, SCIPIX_ERR_NOT_FOUND, [&] { g.metadata_find("absent"); });
  g = scipix::Gguf();
  std::remove(path.c_str());
}

static void yuv() {
  // A 4x2 NV12 frame of video-range white: BGR 255 through both APIs.
  const uint8_t y[8] = {235, 235, 235, 235, 235, 235, 235, 235}, uv[4] = {128, 128, 128, 128};
  scipix::YuvFrame frame(SCIPIX_YUV_NV12, 4, 2, y, 4, uv, 4);
  std::vector<uint8_t> bgr(4 * 2 * 3), c_bgr(4 * 2 * 3);
  scipix::yuv_to_image(frame, scipix::ImageMut(bgr.data(), 4, 2, 12, SCIPIX_FORMAT_BGR8));
  ScipixImageMut c_dst{c_bgr.data(), 4, 2, 12, SCIPIX_FORMAT_BGR8};
  CHECK(scipix_yuv_to_image(&frame.c(), &c_dst) == SCIPIX_OK);
  CHECK(bgr == c_bgr && bgr[0] == 255);
  // An odd width is refused.
  scipix::YuvFrame odd(SCIPIX_YUV_NV12, 3, 2, y, 4, uv, 4);
  expect_error(__LINE__, SCIPIX_ERR_INVALID_ARGUMENT,
               [&] { scipix::yuv_to_image(odd, scipix::ImageMut(bgr.data(), 3, 2, 12, SCIPIX_FORMAT_BGR8)); });
}

static void batch_queue() {
  ScipixBatcherConfig config = scipix::batcher_config_default();
  config.max_batch_size = 2;
  config.preferred_batch_size = 2;
  scipix::Batcher b = scipix::batcher_new(&config);
  const std::string hello = "hello";
  uint64_t t1 = b.submit(scipix::Span<const uint8_t>(reinterpret_cast<const uint8_t *>(hello.data()), hello.size()));
  CHECK(!b.try_poll(t1));  // SCIPIX_PENDING: an empty result, no exception
  uint64_t t2 = b.submit({});
  scipix::Batch batch = b.next_batch(SCIPIX_WAIT_FOREVER);
  CHECK(batch && batch.ref().count() == 2);
  scipix::BatchItem it = batch.ref().item(0);
  CHECK(it.ticket == t1 && it.len == 5 && std::memcmp(it.data, "hello", 5) == 0);
  const char *reply = "ok";
  std::vector<const void *> results{reply, nullptr};
  std::vector<size_t> lens{2, 0};
  batch.ref().complete(results, lens);
  batch = scipix::Batch();
  scipix::Result r = b.poll(t1, SCIPIX_WAIT_FOREVER);
  CHECK(r.len() == 2 && std::memcmp(r.data(), "ok", 2) == 0);
  CHECK(b.poll(t2, 0).len() == 0);
  expect_error(__LINE__, SCIPIX_ERR_NOT_FOUND, [&] { b.poll(t1, 0); });
  CHECK(b.stats().completed == 2);
  std::vector<uint64_t> hist = b.batch_size_histogram();
  CHECK(hist.size() == 3 && hist[2] == 1);
}

// Detector post-processing: the C++ calls give the C calls' answers, empty inputs included.
static void detect() {
  // Box 1 overlaps box 0 (IoU 0.81) and goes; box 2 is apart; box 3 is below the threshold.
  const std::vector<float> xywh = {0, 0, 10, 10, 1, 1, 9, 9, 20, 20, 5, 5, 0, 0, 3, 3};
  const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.1f};
  const std::vector<size_t> keep = scipix::nms_boxes(xywh, scores, 0.25f, 0.5f);
  size_t c_keep[4] = {0, 0, 0, 0};
  size_t c_n = 0;
  CHECK(scipix_nms_boxes(xywh.data(), scores.data(), 4, 0.25f, 0.5f, 1.0f, 0, c_keep, 4, &c_n) == SCIPIX_OK);
  CHECK(keep.size() == 2 && c_n == 2 && keep[0] == 0 && keep[1] == 2 && c_keep[1] == 2);
  const std::vector<float> xyxy = {0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 25, 25, 0, 0, 3, 3};
  const std::vector<size_t> t = scipix::nms_xyxy(xyxy, scores, 0.5);
  CHECK(t.size() == 3 && t[0] == 0 && t[1] == 2 && t[2] == 3);
  const std::vector<uint32_t> classes = {0, 1, 0, 0};
  const std::vector<size_t> b = scipix::batched_nms(xyxy, scores, classes, 0.5);
  CHECK(b.size() == 4 && b[0] == 0 && b[1] == 1 && b[2] == 2 && b[3] == 3);
  CHECK(scipix::nms_boxes(std::vector<float>{}, std::vector<float>{}, 0.25f, 0.5f).empty());
  bool threw = false;
  try {
    scipix::nms_boxes(xywh, scores, 0.25f, -1.0f);
  } catch (const scipix::Error &e) {
    threw = e.status() == SCIPIX_ERR_INVALID_ARGUMENT;
  }
  CHECK(threw);
  const std::vector<size_t> top = scipix::top_k(std::vector<float>{1, 5, 3, 5}, 3);
  CHECK(top.size() == 3 && top[0] == 1 && top[1] == 3 && top[2] == 2);
  CHECK(scipix::top_k(std::vector<float>{1, 2}, 0).empty());
  std::vector<float> p(3);
  scipix::softmax_f32(std::vector<float>{0, 0, 0}, p);
  CHECK(p[0] == p[1] && p[1] == p[2] && p[0] > 0.333f && p[0] < 0.334f);
  // YOLO output [1, 4 + 2, 3]: rows cx, cy, w, h, class 0, class 1; candidate 1 wins class 1.
  const std::vector<float> out = {10, 50, 90, 10, 50, 90, 4, 4, 4, 4, 4, 4,
                                  0.1f, 0.2f, 0.3f, 0.2f, 0.9f, 0.1f};
  ScipixYoloParams yp = scipix::yolo_params_default();
  yp.num_classes = 2;
  yp.num_candidates = 3;
  ScipixLetterboxInfo lb{};
  lb.scale_x = lb.scale_y = 2.0;  // a 2x letterbox with 4 pixels of padding on the left
  lb.left = 4;
  const std::vector<ScipixDetection> d = scipix::yolo_decode(out, yp, lb, 8);
  ScipixDetection cd[8];
  size_t cn = 0;
  CHECK(scipix_yolo_decode(out.data(), out.size(), &yp, &lb, cd, 8, &cn) == SCIPIX_OK);
  CHECK(d.size() == cn && cn >= 1);
  CHECK(d[0].candidate == 1 && d[0].class_id == 1 && d[0].score == 0.9f && d[0].x1 == 22.0f);
  CHECK(d[0].x1 == cd[0].x1 && d[0].y2 == cd[0].y2);
}

int main(int argc, char **argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  versions();
  spans();
  errors();
  handles();
  letterbox_tensor();
  quantization();
  model_files(dir);
  gguf_round_trip(dir);
  yuv();
  batch_queue();
  detect();
  if (failures != 0) {
    std::fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  std::printf("C++ API: all checks passed\n");
  return 0;
}
