/*
 * scipix C++17 API: a header-only layer over scipix.h, one C++ counterpart per C function.
 *
 * Rules (the C conventions at the top of scipix.h still hold underneath):
 *  - Every C function scipix_x has a counterpart named x: a free function scipix::x, or,
 *    for a function taking a handle, a method of the handle's owner class
 *    (scipix_resizer_run -> scipix::Resizer::run). The C function's comment states the rule.
 *  - A status other than SCIPIX_OK throws scipix::Error, carrying the status and this
 *    thread's last error message (scipix_last_error_message). Polling calls that may
 *    answer SCIPIX_PENDING return an empty handle or std::nullopt for it instead.
 *  - Output arguments become return values; a (pointer, length) pair becomes a
 *    scipix::Span; every other argument keeps its C position and meaning. Descriptor and
 *    options pointers that the C function accepts as NULL (= defaults) stay pointers.
 *  - Handles are owned by move-only classes (scipix::Resizer, scipix::Model, ...) whose
 *    destructors call the C _free function; get() borrows the C pointer, release() gives
 *    up ownership. Functions creating handles are free functions named after the C
 *    creator: scipix::resizer_new, scipix::model_open, ...
 */
#ifndef SCIPIX_HPP
#define SCIPIX_HPP

#include <scipix.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace scipix {

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A failed scipix call: the C status and this thread's last error message.
class Error : public std::runtime_error {
 public:
  Error(ScipixStatus status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  /// The C status (never SCIPIX_OK).
  ScipixStatus status() const noexcept { return status_; }

 private:
  ScipixStatus status_;
};

/// Throws scipix::Error for any status but SCIPIX_OK (message: scipix_last_error_message).
inline void check(ScipixStatus status) {
  if (status != SCIPIX_OK) throw Error(status, scipix_last_error_message());
}

namespace detail {
// Arguments the C++ layer checks itself (lengths of paired spans) fail like a C call would.
inline void require(bool ok, const char *message) {
  if (!ok) throw Error(SCIPIX_ERR_INVALID_ARGUMENT, message);
}

// Owner of one C handle; Free accepts NULL, as every scipix _free does.
template <typename T, void (*Free)(T *)>
class Owner {
 public:
  Owner() noexcept = default;
  /// Takes ownership of `p` (may be NULL).
  explicit Owner(T *p) noexcept : p_(p) {}
  ~Owner() { Free(p_); }
  Owner(const Owner &) = delete;
  Owner &operator=(const Owner &) = delete;
  Owner(Owner &&other) noexcept : p_(other.p_) { other.p_ = nullptr; }
  Owner &operator=(Owner &&other) noexcept {
    if (this != &other) {
      Free(p_);
      p_ = other.p_;
      other.p_ = nullptr;
    }
    return *this;
  }
  /// The C handle, still owned by this object.
  T *get() const noexcept { return p_; }
  /// Gives up ownership: the caller frees the returned handle.
  T *release() noexcept {
    T *p = p_;
    p_ = nullptr;
    return p;
  }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T *p_ = nullptr;
};
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Span: a pointer and an element count (C++17 has no std::span)
// ---------------------------------------------------------------------------------------

/// A borrowed run of `size()` elements at `data()`. Built from a pointer and a count, a
/// C array, or any contiguous container with data()/size() of the same element type
/// (std::vector, std::array, std::string, another Span).
template <typename T>
class Span {
 public:
  using element_type = T;

  constexpr Span() noexcept = default;
  constexpr Span(T *data, size_t size) noexcept : data_(data), size_(size) {}
  template <size_t N>
  constexpr Span(T (&array)[N]) noexcept : data_(array), size_(N) {}
  template <typename C,
            typename E = std::remove_pointer_t<decltype(std::declval<C &>().data())>,
            typename = std::enable_if_t<
                !std::is_same_v<std::decay_t<C>, Span> &&
                std::is_same_v<std::remove_cv_t<E>, std::remove_cv_t<T>> &&
                std::is_convertible_v<E *, T *>>>
  constexpr Span(C &&container) noexcept : data_(container.data()), size_(container.size()) {}

  constexpr T *data() const noexcept { return data_; }
  constexpr size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr T *begin() const noexcept { return data_; }
  constexpr T *end() const noexcept { return data_ + size_; }
  constexpr T &operator[](size_t i) const noexcept { return data_[i]; }

 private:
  T *data_ = nullptr;
  size_t size_ = 0;
};

namespace detail {
// Zero points for the C quantization calls, which take one per scale and refuse NULL:
// `zp` itself, or `n` zeros when it is empty (the C++ functions' "no zero points").
class ZeroPoints {
 public:
  ZeroPoints(Span<const int32_t> zp, size_t n) : zp_(zp), zeros_(zp.empty() ? n : 0, 0) {}
  const int32_t *data() const noexcept { return zp_.empty() ? zeros_.data() : zp_.data(); }

 private:
  Span<const int32_t> zp_;
  std::vector<int32_t> zeros_;
};
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Image views over caller memory (ScipixImage, ScipixImageMut, ScipixYuvFrame)
// ---------------------------------------------------------------------------------------

/// Read-only image in the caller's memory (ScipixImage: rules on its C comment).
class Image {
 public:
  Image(const uint8_t *data, size_t width, size_t height, size_t stride,
        ScipixPixelFormat format) noexcept
      : d_{data, width, height, stride, format} {}
  Image(const ScipixImage &desc) noexcept : d_(desc) {}
  const ScipixImage &c() const noexcept { return d_; }
  operator const ScipixImage &() const noexcept { return d_; }
  const uint8_t *data() const noexcept { return d_.data; }
  size_t width() const noexcept { return d_.width; }
  size_t height() const noexcept { return d_.height; }
  size_t stride() const noexcept { return d_.stride; }
  ScipixPixelFormat format() const noexcept { return d_.format; }

 private:
  ScipixImage d_;
};

/// Writable image in the caller's memory (ScipixImageMut); also usable as an input.
class ImageMut {
 public:
  ImageMut(uint8_t *data, size_t width, size_t height, size_t stride,
           ScipixPixelFormat format) noexcept
      : d_{data, width, height, stride, format} {}
  ImageMut(const ScipixImageMut &desc) noexcept : d_(desc) {}
  const ScipixImageMut &c() const noexcept { return d_; }
  operator const ScipixImageMut &() const noexcept { return d_; }
  operator ScipixImage() const noexcept { return {d_.data, d_.width, d_.height, d_.stride, d_.format}; }
  uint8_t *data() const noexcept { return d_.data; }
  size_t width() const noexcept { return d_.width; }
  size_t height() const noexcept { return d_.height; }
  size_t stride() const noexcept { return d_.stride; }
  ScipixPixelFormat format() const noexcept { return d_.format; }

 private:
  ScipixImageMut d_;
};

/// Read-only YUV frame in the caller's memory (ScipixYuvFrame: planes per layout there).
class YuvFrame {
 public:
  YuvFrame(ScipixYuvLayout layout, size_t width, size_t height, const uint8_t *plane0,
           size_t stride0, const uint8_t *plane1 = nullptr, size_t stride1 = 0,
           const uint8_t *plane2 = nullptr, size_t stride2 = 0) noexcept
      : d_{layout, width, height, {plane0, plane1, plane2}, {stride0, stride1, stride2}} {}
  YuvFrame(const ScipixYuvFrame &desc) noexcept : d_(desc) {}
  const ScipixYuvFrame &c() const noexcept { return d_; }
  operator const ScipixYuvFrame &() const noexcept { return d_; }

 private:
  ScipixYuvFrame d_;
};

/// A width and a height.
struct Size {
  size_t width;
  size_t height;
};

// ---------------------------------------------------------------------------------------
// Version, status names, last error
// ---------------------------------------------------------------------------------------

/// scipix_version: the library's version string.
inline const char *version() { return scipix_version(); }
/// scipix_abi_version: compare with SCIPIX_ABI_VERSION.
inline uint32_t abi_version() { return scipix_abi_version(); }
/// scipix_status_str: a status's name.
inline const char *status_str(int32_t status) { return scipix_status_str(status); }
/// scipix_last_error_message: this thread's last error message, copied.
inline std::string last_error_message() { return scipix_last_error_message(); }
/// scipix_last_error_copy: copies the message into `buf`; returns its full length.
inline size_t last_error_copy(Span<char> buf) { return scipix_last_error_copy(buf.data(), buf.size()); }
/// scipix_debug_panic: always throws Error with SCIPIX_ERR_PANIC (test hook).
inline void debug_panic() { check(scipix_debug_panic()); }

// ---------------------------------------------------------------------------------------
// Batch queue
// ---------------------------------------------------------------------------------------

/// One request of a batch (scipix_batch_item).
struct BatchItem {
  const void *data;
  size_t len;
  uint64_t ticket;
};

/// A batch used without owning it, e.g. inside a worker callback (scipix_batcher_start_workers).
class BatchRef {
 public:
  explicit BatchRef(ScipixBatch *batch) noexcept : b_(batch) {}
  ScipixBatch *get() const noexcept { return b_; }
  /// scipix_batch_count.
  size_t count() const noexcept { return scipix_batch_count(b_); }
  /// scipix_batch_item.
  BatchItem item(size_t index) const {
    BatchItem it{nullptr, 0, 0};
    check(scipix_batch_item(b_, index, &it.data, &it.len, &it.ticket));
    return it;
  }
  /// scipix_batch_complete: results[i] with lens[i] bytes for request i.
  void complete(Span<const void *const> results, Span<const size_t> lens) const {
    detail::require(results.size() == lens.size(), "complete: results and lens differ in length");
    check(scipix_batch_complete(b_, results.data(), lens.data(), results.size()));
  }
  /// scipix_batch_fail.
  void fail(const char *msg = nullptr) const { check(scipix_batch_fail(b_, msg)); }

 private:
  ScipixBatch *b_;
};

/// Owned batch from Batcher::next_batch; its operations are on ref().
class Batch : public detail::Owner<ScipixBatch, scipix_batch_free> {
 public:
  using Owner::Owner;
  BatchRef ref() const noexcept { return BatchRef(get()); }
};

/// Owned result from Batcher::poll.
class Result : public detail::Owner<ScipixResult, scipix_result_free> {
 public:
  using Owner::Owner;
  /// scipix_result_data.
  const void *data() const noexcept { return scipix_result_data(get()); }
  /// scipix_result_len.
  size_t len() const noexcept { return scipix_result_len(get()); }
};

/// Owned batcher (scipix_batcher_new).
class Batcher : public detail::Owner<ScipixBatcher, scipix_batcher_free> {
 public:
  using Owner::Owner;
  /// scipix_batcher_submit: returns the ticket; deadline_ms < 0 = none.
  uint64_t submit(Span<const uint8_t> data, int64_t deadline_ms = -1, int32_t priority = 0) const {
    uint64_t ticket = 0;
    check(scipix_batcher_submit(get(), data.data(), data.size(), deadline_ms, priority, &ticket));
    return ticket;
  }
  /// scipix_batcher_next_batch: an empty Batch on SCIPIX_PENDING.
  Batch next_batch(uint32_t wait_ms) const {
    ScipixBatch *b = nullptr;
    ScipixStatus s = scipix_batcher_next_batch(get(), wait_ms, &b);
    if (s != SCIPIX_PENDING) check(s);
    return Batch(b);
  }
  /// scipix_batcher_poll: an empty Result on SCIPIX_PENDING.
  Result poll(uint64_t ticket, uint32_t wait_ms) const {
    ScipixResult *r = nullptr;
    ScipixStatus s = scipix_batcher_poll(get(), ticket, wait_ms, &r);
    if (s != SCIPIX_PENDING) check(s);
    return Result(r);
  }
  /// scipix_batcher_try_poll: an empty Result on SCIPIX_PENDING.
  Result try_poll(uint64_t ticket) const {
    ScipixResult *r = nullptr;
    ScipixStatus s = scipix_batcher_try_poll(get(), ticket, &r);
    if (s != SCIPIX_PENDING) check(s);
    return Result(r);
  }
  /// scipix_batcher_next_completed: std::nullopt on SCIPIX_PENDING.
  std::optional<uint64_t> next_completed(uint32_t wait_ms) const {
    uint64_t ticket = 0;
    ScipixStatus s = scipix_batcher_next_completed(get(), wait_ms, &ticket);
    if (s == SCIPIX_PENDING) return std::nullopt;
    check(s);
    return ticket;
  }
  /// scipix_batcher_stats.
  ScipixBatcherStats stats() const {
    ScipixBatcherStats st{};
    check(scipix_batcher_stats(get(), &st));
    return st;
  }
  /// scipix_batcher_batch_size_histogram: counts[s] = batches of s requests.
  std::vector<uint64_t> batch_size_histogram() const {
    size_t needed = 0;
    ScipixStatus s = scipix_batcher_batch_size_histogram(get(), nullptr, 0, &needed);
    if (s != SCIPIX_ERR_BUFFER_TOO_SMALL) check(s);
    std::vector<uint64_t> counts(needed);
    check(scipix_batcher_batch_size_histogram(get(), counts.data(), counts.size(), &needed));
    return counts;
  }
  /// scipix_batcher_shutdown.
  void shutdown(ScipixShutdownMode mode) const { check(scipix_batcher_shutdown(get(), mode)); }
  /// scipix_batcher_start_workers: the callback gets a batch to wrap in a BatchRef.
  void start_workers(size_t n, ScipixBatchCallback callback, void *user_data) const {
    check(scipix_batcher_start_workers(get(), n, callback, user_data));
  }
};

/// scipix_batcher_config_default.
inline ScipixBatcherConfig batcher_config_default() { return scipix_batcher_config_default(); }
/// scipix_batcher_new: config NULL = the defaults.
inline Batcher batcher_new(const ScipixBatcherConfig *config = nullptr) {
  ScipixBatcher *b = nullptr;
  check(scipix_batcher_new(config, &b));
  return Batcher(b);
}

// ---------------------------------------------------------------------------------------
// From encoded bytes to tensors
// ---------------------------------------------------------------------------------------

/// scipix_bytes_options_default.
inline ScipixBytesOptions bytes_options_default() {
  ScipixBytesOptions o{};
  check(scipix_bytes_options_default(&o));
  return o;
}
/// scipix_bytes_letterbox_to_tensor: returns the info.
inline ScipixBytesInfo bytes_letterbox_to_tensor(Span<const uint8_t> data, const ScipixLetterboxParams &params,
                                                 ScipixTensorLayout layout, const ScipixBytesOptions *opts,
                                                 Span<float> out, size_t batch_index = 0) {
  ScipixBytesInfo info{};
  check(scipix_bytes_letterbox_to_tensor(data.data(), data.size(), &params, layout, opts, out.data(),
                                         out.size(), batch_index, &info));
  return info;
}
/// scipix_bytes_classify_to_tensor: returns the info.
inline ScipixBytesInfo bytes_classify_to_tensor(Span<const uint8_t> data, const ScipixClassifyParams &params,
                                                Span<const float> mean, Span<const float> std,
                                                const ScipixBytesOptions *opts, Span<float> out,
                                                size_t batch_index = 0) {
  ScipixBytesInfo info{};
  check(scipix_bytes_classify_to_tensor(data.data(), data.size(), &params, mean.data(), mean.size(), std.data(),
                                        std.size(), opts, out.data(), out.size(), batch_index, &info));
  return info;
}
/// scipix_bytes_letterbox_batch_to_tensor: `infos` empty or one entry per image.
inline void bytes_letterbox_batch_to_tensor(Span<const uint8_t *const> datas, Span<const size_t> lens,
                                            const ScipixLetterboxParams &params, ScipixTensorLayout layout,
                                            const ScipixBytesOptions *opts, Span<float> out,
                                            Span<ScipixBytesInfo> infos = {}) {
  detail::require(datas.size() == lens.size(), "datas and lens differ in length");
  detail::require(infos.empty() || infos.size() >= datas.size(), "infos is shorter than datas");
  check(scipix_bytes_letterbox_batch_to_tensor(datas.data(), lens.data(), datas.size(), &params, layout, opts,
                                               out.data(), out.size(), infos.empty() ? nullptr : infos.data()));
}
/// scipix_bytes_classify_batch_to_tensor: `infos` empty or one entry per image.
inline void bytes_classify_batch_to_tensor(Span<const uint8_t *const> datas, Span<const size_t> lens,
                                           const ScipixClassifyParams &params, Span<const float> mean,
                                           Span<const float> std, const ScipixBytesOptions *opts, Span<float> out,
                                           Span<ScipixBytesInfo> infos = {}) {
  detail::require(datas.size() == lens.size(), "datas and lens differ in length");
  detail::require(infos.empty() || infos.size() >= datas.size(), "infos is shorter than datas");
  check(scipix_bytes_classify_batch_to_tensor(datas.data(), lens.data(), datas.size(), &params, mean.data(),
                                              mean.size(), std.data(), std.size(), opts, out.data(), out.size(),
                                              infos.empty() ? nullptr : infos.data()));
}

// ---------------------------------------------------------------------------------------
// CPU features, optimization level, instruction-set cap, threads
// ---------------------------------------------------------------------------------------

/// scipix_cpu_features: SCIPIX_CPU_* bits.
inline ScipixCpuFeatures cpu_features() { return scipix_cpu_features(); }
/// scipix_cpu_features_string.
inline const char *cpu_features_string() { return scipix_cpu_features_string(); }
/// scipix_set_opt_level.
inline void set_opt_level(ScipixOptLevel level) { check(scipix_set_opt_level(level)); }
/// scipix_get_opt_level.
inline ScipixOptLevel get_opt_level() { return scipix_get_opt_level(); }
/// scipix_simd_enabled.
inline bool simd_enabled() { return scipix_simd_enabled(); }
/// scipix_parallel_enabled.
inline bool parallel_enabled() { return scipix_parallel_enabled(); }
/// scipix_memory_opt_enabled.
inline bool memory_opt_enabled() { return scipix_memory_opt_enabled(); }
/// scipix_set_max_isa: returns the effective cap.
inline ScipixIsa set_max_isa(ScipixIsa requested) {
  ScipixIsa effective = 0;
  check(scipix_set_max_isa(requested, &effective));
  return effective;
}
/// scipix_get_max_isa.
inline ScipixIsa get_max_isa() { return scipix_get_max_isa(); }
/// scipix_active_isa.
inline ScipixIsa active_isa() { return scipix_active_isa(); }
/// scipix_best_isa.
inline ScipixIsa best_isa() { return scipix_best_isa(); }
/// scipix_isa_name.
inline const char *isa_name(ScipixIsa isa) { return scipix_isa_name(isa); }
/// scipix_set_num_threads.
inline void set_num_threads(size_t n) { check(scipix_set_num_threads(n)); }
/// scipix_get_num_threads.
inline size_t get_num_threads() { return scipix_get_num_threads(); }

// ---------------------------------------------------------------------------------------
// Decoding (JPEG, PNG)
// ---------------------------------------------------------------------------------------

/// scipix_probe.
inline ScipixImageInfo probe(Span<const uint8_t> data) {
  ScipixImageInfo info{};
  check(scipix_probe(data.data(), data.size(), &info));
  return info;
}
/// scipix_decode_options_default.
inline ScipixDecodeOptions decode_options_default() {
  ScipixDecodeOptions o{};
  check(scipix_decode_options_default(&o));
  return o;
}
/// scipix_jpeg_output_size: opts NULL = defaults.
inline Size jpeg_output_size(Span<const uint8_t> data, const ScipixDecodeOptions *opts = nullptr) {
  Size s{0, 0};
  check(scipix_jpeg_output_size(data.data(), data.size(), opts, &s.width, &s.height));
  return s;
}
/// scipix_decode_jpeg: returns the decode info.
inline ScipixDecodeInfo decode_jpeg(Span<const uint8_t> data, const ScipixDecodeOptions *opts,
                                    const ScipixImageMut &dst) {
  ScipixDecodeInfo info{};
  check(scipix_decode_jpeg(data.data(), data.size(), opts, &dst, &info));
  return info;
}
/// scipix_png_options_default.
inline ScipixPngOptions png_options_default() {
  ScipixPngOptions o{};
  check(scipix_png_options_default(&o));
  return o;
}
/// scipix_png_info.
inline ScipixPngInfo png_info(Span<const uint8_t> data) {
  ScipixPngInfo info{};
  check(scipix_png_info(data.data(), data.size(), &info));
  return info;
}
/// scipix_decode_png: opts NULL = defaults.
inline void decode_png(Span<const uint8_t> data, const ScipixPngOptions *opts, const ScipixImageMut &dst) {
  check(scipix_decode_png(data.data(), data.size(), opts, &dst));
}

// ---------------------------------------------------------------------------------------
// Detector post-processing
// ---------------------------------------------------------------------------------------

/// scipix_nms_boxes (`cv2.dnn.NMSBoxes`): `boxes` holds 4 floats (x, y, w, h) per score.
/// Returns the kept indices, in OpenCV's order.
inline std::vector<size_t> nms_boxes(Span<const float> boxes, Span<const float> scores,
                                     float score_threshold, float nms_threshold, float eta = 1.0f,
                                     size_t top_k = 0) {
  detail::require(boxes.size() == 4 * scores.size(), "boxes must hold 4 floats per score");
  std::vector<size_t> keep(scores.size() + 1);  // never empty: out_indices is never NULL
  size_t n = 0;
  check(scipix_nms_boxes(boxes.data(), scores.data(), scores.size(), score_threshold, nms_threshold,
                         eta, top_k, keep.data(), scores.size(), &n));
  keep.resize(n);
  return keep;
}
/// scipix_nms_xyxy (torchvision `nms`): `boxes` holds 4 floats (x1, y1, x2, y2) per score.
inline std::vector<size_t> nms_xyxy(Span<const float> boxes, Span<const float> scores,
                                    double iou_threshold) {
  detail::require(boxes.size() == 4 * scores.size(), "boxes must hold 4 floats per score");
  std::vector<size_t> keep(scores.size() + 1);
  size_t n = 0;
  check(scipix_nms_xyxy(boxes.data(), scores.data(), scores.size(), iou_threshold, keep.data(),
                        scores.size(), &n));
  keep.resize(n);
  return keep;
}
/// scipix_batched_nms (torchvision `batched_nms`): one class id per score.
inline std::vector<size_t> batched_nms(Span<const float> boxes, Span<const float> scores,
                                       Span<const uint32_t> classes, double iou_threshold) {
  detail::require(boxes.size() == 4 * scores.size(), "boxes must hold 4 floats per score");
  detail::require(classes.size() == scores.size(), "classes and scores differ in length");
  std::vector<size_t> keep(scores.size() + 1);
  size_t n = 0;
  check(scipix_batched_nms(boxes.data(), scores.data(), classes.data(), scores.size(), iou_threshold,
                           keep.data(), scores.size(), &n));
  keep.resize(n);
  return keep;
}
/// scipix_yolo_params_default.
inline ScipixYoloParams yolo_params_default() {
  ScipixYoloParams p{};
  check(scipix_yolo_params_default(&p));
  return p;
}
/// scipix_yolo_decode: at most `max_detections` detections (the C call's out_capacity),
/// mapped to the source frame with `letterbox`.
inline std::vector<ScipixDetection> yolo_decode(Span<const float> output, const ScipixYoloParams &params,
                                                const ScipixLetterboxInfo &letterbox,
                                                size_t max_detections) {
  std::vector<ScipixDetection> out(max_detections > 0 ? max_detections : 1);
  size_t n = 0;
  check(scipix_yolo_decode(output.data(), output.size(), &params, &letterbox, out.data(),
                           max_detections, &n));
  out.resize(n);
  return out;
}
/// scipix_top_k: the indices of the `k` largest scores, largest first.
inline std::vector<size_t> top_k(Span<const float> scores, size_t k) {
  const size_t m = k < scores.size() ? k : scores.size();
  std::vector<size_t> idx(m + 1);
  size_t n = 0;
  check(scipix_top_k(scores.data(), scores.size(), k, idx.data(), m, &n));
  idx.resize(n);
  return idx;
}
/// scipix_softmax_f32: `dst` as long as `src`.
inline void softmax_f32(Span<const float> src, Span<float> dst) {
  detail::require(src.size() == dst.size(), "src and dst differ in length");
  check(scipix_softmax_f32(src.data(), dst.data(), src.size()));
}

// ---------------------------------------------------------------------------------------
// Quantization
// ---------------------------------------------------------------------------------------

/// A scale and zero point.
struct QParams {
  float scale;
  int32_t zero_point;
};

/// scipix_quantize_params_from_range.
inline QParams quantize_params_from_range(float rmin, float rmax, ScipixQDtype dtype, ScipixQMode mode,
                                          bool reduce_range) {
  QParams p{0.0f, 0};
  check(scipix_quantize_params_from_range(rmin, rmax, dtype, mode, reduce_range, &p.scale, &p.zero_point));
  return p;
}
/// scipix_quantize_params_from_data.
inline QParams quantize_params_from_data(Span<const float> x, ScipixQDtype dtype, ScipixQMode mode,
                                         bool reduce_range) {
  QParams p{0.0f, 0};
  check(scipix_quantize_params_from_data(x.data(), x.size(), dtype, mode, reduce_range, &p.scale, &p.zero_point));
  return p;
}
/// scipix_quantize_params_axis: fills scales and zero_points (same length).
inline void quantize_params_axis(const float *x, Span<const size_t> shape, size_t axis, ScipixQDtype dtype,
                                 ScipixQMode mode, bool reduce_range, Span<float> scales,
                                 Span<int32_t> zero_points) {
  detail::require(scales.size() == zero_points.size(), "scales and zero_points differ in length");
  check(scipix_quantize_params_axis(x, shape.data(), shape.size(), axis, dtype, mode, reduce_range, scales.data(),
                                    zero_points.data(), scales.size()));
}
/// scipix_quantize_linear: `out` holds out_len elements of dtype.
inline void quantize_linear(Span<const float> x, float scale, int32_t zero_point, ScipixQDtype dtype, void *out,
                            size_t out_len) {
  check(scipix_quantize_linear(x.data(), x.size(), scale, zero_point, dtype, out, out_len));
}
/// scipix_dequantize_linear: `q` holds n elements of dtype.
inline void dequantize_linear(const void *q, size_t n, float scale, int32_t zero_point, ScipixQDtype dtype,
                              Span<float> out) {
  check(scipix_dequantize_linear(q, n, scale, zero_point, dtype, out.data(), out.size()));
}
/// scipix_quantize_linear_axis: `zero_points` empty means all zero.
inline void quantize_linear_axis(const float *x, Span<const size_t> shape, size_t axis, Span<const float> scales,
                                 Span<const int32_t> zero_points, ScipixQDtype dtype, void *out, size_t out_len) {
  detail::require(zero_points.empty() || zero_points.size() == scales.size(), "zero_points and scales differ");
  const detail::ZeroPoints zp(zero_points, scales.size());
  check(scipix_quantize_linear_axis(x, shape.data(), shape.size(), axis, scales.data(), zp.data(),
                                    scales.size(), dtype, out, out_len));
}
/// scipix_dequantize_linear_axis: `zero_points` empty means all zero.
inline void dequantize_linear_axis(const void *q, Span<const size_t> shape, size_t axis, Span<const float> scales,
                                   Span<const int32_t> zero_points, ScipixQDtype dtype, Span<float> out) {
  detail::require(zero_points.empty() || zero_points.size() == scales.size(), "zero_points and scales differ");
  const detail::ZeroPoints zp(zero_points, scales.size());
  check(scipix_dequantize_linear_axis(q, shape.data(), shape.size(), axis, scales.data(), zp.data(),
                                      scales.size(), dtype, out.data(), out.size()));
}
/// scipix_quantize_linear_blocked: `zero_points` empty means all zero.
inline void quantize_linear_blocked(const float *x, Span<const size_t> shape, size_t block_size,
                                    Span<const float> scales, Span<const int32_t> zero_points, ScipixQDtype dtype,
                                    void *out, size_t out_len) {
  detail::require(zero_points.empty() || zero_points.size() == scales.size(), "zero_points and scales differ");
  const detail::ZeroPoints zp(zero_points, scales.size());
  check(scipix_quantize_linear_blocked(x, shape.data(), shape.size(), block_size, scales.data(), zp.data(),
                                       scales.size(), dtype, out, out_len));
}
/// scipix_dequantize_linear_blocked: `zero_points` empty means all zero.
inline void dequantize_linear_blocked(const void *q, Span<const size_t> shape, size_t block_size,
                                      Span<const float> scales, Span<const int32_t> zero_points, ScipixQDtype dtype,
                                      Span<float> out) {
  detail::require(zero_points.empty() || zero_points.size() == scales.size(), "zero_points and scales differ");
  const detail::ZeroPoints zp(zero_points, scales.size());
  check(scipix_dequantize_linear_blocked(q, shape.data(), shape.size(), block_size, scales.data(), zp.data(),
                                         scales.size(), dtype, out.data(), out.size()));
}

/// Granularity of a quantized tensor (scipix_qtensor_granularity).
struct QGranularity {
  ScipixQGranularity granularity;
  size_t axis;
  size_t block_size;
};

/// Owned quantized tensor (scipix_qtensor_quantize).
class QTensor : public detail::Owner<ScipixQTensor, scipix_qtensor_free> {
 public:
  using Owner::Owner;
  /// scipix_qtensor_dtype.
  ScipixQDtype dtype() const {
    ScipixQDtype d = 0;
    check(scipix_qtensor_dtype(get(), &d));
    return d;
  }
  /// scipix_qtensor_shape: valid while this tensor lives.
  Span<const size_t> shape() const {
    const size_t *s = nullptr;
    size_t rank = 0;
    check(scipix_qtensor_shape(get(), &s, &rank));
    return {s, rank};
  }
  /// scipix_qtensor_granularity.
  QGranularity granularity() const {
    QGranularity g{0, 0, 0};
    check(scipix_qtensor_granularity(get(), &g.granularity, &g.axis, &g.block_size));
    return g;
  }
  /// scipix_qtensor_data: the packed bytes, valid while this tensor lives.
  Span<const uint8_t> data() const {
    const void *d = nullptr;
    size_t n = 0;
    check(scipix_qtensor_data(get(), &d, &n));
    return {static_cast<const uint8_t *>(d), n};
  }
  /// scipix_qtensor_nbytes.
  size_t nbytes() const noexcept { return scipix_qtensor_nbytes(get()); }
  /// scipix_qtensor_scales.
  Span<const float> scales() const {
    const float *s = nullptr;
    size_t n = 0;
    check(scipix_qtensor_scales(get(), &s, &n));
    return {s, n};
  }
  /// scipix_qtensor_zero_points.
  Span<const int32_t> zero_points() const {
    const int32_t *z = nullptr;
    size_t n = 0;
    check(scipix_qtensor_zero_points(get(), &z, &n));
    return {z, n};
  }
  /// scipix_qtensor_compression_ratio.
  double compression_ratio() const noexcept { return scipix_qtensor_compression_ratio(get()); }
  /// scipix_qtensor_dequantize.
  void dequantize(Span<float> out) const { check(scipix_qtensor_dequantize(get(), out.data(), out.size())); }
};

/// scipix_qtensor_quantize.
inline QTensor qtensor_quantize(const float *x, Span<const size_t> shape, ScipixQDtype dtype, ScipixQMode mode,
                                bool reduce_range, ScipixQGranularity granularity, size_t axis, size_t block_size) {
  ScipixQTensor *t = nullptr;
  check(scipix_qtensor_quantize(x, shape.data(), shape.size(), dtype, mode, reduce_range, granularity, axis,
                                block_size, &t));
  return QTensor(t);
}

/// Owned calibrator (scipix_calibrator_new).
class Calibrator : public detail::Owner<ScipixCalibrator, scipix_calibrator_free> {
 public:
  using Owner::Owner;
  /// scipix_calibrator_observe.
  void observe(const float *x, Span<const size_t> shape) {
    check(scipix_calibrator_observe(get(), x, shape.data(), shape.size()));
  }
  /// scipix_calibrator_channels.
  size_t channels() const noexcept { return scipix_calibrator_channels(get()); }
  /// scipix_calibrator_range: rmin and rmax of equal length.
  void range(Span<float> rmin, Span<float> rmax) const {
    detail::require(rmin.size() == rmax.size(), "rmin and rmax differ in length");
    check(scipix_calibrator_range(get(), rmin.data(), rmax.data(), rmin.size()));
  }
  /// scipix_calibrator_compute: scales and zero_points of equal length.
  void compute(Span<float> scales, Span<int32_t> zero_points) const {
    detail::require(scales.size() == zero_points.size(), "scales and zero_points differ in length");
    check(scipix_calibrator_compute(get(), scales.data(), zero_points.data(), scales.size()));
  }
};

/// scipix_calibrator_new.
inline Calibrator calibrator_new(ScipixCalibMethod method, double percentile, ScipixQDtype dtype, ScipixQMode mode,
                                 bool reduce_range, bool per_channel, size_t axis) {
  ScipixCalibrator *c = nullptr;
  check(scipix_calibrator_new(method, percentile, dtype, mode, reduce_range, per_channel, axis, &c));
  return Calibrator(c);
}
/// scipix_quantization_mse: x and y of equal length.
inline double quantization_mse(Span<const float> x, Span<const float> y) {
  detail::require(x.size() == y.size(), "x and y differ in length");
  double out = 0;
  check(scipix_quantization_mse(x.data(), y.data(), x.size(), &out));
  return out;
}
/// scipix_sqnr_db: x and y of equal length.
inline double sqnr_db(Span<const float> x, Span<const float> y) {
  detail::require(x.size() == y.size(), "x and y differ in length");
  double out = 0;
  check(scipix_sqnr_db(x.data(), y.data(), x.size(), &out));
  return out;
}
/// scipix_quantize_int4: `zero_points` empty means all zero.
inline void quantize_int4(const float *x, Span<const size_t> shape, ScipixQGranularity granularity,
                          size_t axis_or_block, Span<const float> scales, Span<const int32_t> zero_points,
                          ScipixQDtype dtype, void *out, size_t out_bytes) {
  detail::require(zero_points.empty() || zero_points.size() == scales.size(), "zero_points and scales differ");
  const detail::ZeroPoints zp(zero_points, scales.size());
  check(scipix_quantize_int4(x, shape.data(), shape.size(), granularity, axis_or_block, scales.data(), zp.data(),
                             scales.size(), dtype, out, out_bytes));
}
/// scipix_dequantize_int4: `zero_points` empty means all zero.
inline void dequantize_int4(const void *q, size_t q_bytes, Span<const size_t> shape, ScipixQGranularity granularity,
                            size_t axis_or_block, Span<const float> scales, Span<const int32_t> zero_points,
                            ScipixQDtype dtype, Span<float> out) {
  detail::require(zero_points.empty() || zero_points.size() == scales.size(), "zero_points and scales differ");
  const detail::ZeroPoints zp(zero_points, scales.size());
  check(scipix_dequantize_int4(q, q_bytes, shape.data(), shape.size(), granularity, axis_or_block, scales.data(),
                               zp.data(), scales.size(), dtype, out.data(), out.size()));
}
/// scipix_quantize_fp8.
inline void quantize_fp8(const float *x, Span<const size_t> shape, ScipixQGranularity granularity,
                         size_t axis_or_block, Span<const float> scales, ScipixFp8Format format, bool saturate,
                         void *out, size_t out_len) {
  check(scipix_quantize_fp8(x, shape.data(), shape.size(), granularity, axis_or_block, scales.data(), scales.size(),
                            format, saturate, out, out_len));
}
/// scipix_dequantize_fp8.
inline void dequantize_fp8(const void *q, Span<const size_t> shape, ScipixQGranularity granularity,
                           size_t axis_or_block, Span<const float> scales, ScipixFp8Format format,
                           Span<float> out) {
  check(scipix_dequantize_fp8(q, shape.data(), shape.size(), granularity, axis_or_block, scales.data(),
                              scales.size(), format, out.data(), out.size()));
}

// ---------------------------------------------------------------------------------------
// Resizing, cropping, letterbox and model inputs
// ---------------------------------------------------------------------------------------

/// scipix_resize.
inline void resize(const ScipixImage &src, const ScipixImageMut &dst, ScipixResizeMode mode) {
  check(scipix_resize(&src, &dst, mode));
}

/// Source and destination sizes of a resizer (scipix_resizer_sizes).
struct ResizerSizes {
  size_t src_width;
  size_t src_height;
  size_t dst_width;
  size_t dst_height;
};

/// Owned resizer (scipix_resizer_new); may be shared between threads.
class Resizer : public detail::Owner<ScipixResizer, scipix_resizer_free> {
 public:
  using Owner::Owner;
  /// scipix_resizer_run.
  void run(const ScipixImage &src, const ScipixImageMut &dst) const {
    check(scipix_resizer_run(get(), &src, &dst));
  }
  /// scipix_resizer_run_window.
  void run_window(const ScipixImage &src, size_t x0, size_t y0, const ScipixImageMut &dst) const {
    check(scipix_resizer_run_window(get(), &src, x0, y0, &dst));
  }
  /// scipix_resizer_sizes.
  ResizerSizes sizes() const {
    ResizerSizes s{0, 0, 0, 0};
    check(scipix_resizer_sizes(get(), &s.src_width, &s.src_height, &s.dst_width, &s.dst_height));
    return s;
  }
};

/// scipix_resizer_new.
inline Resizer resizer_new(size_t src_width, size_t src_height, size_t dst_width, size_t dst_height,
                           uint32_t format, ScipixResizeMode mode) {
  ScipixResizer *r = nullptr;
  check(scipix_resizer_new(src_width, src_height, dst_width, dst_height, format, mode, &r));
  return Resizer(r);
}
/// scipix_center_crop_rect.
inline ScipixCropRect center_crop_rect(size_t width, size_t height, size_t crop_width, size_t crop_height) {
  ScipixCropRect r{};
  check(scipix_center_crop_rect(width, height, crop_width, crop_height, &r));
  return r;
}
/// scipix_crop_pad: fill NULL = 0.
inline void crop_pad(const ScipixImage &src, int64_t left, int64_t top, const ScipixImageMut &dst,
                     const uint8_t *fill = nullptr) {
  check(scipix_crop_pad(&src, left, top, &dst, fill));
}
/// scipix_pad_constant: fill NULL = 0.
inline void pad_constant(const ScipixImage &src, const ScipixImageMut &dst, size_t top, size_t left,
                         const uint8_t *fill = nullptr) {
  check(scipix_pad_constant(&src, &dst, top, left, fill));
}
/// scipix_letterbox_params_default.
inline ScipixLetterboxParams letterbox_params_default() {
  ScipixLetterboxParams p{};
  check(scipix_letterbox_params_default(&p));
  return p;
}
/// scipix_letterbox_info.
inline ScipixLetterboxInfo letterbox_info(size_t src_width, size_t src_height, const ScipixLetterboxParams &params) {
  ScipixLetterboxInfo info{};
  check(scipix_letterbox_info(src_width, src_height, &params, &info));
  return info;
}
/// scipix_letterbox: returns the geometry.
inline ScipixLetterboxInfo letterbox(const ScipixImage &src, const ScipixImageMut &dst,
                                     const ScipixLetterboxParams &params) {
  ScipixLetterboxInfo info{};
  check(scipix_letterbox(&src, &dst, &params, &info));
  return info;
}
/// scipix_letterbox_to_tensor: returns the geometry.
inline ScipixLetterboxInfo letterbox_to_tensor(const ScipixImage &src, const ScipixLetterboxParams &params,
                                               ScipixTensorLayout layout, Span<float> out, size_t batch_index = 0) {
  ScipixLetterboxInfo info{};
  check(scipix_letterbox_to_tensor(&src, &params, layout, out.data(), out.size(), batch_index, &info));
  return info;
}
/// scipix_classify_to_tensor.
inline void classify_to_tensor(const ScipixImage &src, const ScipixClassifyParams &params, Span<const float> mean,
                               Span<const float> std, Span<float> out, size_t batch_index = 0) {
  check(scipix_classify_to_tensor(&src, &params, mean.data(), mean.size(), std.data(), std.size(), out.data(),
                                  out.size(), batch_index));
}
/// scipix_resize_to_tensor.
inline void resize_to_tensor(const ScipixImage &src, ScipixResizeMode mode, size_t width, size_t height,
                             const ScipixTensorParams &params, Span<float> out, size_t batch_index = 0) {
  check(scipix_resize_to_tensor(&src, mode, width, height, &params, out.data(), out.size(), batch_index));
}
/// scipix_letterbox_batch_to_tensor: `infos` empty or one entry per image.
inline void letterbox_batch_to_tensor(Span<const ScipixImage> srcs, const ScipixLetterboxParams &params,
                                      ScipixTensorLayout layout, Span<float> out,
                                      Span<ScipixLetterboxInfo> infos = {}) {
  detail::require(infos.empty() || infos.size() >= srcs.size(), "infos is shorter than srcs");
  check(scipix_letterbox_batch_to_tensor(srcs.data(), srcs.size(), &params, layout, out.data(), out.size(),
                                         infos.empty() ? nullptr : infos.data()));
}
/// scipix_classify_batch_to_tensor.
inline void classify_batch_to_tensor(Span<const ScipixImage> srcs, const ScipixClassifyParams &params,
                                     Span<const float> mean, Span<const float> std, Span<float> out) {
  check(scipix_classify_batch_to_tensor(srcs.data(), srcs.size(), &params, mean.data(), mean.size(), std.data(),
                                        std.size(), out.data(), out.size()));
}
/// scipix_resize_batch_to_tensor.
inline void resize_batch_to_tensor(Span<const ScipixImage> srcs, ScipixResizeMode mode, size_t width,
                                   size_t height, const ScipixTensorParams &params, Span<float> out) {
  check(scipix_resize_batch_to_tensor(srcs.data(), srcs.size(), mode, width, height, &params, out.data(),
                                      out.size()));
}

// ---------------------------------------------------------------------------------------
// GGML blocks
// ---------------------------------------------------------------------------------------

/// scipix_ggml_type_name.
inline const char *ggml_type_name(ScipixGgmlType type) { return scipix_ggml_type_name(type); }
/// scipix_ggml_row_size: bytes of n values.
inline size_t ggml_row_size(ScipixGgmlType type, size_t n) {
  size_t size = 0;
  check(scipix_ggml_row_size(type, n, &size));
  return size;
}
/// scipix_ggml_quantize: returns the bytes written.
inline size_t ggml_quantize(ScipixGgmlType type, Span<const float> x, size_t row_len, Span<uint8_t> out) {
  size_t written = 0;
  check(scipix_ggml_quantize(type, x.data(), x.size(), row_len, out.data(), out.size(), &written));
  return written;
}
/// scipix_ggml_dequantize: returns the values written.
inline size_t ggml_dequantize(ScipixGgmlType type, Span<const uint8_t> q, Span<float> out) {
  size_t written = 0;
  check(scipix_ggml_dequantize(type, q.data(), q.size(), out.data(), out.size(), &written));
  return written;
}

// ---------------------------------------------------------------------------------------
// Mapped models, safetensors and GGUF files
// ---------------------------------------------------------------------------------------

/// Owned reference to a mapped model file (scipix_model_open).
class Model : public detail::Owner<const ScipixModel, scipix_model_free> {
 public:
  using Owner::Owner;
  /// scipix_model_bytes: the mapped file, valid while a reference lives.
  Span<const uint8_t> bytes() const {
    const uint8_t *d = nullptr;
    size_t n = 0;
    check(scipix_model_bytes(get(), &d, &n));
    return {d, n};
  }
  /// scipix_model_advise.
  void advise(ScipixAdvice advice) const { check(scipix_model_advise(get(), advice)); }
  /// scipix_model_advise_range.
  void advise_range(ScipixAdvice advice, size_t offset, size_t len) const {
    check(scipix_model_advise_range(get(), advice, offset, len));
  }
};

/// scipix_model_open.
inline Model model_open(const char *path, ScipixModelFlags flags = SCIPIX_MODEL_DEFAULT) {
  const ScipixModel *m = nullptr;
  check(scipix_model_open(path, flags, &m));
  return Model(m);
}

/// GGUF format version and data alignment (scipix_gguf_info).
struct GgufInfo {
  uint32_t version;
  size_t alignment;
};

/// Owned GGUF file (scipix_gguf_open, scipix_gguf_from_model).
class Gguf : public detail::Owner<ScipixGguf, scipix_gguf_free> {
 public:
  using Owner::Owner;
  /// scipix_gguf_info.
  GgufInfo info() const {
    GgufInfo i{0, 0};
    check(scipix_gguf_info(get(), &i.version, &i.alignment));
    return i;
  }
  /// scipix_gguf_tensor_count.
  size_t tensor_count() const {
    size_t n = 0;
    check(scipix_gguf_tensor_count(get(), &n));
    return n;
  }
  /// scipix_gguf_tensor_info.
  ScipixGgufTensorInfo tensor_info(size_t index) const {
    ScipixGgufTensorInfo info{};
    check(scipix_gguf_tensor_info(get(), index, &info));
    return info;
  }
  /// scipix_gguf_find: the tensor's index (SCIPIX_ERR_NOT_FOUND throws).
  size_t find(const char *name) const {
    size_t index = 0;
    check(scipix_gguf_find(get(), name, &index));
    return index;
  }
  /// scipix_gguf_metadata_count.
  size_t metadata_count() const {
    size_t n = 0;
    check(scipix_gguf_metadata_count(get(), &n));
    return n;
  }
  /// scipix_gguf_metadata_key.
  const char *metadata_key(size_t index) const {
    const char *key = nullptr;
    check(scipix_gguf_metadata_key(get(), index, &key));
    return key;
  }
  /// scipix_gguf_metadata_find: the entry's index (SCIPIX_ERR_NOT_FOUND throws).
  size_t metadata_find(const char *key) const {
    size_t index = 0;
    check(scipix_gguf_metadata_find(get(), key, &index));
    return index;
  }
  /// scipix_gguf_metadata_value.
  ScipixGgufValue metadata_value(size_t index) const {
    ScipixGgufValue v{};
    check(scipix_gguf_metadata_value(get(), index, &v));
    return v;
  }
  /// scipix_gguf_metadata_array_string: element `elem` of a string array.
  std::string_view metadata_array_string(size_t index, size_t elem) const {
    const char *s = nullptr;
    size_t len = 0;
    check(scipix_gguf_metadata_array_string(get(), index, elem, &s, &len));
    return {s, len};
  }
};

/// scipix_gguf_open.
inline Gguf gguf_open(const char *path, ScipixModelFlags flags = SCIPIX_MODEL_DEFAULT) {
  ScipixGguf *g = nullptr;
  check(scipix_gguf_open(path, flags, &g));
  return Gguf(g);
}
/// scipix_gguf_from_model: the handle takes its own reference to the model.
inline Gguf gguf_from_model(const Model &model) {
  ScipixGguf *g = nullptr;
  check(scipix_gguf_from_model(model.get(), &g));
  return Gguf(g);
}

/// Owned GGUF writer (scipix_gguf_writer_new).
class GgufWriter : public detail::Owner<ScipixGgufWriter, scipix_gguf_writer_free> {
 public:
  using Owner::Owner;
  /// scipix_gguf_writer_add_tensor: the bytes are copied.
  void add_tensor(const char *name, ScipixGgmlType type, Span<const size_t> shape, Span<const uint8_t> data) {
    check(scipix_gguf_writer_add_tensor(get(), name, type, shape.data(), shape.size(), data.data(), data.size()));
  }
  /// scipix_gguf_writer_add_tensor_borrowed: the bytes must outlive write().
  void add_tensor_borrowed(const char *name, ScipixGgmlType type, Span<const size_t> shape,
                           Span<const uint8_t> data) {
    check(scipix_gguf_writer_add_tensor_borrowed(get(), name, type, shape.data(), shape.size(), data.data(),
                                                 data.size()));
  }
  /// scipix_gguf_writer_add_tensor_f32: quantized to `type` on the way in.
  void add_tensor_f32(const char *name, ScipixGgmlType type, Span<const size_t> shape, Span<const float> x) {
    check(scipix_gguf_writer_add_tensor_f32(get(), name, type, shape.data(), shape.size(), x.data(), x.size()));
  }
  /// scipix_gguf_writer_add_string.
  void add_string(const char *key, const char *value) { check(scipix_gguf_writer_add_string(get(), key, value)); }
  /// scipix_gguf_writer_add_u32.
  void add_u32(const char *key, uint32_t value) { check(scipix_gguf_writer_add_u32(get(), key, value)); }
  /// scipix_gguf_writer_add_i32.
  void add_i32(const char *key, int32_t value) { check(scipix_gguf_writer_add_i32(get(), key, value)); }
  /// scipix_gguf_writer_add_u64.
  void add_u64(const char *key, uint64_t value) { check(scipix_gguf_writer_add_u64(get(), key, value)); }
  /// scipix_gguf_writer_add_i64.
  void add_i64(const char *key, int64_t value) { check(scipix_gguf_writer_add_i64(get(), key, value)); }
  /// scipix_gguf_writer_add_f32.
  void add_f32(const char *key, float value) { check(scipix_gguf_writer_add_f32(get(), key, value)); }
  /// scipix_gguf_writer_add_f64.
  void add_f64(const char *key, double value) { check(scipix_gguf_writer_add_f64(get(), key, value)); }
  /// scipix_gguf_writer_add_bool.
  void add_bool(const char *key, bool value) { check(scipix_gguf_writer_add_bool(get(), key, value)); }
  /// scipix_gguf_writer_write.
  void write(const char *path) const { check(scipix_gguf_writer_write(get(), path)); }
};

/// scipix_gguf_writer_new.
inline GgufWriter gguf_writer_new() {
  ScipixGgufWriter *w = nullptr;
  check(scipix_gguf_writer_new(&w));
  return GgufWriter(w);
}

/// A metadata key and value (scipix_safetensors_metadata_entry).
struct MetadataEntry {
  const char *key;
  const char *value;
};

/// Owned safetensors file (scipix_safetensors_open, scipix_safetensors_from_model).
class Safetensors : public detail::Owner<ScipixSafetensors, scipix_safetensors_free> {
 public:
  using Owner::Owner;
  /// scipix_safetensors_model: a new reference to the mapped file.
  Model model() const {
    const ScipixModel *m = nullptr;
    check(scipix_safetensors_model(get(), &m));
    return Model(m);
  }
  /// scipix_safetensors_tensor_count.
  size_t tensor_count() const {
    size_t n = 0;
    check(scipix_safetensors_tensor_count(get(), &n));
    return n;
  }
  /// scipix_safetensors_tensor_name.
  const char *tensor_name(size_t index) const {
    const char *name = nullptr;
    check(scipix_safetensors_tensor_name(get(), index, &name));
    return name;
  }
  /// scipix_safetensors_tensor_info.
  ScipixStTensorInfo tensor_info(size_t index) const {
    ScipixStTensorInfo info{};
    check(scipix_safetensors_tensor_info(get(), index, &info));
    return info;
  }
  /// scipix_safetensors_find (SCIPIX_ERR_NOT_FOUND throws).
  ScipixStTensorInfo find(const char *name) const {
    ScipixStTensorInfo info{};
    check(scipix_safetensors_find(get(), name, &info));
    return info;
  }
  /// scipix_safetensors_metadata_count.
  size_t metadata_count() const {
    size_t n = 0;
    check(scipix_safetensors_metadata_count(get(), &n));
    return n;
  }
  /// scipix_safetensors_metadata_entry.
  MetadataEntry metadata_entry(size_t index) const {
    MetadataEntry e{nullptr, nullptr};
    check(scipix_safetensors_metadata_entry(get(), index, &e.key, &e.value));
    return e;
  }
  /// scipix_safetensors_metadata_get (SCIPIX_ERR_NOT_FOUND throws).
  const char *metadata_get(const char *key) const {
    const char *value = nullptr;
    check(scipix_safetensors_metadata_get(get(), key, &value));
    return value;
  }
};

/// scipix_safetensors_open.
inline Safetensors safetensors_open(const char *path, ScipixModelFlags flags = SCIPIX_MODEL_DEFAULT) {
  ScipixSafetensors *st = nullptr;
  check(scipix_safetensors_open(path, flags, &st));
  return Safetensors(st);
}
/// scipix_safetensors_from_model: the handle takes its own reference to the model.
inline Safetensors safetensors_from_model(const Model &model) {
  ScipixSafetensors *st = nullptr;
  check(scipix_safetensors_from_model(model.get(), &st));
  return Safetensors(st);
}

/// Owned safetensors writer (scipix_safetensors_writer_new).
class SafetensorsWriter : public detail::Owner<ScipixSafetensorsWriter, scipix_safetensors_writer_free> {
 public:
  using Owner::Owner;
  /// scipix_safetensors_writer_add_tensor: the bytes are copied.
  void add_tensor(const char *name, ScipixStDtype dtype, Span<const size_t> shape, Span<const uint8_t> data) {
    check(scipix_safetensors_writer_add_tensor(get(), name, dtype, shape.data(), shape.size(), data.data(),
                                               data.size()));
  }
  /// scipix_safetensors_writer_add_tensor_borrowed: the bytes must outlive write().
  void add_tensor_borrowed(const char *name, ScipixStDtype dtype, Span<const size_t> shape,
                           Span<const uint8_t> data) {
    check(scipix_safetensors_writer_add_tensor_borrowed(get(), name, dtype, shape.data(), shape.size(),
                                                        data.data(), data.size()));
  }
  /// scipix_safetensors_writer_add_metadata.
  void add_metadata(const char *key, const char *value) {
    check(scipix_safetensors_writer_add_metadata(get(), key, value));
  }
  /// scipix_safetensors_writer_write.
  void write(const char *path) const { check(scipix_safetensors_writer_write(get(), path)); }
};

/// scipix_safetensors_writer_new.
inline SafetensorsWriter safetensors_writer_new() {
  ScipixSafetensorsWriter *w = nullptr;
  check(scipix_safetensors_writer_new(&w));
  return SafetensorsWriter(w);
}
/// scipix_st_dtype_name.
inline const char *st_dtype_name(ScipixStDtype dtype) { return scipix_st_dtype_name(dtype); }
/// scipix_st_dtype_bits.
inline uint32_t st_dtype_bits(ScipixStDtype dtype) { return scipix_st_dtype_bits(dtype); }
/// scipix_f16_to_f32: converts src.size() values; dst at least as long.
inline void f16_to_f32(Span<const uint16_t> src, Span<float> dst) {
  detail::require(dst.size() >= src.size(), "dst is shorter than src");
  check(scipix_f16_to_f32(src.data(), dst.data(), src.size()));
}
/// scipix_bf16_to_f32: converts src.size() values; dst at least as long.
inline void bf16_to_f32(Span<const uint16_t> src, Span<float> dst) {
  detail::require(dst.size() >= src.size(), "dst is shorter than src");
  check(scipix_bf16_to_f32(src.data(), dst.data(), src.size()));
}
/// scipix_f32_to_f16: converts src.size() values; dst at least as long.
inline void f32_to_f16(Span<const float> src, Span<uint16_t> dst) {
  detail::require(dst.size() >= src.size(), "dst is shorter than src");
  check(scipix_f32_to_f16(src.data(), dst.data(), src.size()));
}
/// scipix_f32_to_bf16: converts src.size() values; dst at least as long.
inline void f32_to_bf16(Span<const float> src, Span<uint16_t> dst) {
  detail::require(dst.size() >= src.size(), "dst is shorter than src");
  check(scipix_f32_to_bf16(src.data(), dst.data(), src.size()));
}

// ---------------------------------------------------------------------------------------
// Gray, thresholds, binarization
// ---------------------------------------------------------------------------------------

/// scipix_gray.
inline void gray(const ScipixImage &src, const ScipixImageMut &dst) { check(scipix_gray(&src, &dst)); }
/// scipix_gray_f32.
inline void gray_f32(const ScipixImage &src, float *dst, size_t dst_stride_elems, ScipixGrayScale scale) {
  check(scipix_gray_f32(&src, dst, dst_stride_elems, scale));
}
/// scipix_threshold.
inline void threshold(const ScipixImage &src, const ScipixImageMut &dst, double thresh, double maxval,
                      ScipixThresholdType type) {
  check(scipix_threshold(&src, &dst, thresh, maxval, type));
}
/// scipix_threshold_inplace.
inline void threshold_inplace(const ScipixImageMut &img, double thresh, double maxval, ScipixThresholdType type) {
  check(scipix_threshold_inplace(&img, thresh, maxval, type));
}
/// scipix_threshold_f32.
inline void threshold_f32(const float *src, size_t src_stride_elems, float *dst, size_t dst_stride_elems,
                          size_t width, size_t height, double thresh, double maxval, ScipixThresholdType type) {
  check(scipix_threshold_f32(src, src_stride_elems, dst, dst_stride_elems, width, height, thresh, maxval, type));
}
/// scipix_otsu_threshold: returns the threshold.
inline uint8_t otsu_threshold(const ScipixImage &src) {
  uint8_t t = 0;
  check(scipix_otsu_threshold(&src, &t));
  return t;
}
/// scipix_threshold_otsu: returns the threshold used.
inline uint8_t threshold_otsu(const ScipixImage &src, const ScipixImageMut &dst, double maxval,
                              ScipixThresholdType type) {
  uint8_t t = 0;
  check(scipix_threshold_otsu(&src, &dst, maxval, type, &t));
  return t;
}
/// scipix_binarize_otsu: gray_dst NULL to skip; returns the threshold used.
inline uint8_t binarize_otsu(const ScipixImage &src, const ScipixImageMut &dst, const ScipixImageMut *gray_dst,
                             double maxval, ScipixThresholdType type) {
  uint8_t t = 0;
  check(scipix_binarize_otsu(&src, &dst, gray_dst, maxval, type, &t));
  return t;
}
/// scipix_adaptive_threshold_mean.
inline void adaptive_threshold_mean(const ScipixImage &src, const ScipixImageMut &dst, double maxval,
                                    ScipixThresholdType type, size_t block_size, double c) {
  check(scipix_adaptive_threshold_mean(&src, &dst, maxval, type, block_size, c));
}

// ---------------------------------------------------------------------------------------
// Tensors and normalization
// ---------------------------------------------------------------------------------------

/// A mean and a standard deviation (scipix_normalize_f32).
struct MeanStd {
  float mean;
  float std;
};
/// A mean and a variance (scipix_tensor_stats_f32).
struct Stats {
  double mean;
  double var;
};

/// scipix_tensor_params_default: the identity rule.
inline ScipixTensorParams tensor_params_default() {
  ScipixTensorParams p{};
  check(scipix_tensor_params_default(&p));
  return p;
}
/// scipix_image_tensor_len: floats the tensor of `src` needs.
inline size_t image_tensor_len(const ScipixImage &src) {
  size_t n = 0;
  check(scipix_image_tensor_len(&src, &n));
  return n;
}
/// scipix_image_to_tensor.
inline void image_to_tensor(const ScipixImage &src, const ScipixTensorParams &params, Span<float> out) {
  check(scipix_image_to_tensor(&src, &params, out.data(), out.size()));
}
/// scipix_images_to_tensor.
inline void images_to_tensor(Span<const ScipixImage> srcs, const ScipixTensorParams &params, Span<float> out) {
  check(scipix_images_to_tensor(srcs.data(), srcs.size(), &params, out.data(), out.size()));
}
/// scipix_normalize_f32: dst as long as src (may be src itself); returns mean and std.
inline MeanStd normalize_f32(Span<const float> src, Span<float> dst, float eps) {
  detail::require(dst.size() >= src.size(), "dst is shorter than src");
  MeanStd m{0.0f, 0.0f};
  check(scipix_normalize_f32(src.data(), dst.data(), src.size(), eps, &m.mean, &m.std));
  return m;
}
/// scipix_tensor_stats_f32.
inline Stats tensor_stats_f32(Span<const float> src) {
  Stats s{0.0, 0.0};
  check(scipix_tensor_stats_f32(src.data(), src.size(), &s.mean, &s.var));
  return s;
}
/// scipix_normalize_channels_f32: mean and std hold `channels` values.
inline void normalize_channels_f32(Span<const float> src, Span<float> dst, size_t channels,
                                   ScipixTensorLayout layout, Span<const float> mean, Span<const float> std) {
  detail::require(dst.size() >= src.size(), "dst is shorter than src");
  detail::require(mean.size() == channels && std.size() == channels, "mean and std need one value per channel");
  check(scipix_normalize_channels_f32(src.data(), dst.data(), src.size(), channels, layout, mean.data(),
                                      std.data()));
}

// ---------------------------------------------------------------------------------------
// YUV frames
// ---------------------------------------------------------------------------------------

/// scipix_yuv_to_image.
inline void yuv_to_image(const ScipixYuvFrame &frame, const ScipixImageMut &dst) {
  check(scipix_yuv_to_image(&frame, &dst));
}
/// scipix_yuv_letterbox_to_tensor: returns the geometry.
inline ScipixLetterboxInfo yuv_letterbox_to_tensor(const ScipixYuvFrame &frame, const ScipixLetterboxParams &params,
                                                   ScipixTensorLayout layout, Span<float> out,
                                                   size_t batch_index = 0) {
  ScipixLetterboxInfo info{};
  check(scipix_yuv_letterbox_to_tensor(&frame, &params, layout, out.data(), out.size(), batch_index, &info));
  return info;
}
/// scipix_yuv_classify_to_tensor.
inline void yuv_classify_to_tensor(const ScipixYuvFrame &frame, const ScipixClassifyParams &params,
                                   Span<const float> mean, Span<const float> std, Span<float> out,
                                   size_t batch_index = 0) {
  check(scipix_yuv_classify_to_tensor(&frame, &params, mean.data(), mean.size(), std.data(), std.size(),
                                      out.data(), out.size(), batch_index));
}

}  // namespace scipix

#endif  // SCIPIX_HPP
