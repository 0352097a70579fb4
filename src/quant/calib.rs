//! Calibration: observe batches of f32 data (streaming; no data is kept), then derive a
//! clipping range and quantization parameters per tensor or per channel.
//!
//! ```
//! use scipix::quant::{CalibConfig, CalibMethod, Calibrator, QDtype, QMode};
//!
//! let mut c = Calibrator::new(CalibConfig::new(CalibMethod::MinMax, QDtype::U8, QMode::Asymmetric))?;
//! c.observe(&[-1.0, 0.5], &[2])?;
//! c.observe(&[3.0], &[1])?;
//! assert_eq!(c.ranges()?, [(-1.0, 3.0)]);
//! let p = c.compute()?[0];
//! assert_eq!(p.scale, 4.0 / 255.0);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! - `MinMax`: the running min and max (NaN skipped), as ONNX Runtime's `MinMaxCalibrater`
//!   without moving average; symmetric mode uses `[-absmax, absmax]`.
//! - `Percentile`: ONNX Runtime's `HistogramCalibrater(method="percentile")`, replicated
//!   step by step (2048 bins, f32 bin edges as numpy computes them, the same merge rule
//!   when later batches widen the range). Symmetric mode histograms `|x|` over
//!   `[min|x|, max|x|]` of the first batch and keeps the smallest edge whose cumulative
//!   share reaches `percentile` (clipping both tails at once); asymmetric mode histograms
//!   `x` over `[-T, T]` (T = max |x|) and cuts `(100 - percentile) / 2` percent from each
//!   tail. The thresholds are clamped to the observed min and max.
//! - `Mse`: the same signed histogram as asymmetric `Percentile`; candidate clipping
//!   ranges `[max(min, e[c-k]), min(max, e[c+k])]` (edges around the centre `c`,
//!   k = 1..=bins/2); for each, the parameters are computed and the histogram's bin centres
//!   quantized and dequantized with the exact kernels; the range with the least
//!   count-weighted squared error wins (first one on ties).
//! - `Entropy`: ONNX Runtime's entropy (KL) method on the same signed histogram, with 128
//!   quantized bins (ORT's `get_entropy_threshold` with `num_bins=2048`).
//!
//! NaN inputs are skipped by every method; infinite inputs make `MinMax` fail at
//! `compute` and are skipped by the histogram methods.

use super::linear::axis_layout;
use super::params::{params_from_range, QDtype, QMode, QParams};
use super::quantize::scalar::{bounds, quantize_one};
use crate::error::{try_filled_vec, Error, Result};

/// Number of histogram bins, as ONNX Runtime's percentile calibrator.
pub const HIST_BINS: usize = 2048;
/// Target levels of the entropy method, as ONNX Runtime's `num_quantized_bins`.
pub const QUANTIZED_BINS: usize = 128;
/// Default percentile, as ONNX Runtime.
pub const DEFAULT_PERCENTILE: f64 = 99.999;

/// How a calibrator turns observations into a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalibMethod {
    /// Observed min and max.
    MinMax,
    /// Histogram percentile (ONNX Runtime's percentile calibrator).
    Percentile,
    /// Histogram search for the clipping range with the least squared error.
    Mse,
    /// Histogram search for the range whose 128-level quantized distribution has the least
    /// KL divergence from the clipped one (ONNX Runtime's / TensorRT's entropy method).
    Entropy,
}

/// Calibrator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibConfig {
    /// The method.
    pub method: CalibMethod,
    /// Percentile in (0, 100] for `Percentile` (ignored otherwise).
    pub percentile: f64,
    /// Target dtype of the parameters.
    pub dtype: QDtype,
    /// Symmetric or asymmetric ranges and parameters.
    pub mode: QMode,
    /// 7-bit reduced range.
    pub reduce_range: bool,
    /// `Some(axis)`: one range per index along `axis`; `None`: one per tensor.
    pub axis: Option<usize>,
}

impl CalibConfig {
    /// Settings with ONNX Runtime's defaults (percentile 99.999, no reduce-range).
    pub fn new(method: CalibMethod, dtype: QDtype, mode: QMode) -> Self {
        CalibConfig {
            method,
            percentile: DEFAULT_PERCENTILE,
            dtype,
            mode,
            reduce_range: false,
            axis: None,
        }
    }
}

/// A histogram whose edges are f32, as numpy builds them.
#[derive(Debug, Clone)]
pub(crate) struct Hist {
    pub(crate) counts: Vec<u64>,
    pub(crate) edges: Vec<f32>,
    /// `Some((first, last))` while the edges are numpy's equal-width ones.
    uniform: Option<(f32, f32)>,
}

/// numpy `linspace(first, last, n + 1)` in f32, as `np.histogram` makes its edges.
fn linspace_edges(first: f32, last: f32, n: usize) -> Vec<f32> {
    let delta = last - first;
    let step = delta / n as f32;
    let mut e: Vec<f32> = if step == 0.0 {
        (0..=n)
            .map(|i| (i as f32 / n as f32) * delta + first)
            .collect()
    } else {
        (0..=n).map(|i| i as f32 * step + first).collect()
    };
    e[n] = last;
    e
}

impl Hist {
    /// `np.histogram(values, n, range=(first, last))` (first == last widened by 0.5).
    fn uniform(mut first: f32, mut last: f32, n: usize) -> Self {
        if first == last {
            first -= 0.5;
            last += 0.5;
        }
        Hist {
            counts: vec![0; n],
            edges: linspace_edges(first, last, n),
            uniform: Some((first, last)),
        }
    }

    /// Adds `v` as `np.histogram` would: values outside the edges (and NaN) are dropped,
    /// the last bin includes its right edge.
    fn add(&mut self, v: f32) {
        let n = self.counts.len();
        match self.uniform {
            Some((first, last)) => {
                if !(v >= first && v <= last) {
                    return;
                }
                let f = ((v - first) / (last - first)) * n as f32;
                let mut i = (f as usize).min(n);
                if i == n {
                    i -= 1;
                }
                if v < self.edges[i] {
                    i -= 1;
                }
                if v >= self.edges[i + 1] && i != n - 1 {
                    i += 1;
                }
                self.counts[i] += 1;
            }
            None => {
                let (first, last) = (self.edges[0], self.edges[n]);
                if !(v >= first && v <= last) {
                    return;
                }
                // Bin i holds e[i] <= v < e[i+1]; the last bin also holds v == e[n].
                let i = self
                    .edges
                    .partition_point(|&e| e <= v)
                    .saturating_sub(1)
                    .min(n - 1);
                self.counts[i] += 1;
            }
        }
    }
}

/// numpy `np.arange(start, stop, step)` for f32 scalars.
fn arange_f32(start: f32, stop: f32, step: f32) -> Vec<f32> {
    let len = ((stop - start) / step) as f64;
    let len = len.ceil().max(0.0) as usize;
    if len == 0 {
        return Vec::new();
    }
    let mut v = vec![start; len];
    if len > 1 {
        v[1] = start + step;
        let delta = v[1] - v[0];
        for (i, e) in v.iter_mut().enumerate().skip(2) {
            *e = start + i as f32 * delta;
        }
    }
    v
}

/// Per-channel statistics of one batch.
#[derive(Clone, Copy)]
struct BatchStats {
    min: f32,
    max: f32,
    min_abs: f32,
    max_abs: f32,
}

impl BatchStats {
    const EMPTY: BatchStats = BatchStats {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        min_abs: f32::INFINITY,
        max_abs: f32::NEG_INFINITY,
    };
    fn add(&mut self, v: f32) {
        if v < self.min {
            self.min = v;
        }
        if v > self.max {
            self.max = v;
        }
        let a = v.abs();
        if a < self.min_abs {
            self.min_abs = a;
        }
        if a > self.max_abs {
            self.max_abs = a;
        }
    }
    fn seen(&self) -> bool {
        self.min <= self.max
    }
}

/// One channel's accumulated state.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub(crate) min: f32,
    pub(crate) max: f32,
    /// Histogram and, for the signed histogram, its threshold T.
    pub(crate) hist: Option<(Hist, f32)>,
}

/// A streaming calibrator (see the module documentation for the methods).
#[derive(Debug, Clone)]
pub struct Calibrator {
    cfg: CalibConfig,
    pub(crate) channels: Vec<Channel>,
    batches: usize,
}

/// Calls `f(channel, run)` for each contiguous run of `x` laid out as
/// `(outer, channels, inner)`.
fn visit(x: &[f32], ch: usize, inner: usize, mut f: impl FnMut(usize, &[f32])) {
    if inner == 0 {
        return;
    }
    for (r, run) in x.chunks(inner).enumerate() {
        f(r % ch, run);
    }
}

impl Calibrator {
    /// A new calibrator. Errors: percentile outside (0, 100] for `Percentile`.
    pub fn new(cfg: CalibConfig) -> Result<Self> {
        if cfg.method == CalibMethod::Percentile
            && !(cfg.percentile > 0.0 && cfg.percentile <= 100.0)
        {
            return Err(Error::invalid(format!(
                "percentile {} must be in (0, 100]",
                cfg.percentile
            )));
        }
        Ok(Calibrator {
            cfg,
            channels: Vec::new(),
            batches: 0,
        })
    }

    /// The settings.
    pub fn config(&self) -> &CalibConfig {
        &self.cfg
    }

    /// Number of ranges it yields: 1 per tensor, or the channel count fixed by the first
    /// observed batch (0 before any batch when per-channel).
    pub fn channels(&self) -> usize {
        match self.cfg.axis {
            None => 1,
            Some(_) => self.channels.len(),
        }
    }

    /// Batches observed so far.
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// Folds one batch (row-major, `shape`) into the statistics. Per-channel calibrators
    /// need `axis < rank` and the same `shape[axis]` in every batch; per-tensor ones only
    /// need `x.len()` to match the shape. Nothing changes on error.
    pub fn observe(&mut self, x: &[f32], shape: &[usize]) -> Result<()> {
        let total = crate::error::checked_product(shape, "batch shape")?;
        if x.len() != total {
            return Err(Error::invalid(format!(
                "batch has {} elements, shape {shape:?} needs {total}",
                x.len()
            )));
        }
        let (ch, inner) = match self.cfg.axis {
            None => (1, total.max(1)),
            Some(axis) => {
                let (_, ch, inner, _) = axis_layout(shape, axis)?;
                if self.batches > 0 && ch != self.channels.len() {
                    return Err(Error::invalid(format!(
                        "batch has {ch} channels along axis {axis}, earlier batches had {}",
                        self.channels.len()
                    )));
                }
                (ch, inner)
            }
        };
        if self.batches == 0 {
            self.channels = try_filled_vec(
                Channel {
                    min: f32::INFINITY,
                    max: f32::NEG_INFINITY,
                    hist: None,
                },
                ch,
                "calibration channels",
            )?;
        }
        // Pass 1: this batch's statistics per channel.
        let mut stats = try_filled_vec(BatchStats::EMPTY, ch, "calibration channels")?;
        visit(x, ch, inner, |c, run| {
            for &v in run {
                stats[c].add(v);
            }
        });
        for (chan, s) in self.channels.iter_mut().zip(&stats) {
            if s.min < chan.min {
                chan.min = s.min;
            }
            if s.max > chan.max {
                chan.max = s.max;
            }
        }
        if self.cfg.method != CalibMethod::MinMax {
            let abs =
                self.cfg.method == CalibMethod::Percentile && self.cfg.mode == QMode::Symmetric;
            // Pass 2: histograms (new edges first, then this batch's values, then the old
            // counts, as ONNX Runtime merges).
            let mut fresh: Vec<Option<Hist>> = Vec::with_capacity(ch);
            let mut offsets = Vec::with_capacity(ch);
            for (chan, s) in self.channels.iter_mut().zip(&stats) {
                let (h, off) = if abs {
                    next_abs_hist(chan, s)
                } else {
                    next_signed_hist(chan, s)
                };
                fresh.push(h);
                offsets.push(off);
            }
            visit(x, ch, inner, |c, run| {
                if let Some(h) = fresh[c].as_mut() {
                    for &v in run {
                        if v.is_finite() {
                            h.add(if abs { v.abs() } else { v });
                        }
                    }
                }
            });
            for ((chan, h), (off, t)) in self.channels.iter_mut().zip(fresh).zip(offsets) {
                let Some(mut h) = h else { continue };
                if let Some((old, _)) = chan.hist.take() {
                    for (dst, src) in h.counts[off..].iter_mut().zip(&old.counts) {
                        *dst += src;
                    }
                }
                chan.hist = Some((h, t));
            }
        }
        self.batches += 1;
        Ok(())
    }

    /// The clipping range `(rmin, rmax)` per channel (one entry per tensor when not
    /// per-channel). A channel that saw no finite value gives `(0, 0)`.
    /// Errors: no batch observed; `MinMax` with infinite data.
    pub fn ranges(&self) -> Result<Vec<(f32, f32)>> {
        if self.batches == 0 {
            return Err(Error::new(
                crate::error::ErrorKind::InvalidState,
                "no batch observed yet: call observe first",
            ));
        }
        self.channels
            .iter()
            .enumerate()
            .map(|(c, chan)| {
                self.channel_range(chan)
                    .map_err(|e| Error::invalid(format!("channel {c}: {}", e.message())))
            })
            .collect()
    }

    fn channel_range(&self, chan: &Channel) -> Result<(f32, f32)> {
        if chan.min > chan.max {
            return Ok((0.0, 0.0));
        }
        match self.cfg.method {
            CalibMethod::MinMax => {
                if !chan.min.is_finite() || !chan.max.is_finite() {
                    return Err(Error::invalid(format!(
                        "observed range [{}, {}] is not finite",
                        chan.min, chan.max
                    )));
                }
                Ok((chan.min, chan.max))
            }
            CalibMethod::Percentile => {
                let Some((h, _)) = &chan.hist else {
                    return Ok((0.0, 0.0));
                };
                Ok(percentile_range(
                    h,
                    self.cfg.percentile,
                    self.cfg.mode == QMode::Symmetric,
                    chan.min,
                    chan.max,
                ))
            }
            CalibMethod::Mse => {
                let Some((h, _)) = &chan.hist else {
                    return Ok((0.0, 0.0));
                };
                mse_range(h, chan.min, chan.max, &self.cfg)
            }
            CalibMethod::Entropy => {
                let Some((h, _)) = &chan.hist else {
                    return Ok((0.0, 0.0));
                };
                Ok(entropy_range(h, QUANTIZED_BINS, chan.min, chan.max))
            }
        }
    }

    /// Quantization parameters per channel from [`Calibrator::ranges`], by the rules of
    /// [`params_from_range`] with the configured dtype, mode and reduce-range.
    pub fn compute(&self) -> Result<Vec<QParams>> {
        self.ranges()?
            .into_iter()
            .map(|(lo, hi)| {
                params_from_range(lo, hi, self.cfg.dtype, self.cfg.mode, self.cfg.reduce_range)
            })
            .collect()
    }
}

/// ONNX Runtime `collect_absolute_value`: the histogram of |x| for this batch and the bin
/// offset at which the old counts are added (always 0).
fn next_abs_hist(chan: &Channel, s: &BatchStats) -> (Option<Hist>, (usize, f32)) {
    let finite = s.max_abs.is_finite() && s.min_abs.is_finite();
    match &chan.hist {
        None => {
            if !s.seen() || !finite {
                return (None, (0, 0.0));
            }
            (
                Some(Hist::uniform(s.min_abs, s.max_abs, HIST_BINS)),
                (0, 0.0),
            )
        }
        Some((old, _)) => {
            let mut edges = old.edges.clone();
            if s.seen() && s.max_abs.is_finite() && s.max_abs > edges[edges.len() - 1] {
                let width = edges[1] - edges[0];
                let last = edges[edges.len() - 1];
                edges.extend(arange_f32(last + width, s.max_abs + width, width));
            }
            let h = Hist {
                counts: vec![0; edges.len() - 1],
                edges,
                uniform: None,
            };
            (Some(h), (0, 0.0))
        }
    }
}

/// ONNX Runtime `collect_value` / `merge_histogram`: the signed histogram over [-T, T] for
/// this batch, and the bin offset at which the old counts are added.
fn next_signed_hist(chan: &Channel, s: &BatchStats) -> (Option<Hist>, (usize, f32)) {
    let t_new = if s.seen() {
        s.min.abs().max(s.max.abs())
    } else {
        0.0
    };
    if !t_new.is_finite() {
        // Infinite data: keep the old histogram, add nothing.
        return match &chan.hist {
            None => (None, (0, 0.0)),
            Some((old, t)) => (
                Some(Hist {
                    counts: vec![0; old.counts.len()],
                    ..old.clone()
                }),
                (0, *t),
            ),
        };
    }
    match &chan.hist {
        None => {
            if !s.seen() {
                return (None, (0, 0.0));
            }
            (Some(Hist::uniform(-t_new, t_new, HIST_BINS)), (0, t_new))
        }
        Some((old, t_old)) => {
            let t_old = *t_old;
            let bins = old.counts.len();
            if t_new <= t_old {
                (Some(Hist::uniform(-t_old, t_old, bins)), (0, t_old))
            } else if t_old == 0.0 {
                (Some(Hist::uniform(-t_new, t_new, bins)), (0, t_new))
            } else {
                let stride = 2.0 * t_old / bins as f32;
                let half = (((t_new - t_old) / stride).floor() + 1.0) as usize;
                let new_bins = bins + 2 * half;
                let t = half as f32 * stride + t_old;
                (Some(Hist::uniform(-t, t, new_bins)), (half, t))
            }
        }
    }
}

/// numpy `searchsorted(cdf, v)` (left): the first index with `cdf[i] >= v`.
fn searchsorted(cdf: &[f64], v: f64) -> usize {
    cdf.partition_point(|&c| c < v)
}

/// ONNX Runtime `compute_percentile`.
fn percentile_range(h: &Hist, percentile: f64, symmetric: bool, min: f32, max: f32) -> (f32, f32) {
    let total: u64 = h.counts.iter().sum();
    if total == 0 {
        return (0.0, 0.0);
    }
    let mut acc = 0.0f64;
    let cdf: Vec<f64> = h
        .counts
        .iter()
        .map(|&c| {
            acc += c as f64 / total as f64;
            acc
        })
        .collect();
    let (mut lo, mut hi) = if symmetric {
        let e = h.edges[searchsorted(&cdf, percentile / 100.0)];
        (-e, e)
    } else {
        let cut = (100.0 - percentile) / 200.0;
        let r = searchsorted(&cdf, 1.0 - cut);
        let l = searchsorted(&cdf, cut);
        (h.edges[l], h.edges[r])
    };
    if lo < min {
        lo = min;
    }
    if hi > max {
        hi = max;
    }
    (lo, hi)
}

/// Squared quantization error of the histogram (bin centres weighted by counts) for `p`.
pub(crate) fn hist_error(counts: &[u64], edges: &[f32], p: QParams, dtype: QDtype) -> f64 {
    let (lo, hi) = bounds(dtype, p.zero_point);
    let signed = dtype == QDtype::I8;
    counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(i, &c)| {
            let m = (edges[i] + edges[i + 1]) * 0.5;
            let q = quantize_one(m, p.scale, lo, hi, p.zero_point);
            let d = super::dequantize::scalar::dequantize_one(q, signed, p.scale, p.zero_point);
            let e = (m - d) as f64;
            c as f64 * e * e
        })
        .sum()
}

/// The MSE search over symmetric windows of the signed histogram.
fn mse_range(h: &Hist, min: f32, max: f32, cfg: &CalibConfig) -> Result<(f32, f32)> {
    let n = h.counts.len();
    let c = n / 2;
    let mut best: Option<(f64, (f32, f32))> = None;
    for k in 1..=c {
        // Both clamped into [min, max], so lo <= hi.
        let lo = h.edges[c - k].max(min).min(max);
        let hi = h.edges[c + k].min(max).max(min);
        let p = params_from_range(lo, hi, cfg.dtype, cfg.mode, cfg.reduce_range)?;
        let err = hist_error(&h.counts, &h.edges, p, cfg.dtype);
        if best.is_none_or_worse(err) {
            best = Some((err, (lo, hi)));
        }
    }
    Ok(best.map_or((min, max), |(_, r)| r))
}

trait Better {
    fn is_none_or_worse(&self, err: f64) -> bool;
}

impl Better for Option<(f64, (f32, f32))> {
    fn is_none_or_worse(&self, err: f64) -> bool {
        self.is_none_or(|(e, _)| err < e)
    }
}

/// ONNX Runtime's `smooth_distribution`: zeros become `eps`, the mass is taken evenly from
/// the non-zero bins (f32 as ORT). `None` when every bin is zero.
fn smooth(p: &[i64]) -> Option<Vec<f32>> {
    const EPS: f64 = 0.0001;
    let zeros = p.iter().filter(|&&v| v == 0).count();
    let nonzeros = p.len() - zeros;
    if nonzeros == 0 {
        return None;
    }
    let eps1 = EPS * zeros as f64 / nonzeros as f64;
    let (e0, e1) = (EPS as f32, -eps1 as f32);
    Some(
        p.iter()
            .map(|&v| if v == 0 { v as f32 + e0 } else { v as f32 + e1 })
            .collect(),
    )
}

/// `scipy.stats.entropy(p, q)`: both normalized, `sum p * ln(p / q)`.
fn kl(p: &[f32], q: &[f32]) -> f64 {
    let sp: f64 = p.iter().map(|&v| v as f64).sum();
    let sq: f64 = q.iter().map(|&v| v as f64).sum();
    p.iter()
        .zip(q)
        .map(|(&a, &b)| {
            let (a, b) = (a as f64 / sp, b as f64 / sq);
            if a > 0.0 && b > 0.0 {
                a * (a / b).ln()
            } else if a == 0.0 && b >= 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        })
        .sum()
}

/// ONNX Runtime's `get_entropy_threshold` on the signed histogram: for each window
/// `[c - i, c + i]` (i from half the target levels to the centre), fold the outliers into
/// the edge bins (p), merge the window into `levels` bins spread back over the non-zero
/// positions (q, integer division as ORT), smooth both, and keep the window with the least
/// KL divergence (first on ties, compared as f32 as ORT stores them); clamp to min/max.
fn entropy_range(h: &Hist, levels: usize, min: f32, max: f32) -> (f32, f32) {
    let n = h.counts.len();
    let zero = n / 2;
    let half = levels / 2;
    if half > zero {
        return (min, max);
    }
    let counts: Vec<i64> = h.counts.iter().map(|&c| c as i64).collect();
    let mut best: Option<(f32, (f32, f32))> = None;
    for i in half..=zero {
        let start = zero - i;
        let end = (zero + i + 1).min(n);
        let sliced = &counts[start..end];
        let mut p = sliced.to_vec();
        p[0] += counts[..start].iter().sum::<i64>();
        let last = p.len() - 1;
        p[last] += counts[end..].iter().sum::<i64>();
        let merged = sliced.len() / levels;
        let mut quant = vec![0i64; levels];
        for (k, qb) in quant.iter_mut().enumerate() {
            *qb = sliced[k * merged..k * merged + merged].iter().sum();
        }
        quant[levels - 1] += sliced[levels * merged..].iter().sum::<i64>();
        let mut q = vec![0i64; p.len()];
        for (k, &qb) in quant.iter().enumerate() {
            let r = k * merged..k * merged + merged;
            let norm = p[r.clone()].iter().filter(|&&v| v != 0).count();
            if norm != 0 {
                let v = (qb as f64 / norm as f64) as i64;
                q[r].iter_mut().for_each(|e| *e = v);
            }
        }
        let div = match (smooth(&p), smooth(&q)) {
            (Some(ps), Some(qs)) => kl(&ps, &qs) as f32,
            _ => f32::INFINITY,
        };
        let t = (h.edges[start], h.edges[end]);
        if best.is_none_or(|(d, _)| div < d) {
            best = Some((div, t));
        }
    }
    let (mut lo, mut hi) = best.map_or((min, max), |(_, t)| t);
    if lo < min {
        lo = min;
    }
    if hi > max {
        hi = max;
    }
    (lo, hi)
}
