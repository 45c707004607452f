//! The registry's statistics, pure: quantiles (Hyndman–Fan type 7, R's and NumPy's default),
//! the Wilson score interval and the minimal-important-change rules of
//! `shared/reference/outcomes.md` (Ostelo 2008: pain NRS 2 points, ODI 10 points, or 30 % of the
//! baseline for either; undefined percentage when the baseline is 0).

/// The z of a two-sided 95 % interval.
pub const Z_95: f64 = 1.96;

/// The quantile method every summary names (`quantile_method`).
pub const QUANTILE_METHOD: &str = "hyndman_fan_7";

/// Quantile `p` of ascending `sorted` values, type 7: `h = (n − 1)·p + 1`, `j = ⌊h⌋`,
/// `Q = x_j + (h − j)(x_{j+1} − x_j)` (1-based; `x_n` when `j = n`). None when empty.
pub fn quantile_type7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (n as f64 - 1.0) * p + 1.0;
    let j = h.floor() as usize;
    let g = h - j as f64;
    let x_j = sorted[j - 1];
    Some(match sorted.get(j) {
        Some(x_next) => x_j + g * (x_next - x_j),
        None => x_j,
    })
}

/// Median and quartiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartiles {
    pub n: usize,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
}

/// Q1, median and Q3 (type 7) of `values`; None when empty.
pub fn quartiles(values: &[f64]) -> Option<Quartiles> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Quartiles {
        n: sorted.len(),
        q1: quantile_type7(&sorted, 0.25)?,
        median: quantile_type7(&sorted, 0.5)?,
        q3: quantile_type7(&sorted, 0.75)?,
    })
}

/// Wilson score interval (Wilson 1927) for `k` of `n`; None when `n == 0` or `k > n`.
pub fn wilson(k: u32, n: u32, z: f64) -> Option<(f64, f64)> {
    if n == 0 || k > n {
        return None;
    }
    let (k, n) = (f64::from(k), f64::from(n));
    let p = k / n;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let m = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    Some(((c - m).max(0.0), (c + m).min(1.0)))
}

/// The measures the registry summarises and their minimal important change in points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Back pain, NRS 0–10.
    BackPain,
    /// Leg pain, NRS 0–10.
    LegPain,
    /// Oswestry Disability Index score, 0–100.
    Odi,
}

impl Measure {
    /// Minimal important change in points (Ostelo 2008): NRS 2, ODI 10.
    pub fn mic_points(self) -> f64 {
        match self {
            Self::BackPain | Self::LegPain => 2.0,
            Self::Odi => 10.0,
        }
    }
}

/// The percentage improvement that also counts as important (Ostelo 2008: 30 % of baseline).
pub const MIC_PERCENT: f64 = 30.0;

/// Improvement from baseline (`baseline − follow_up`: positive means less pain or disability).
pub fn improvement(baseline: f64, follow_up: f64) -> f64 {
    baseline - follow_up
}

/// Whether a change reaches the minimal important change: `improvement ≥ points` or
/// `improvement / baseline ≥ 30 %` (the percentage is undefined when the baseline is 0).
pub fn reaches_mic(measure: Measure, baseline: f64, follow_up: f64) -> bool {
    let change = improvement(baseline, follow_up);
    let by_points = change >= measure.mic_points();
    let by_percent = baseline > 0.0 && change / baseline * 100.0 >= MIC_PERCENT;
    by_points || by_percent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.0005
    }

    #[test]
    fn type7_matches_the_reference_example() {
        // outcomes.md §5.2: [2, 3, 3, 5, 6, 7, 8] → Q1 = 3, median = 5, Q3 = 6.5.
        let q = quartiles(&[8.0, 3.0, 2.0, 5.0, 3.0, 7.0, 6.0]).unwrap();
        assert_eq!((q.n, q.q1, q.median, q.q3), (7, 3.0, 5.0, 6.5));
        assert_eq!(quartiles(&[4.0]).unwrap().q3, 4.0);
        assert!(quartiles(&[]).is_none());
    }

    #[test]
    fn wilson_matches_the_reference_values() {
        // outcomes.md §5.1 worked values.
        for (k, n, lo, hi) in [
            (7, 9, 0.453, 0.937),
            (12, 20, 0.387, 0.781),
            (1, 11, 0.016, 0.377),
            (0, 10, 0.000, 0.278),
        ] {
            let (l, h) = wilson(k, n, Z_95).unwrap();
            assert!(close(l, lo) && close(h, hi), "{k}/{n}: {l} {h}");
        }
        assert!(wilson(0, 0, Z_95).is_none());
        assert!(wilson(3, 2, Z_95).is_none());
    }

    #[test]
    fn mic_by_points_or_thirty_percent() {
        assert!(reaches_mic(Measure::BackPain, 8.0, 6.0), "2 points");
        assert!(!reaches_mic(Measure::BackPain, 8.0, 7.0), "1 point, 12.5 %");
        assert!(reaches_mic(Measure::LegPain, 3.0, 2.0), "1 point but 33 %");
        assert!(
            !reaches_mic(Measure::LegPain, 0.0, 0.0),
            "no baseline pain: no percentage"
        );
        assert!(reaches_mic(Measure::Odi, 40.0, 30.0), "10 points");
        assert!(reaches_mic(Measure::Odi, 20.0, 14.0), "6 points but 30 %");
        assert!(!reaches_mic(Measure::Odi, 50.0, 41.0), "9 points, 18 %");
    }
}
