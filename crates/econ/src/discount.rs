//! Time: discounting and QALYs.
//!
//! Costs and effects are discounted by whole years since each person's index day (their first
//! event, or the start of their pathway): year `t = floor(days / 365.25)`, factor `1/(1+r)^t`,
//! so the first year is not discounted (the NICE reference case, 3.5% a year).

/// Days in a year, on average.
pub const YEAR_DAYS: f64 = 365.25;

/// Whole years since the index day (`days` ≥ 0): `floor(days / 365.25)`, in integers.
pub fn year_index(days: i32) -> u32 {
    if days <= 0 {
        0
    } else {
        ((i64::from(days) * 4) / 1461) as u32
    }
}

/// Discount factors for years 0..n: `1/(1+r)^t`.
pub fn factors(rate: f64, years: usize) -> Vec<f64> {
    (0..years).map(|t| (1.0 + rate).powi(-(t as i32))).collect()
}

/// The horizon in days (exclusive end), for a horizon in years.
pub fn horizon_days(years: f64) -> i32 {
    (years * YEAR_DAYS).round().clamp(0.0, f64::from(i32::MAX)) as i32
}

/// QALYs over `[0, horizon)` days from the index, from utility measurements `(day since index,
/// utility)` sorted by day: linear between measurements, the first value carried back to the
/// index and the last carried forward to the horizon. Returns `(undiscounted, discounted)`, or
/// `None` when there are no measurements.
pub fn qalys(points: &[(f64, f64)], horizon: f64, rate: f64) -> Option<(f64, f64)> {
    let first = points.first()?;
    let last = points.last()?;
    if horizon <= 0.0 {
        return Some((0.0, 0.0));
    }
    // The utility curve as knots over [0, horizon].
    let mut knots: Vec<(f64, f64)> = Vec::with_capacity(points.len() + 2);
    knots.push((0.0, first.1));
    for &(d, u) in points {
        if d > 0.0 && d < horizon {
            knots.push((d, u));
        }
    }
    knots.push((horizon, last.1));
    // Values at 0 and horizon interpolate when measurements lie on both sides.
    let at = |x: f64| -> f64 {
        let mut prev = *first;
        if x <= prev.0 {
            return prev.1;
        }
        for &p in points {
            if p.0 >= x {
                if p.0 == prev.0 {
                    return p.1;
                }
                return prev.1 + (p.1 - prev.1) * (x - prev.0) / (p.0 - prev.0);
            }
            prev = p;
        }
        last.1
    };
    if let Some(k) = knots.first_mut() {
        k.1 = at(0.0);
    }
    if let Some(k) = knots.last_mut() {
        k.1 = at(horizon);
    }
    let mut plain = 0.0;
    let mut discounted = 0.0;
    for pair in knots.windows(2) {
        let [(a, ua), (b, ub)] = [pair.first().copied(), pair.get(1).copied()].map(|p| p.unwrap_or((0.0, 0.0)));
        if b <= a {
            continue;
        }
        // Split the segment at year boundaries so each piece is discounted by its own year.
        let mut x = a;
        while x < b {
            let year = (x / YEAR_DAYS).floor();
            let end = ((year + 1.0) * YEAR_DAYS).min(b);
            let ux = ua + (ub - ua) * (x - a) / (b - a);
            let ue = ua + (ub - ua) * (end - a) / (b - a);
            let area = (end - x) * (ux + ue) / 2.0 / YEAR_DAYS;
            plain += area;
            discounted += area * (1.0 + rate).powf(-year);
            x = end;
        }
    }
    Some((plain, discounted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_whole_years_of_365_25_days() {
        assert_eq!(year_index(0), 0);
        assert_eq!(year_index(365), 0);
        assert_eq!(year_index(366), 1);
        assert_eq!(year_index(730), 1);
        assert_eq!(year_index(731), 2);
        assert_eq!(year_index(1461), 4);
        assert_eq!(year_index(-5), 0);
        let f = factors(0.035, 3);
        assert_eq!(f[0], 1.0);
        assert!((f[2] - 1.0 / 1.035f64.powi(2)).abs() < 1e-15);
    }

    #[test]
    fn qalys_by_hand() {
        // A constant utility of 0.8 for two years: 1.6 QALYs, the second year discounted.
        let (plain, disc) = qalys(&[(100.0, 0.8)], 2.0 * YEAR_DAYS, 0.035).unwrap();
        assert!((plain - 1.6).abs() < 1e-12);
        assert!((disc - (0.8 + 0.8 / 1.035)).abs() < 1e-12);
        // From 0.5 at the index to 1.0 a year later, then flat for a year: 0.75 + 1.0.
        let (plain, disc) = qalys(&[(0.0, 0.5), (YEAR_DAYS, 1.0)], 2.0 * YEAR_DAYS, 0.0).unwrap();
        assert!((plain - 1.75).abs() < 1e-12);
        assert!((disc - 1.75).abs() < 1e-12);
        // Measurements beyond the horizon are interpolated to its end.
        let (plain, _) = qalys(&[(0.0, 0.0), (2.0 * YEAR_DAYS, 1.0)], YEAR_DAYS, 0.0).unwrap();
        assert!((plain - 0.25).abs() < 1e-12);
        assert_eq!(qalys(&[], 10.0, 0.0), None);
        assert_eq!(qalys(&[(0.0, 0.7)], 0.0, 0.0), Some((0.0, 0.0)));
    }
}
