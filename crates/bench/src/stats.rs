//! Percentiles.

/// A distribution in one unit (ms).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Summary {
    /// The summary of `samples` (nearest-rank percentiles).
    pub fn of(mut samples: Vec<f64>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
        Self { count: samples.len(), p50: at(0.50), p90: at(0.90), p99: at(0.99), max: samples[samples.len() - 1] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let s = Summary::of((1..=100).map(f64::from).collect());
        assert_eq!((s.p50, s.p90, s.p99, s.max, s.count), (50.0, 90.0, 99.0, 100.0, 100));
        assert_eq!(Summary::of(vec![]), Summary::default());
        assert_eq!(Summary::of(vec![7.0]).p99, 7.0);
    }
}
