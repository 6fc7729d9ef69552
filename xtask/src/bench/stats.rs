//! Statistics of the samples: medians, percentiles, spread.

use serde_json::Value;

use crate::Error;

pub(super) fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// Linear-interpolated percentile (`q` in 0..=1); NaN for no values.
pub(super) fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Spread of per-round medians relative to their median: (max - min) / median.
pub(super) fn spread(round_medians: &[f64]) -> f64 {
    let lo = round_medians.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = round_medians
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    (hi - lo) / median(round_medians)
}

pub(super) fn nanos(v: &Value, key: &str) -> Result<Vec<f64>, Error> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .ok_or_else(|| Error::Failed(format!("driver output without `{key}`: {v}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.0), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 1.0), 5.0);
        assert!(median(&[]).is_nan());
        assert!((spread(&[9.0, 10.0, 11.0]) - 0.2).abs() < 1e-12);
    }
}
