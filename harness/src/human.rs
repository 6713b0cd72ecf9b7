//! Numbers for people: one place that decides how a byte count, a time, an
//! instruction count or a ratio is written, so every table, page and chart
//! agrees. Fixed precision keeps re-rendered reports byte-identical.

use crate::experiment::Metric;

/// 65536 → "64 KiB".
pub fn bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if (v - v.round()).abs() < 0.05 {
        format!("{:.0} {}", v, units[i])
    } else {
        format!("{:.1} {}", v, units[i])
    }
}

/// Seconds with a unit that keeps three or four significant digits: "12.3 ms".
pub fn seconds(v: f64) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if v >= 1.0 {
        format!("{v:.3} s")
    } else if v >= 1e-3 {
        format!("{:.3} ms", v * 1e3)
    } else {
        format!("{:.2} µs", v * 1e6)
    }
}

/// A count with an SI prefix: 90_417_000 → "90.4 M".
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let (d, p) = match v.abs() {
        a if a >= 1e9 => (1e9, " G"),
        a if a >= 1e6 => (1e6, " M"),
        a if a >= 1e3 => (1e3, " k"),
        _ => (1.0, ""),
    };
    let x = v / d;
    if x.abs() >= 100.0 {
        format!("{x:.0}{p}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}{p}")
    } else {
        format!("{x:.2}{p}")
    }
}

/// A value of a metric as the reports print it ("1.234 ms", "64 KiB", "5.000 M").
pub fn value(metric: Metric, v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    match metric {
        Metric::WallTime => seconds(v),
        Metric::PeakMemory => bytes(v),
        Metric::Instructions => format!("{:.3} M", v / 1e6),
    }
}

/// A value of a metric, short, with its unit ("90.4 M instr", "12.3 ms").
pub fn short(metric: Metric, v: f64) -> String {
    match metric {
        Metric::WallTime => seconds(v),
        Metric::PeakMemory => bytes(v),
        Metric::Instructions => format!("{} instr", count(v)),
    }
}

/// A ratio as a signed change: 1.123 → "+12.3 %".
pub fn pct(r: f64) -> String {
    if !r.is_finite() {
        return "n/a".into();
    }
    format!("{:+.1} %", (r - 1.0) * 100.0)
}

/// A ratio with 3 significant digits (4 from 1 to 10, where a per cent
/// needs them), in fixed notation: 0.670, 0.0123, 0.000587, 1.068, 14.5,
/// 1704.
pub fn ratio(r: f64) -> String {
    if !r.is_finite() {
        return "n/a".into();
    }
    if r <= 0.0 {
        return format!("{r:.3}");
    }
    let sig = if (1.0..10.0).contains(&r) { 4 } else { 3 };
    let decimals = (sig - 1 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}")
}

/// How many times less or more, for factors far from 1: "1704", "3.2".
pub fn factor(f: f64) -> String {
    if !f.is_finite() {
        "n/a".into()
    } else if f >= 100.0 {
        format!("{}", f.round())
    } else {
        format!("{f:.1}")
    }
}

/// An integer with its thousands grouped by a space from 10 000 on, as the
/// explanations write them: 9999, 17 460, 1 048 576.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    if n < 10_000 {
        return s;
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// An axis tick: at most 4 significant digits, no float artifacts
/// (0.30000000000000004 → "0.3"), scientific below 0.001 and from 1e6.
pub fn tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.00e-4 → 1e-4
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            None => s,
        };
    }
    let digits = 4 - 1 - a.log10().floor() as i32;
    if digits < 0 {
        // 98765.4 → 98770: four significant digits, the rest zeros.
        let unit = 10f64.powi(-digits);
        return format!("{:.0}", (v / unit).round() * unit);
    }
    let s = format!("{v:.*}", digits as usize);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Significant digits of a tick label ("0.3" → 1, "1.25" → 3, "2e-4" → 1).
pub fn significant_digits(label: &str) -> usize {
    let mantissa = label.split(['e', 'E']).next().unwrap_or("");
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let t = digits.trim_start_matches('0');
    // Trailing zeros of an integer are not significant here ("1000" → 1).
    let t = if mantissa.contains('.') {
        t
    } else {
        t.trim_end_matches('0')
    };
    t.len().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(bytes(65536.0), "64 KiB");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0), "1.5 MiB");
        assert_eq!(seconds(0.0123), "12.300 ms");
        assert_eq!(count(90_417_000.0), "90.4 M");
        assert_eq!(count(5_000_000.0), "5.00 M");
        assert_eq!(count(123_456.0), "123 k");
        assert_eq!(short(Metric::Instructions, 9.0417e7), "90.4 M instr");
        assert_eq!(pct(1.123), "+12.3 %");
        assert_eq!(pct(0.9), "-10.0 %");
        assert_eq!(ratio(0.0123), "0.0123");
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(1.0), "1");
        assert_eq!(tick(1.2345678), "1.235");
        assert_eq!(tick(0.0001), "1e-4");
        assert_eq!(tick(2500.0), "2500");
        assert_eq!(tick(123.456), "123.5");
        for v in [0.30000000000000004, 1.2345678, 0.0001234567, 98765.4321, 0.987654321] {
            assert!(significant_digits(&tick(v)) <= 4, "{v} → {}", tick(v));
        }
    }
}
