//! Numbers with a fixed count of decimals for the sentences the library writes ("loss
//! 7.5 %", "120 ms round trip"), in integer arithmetic: Rust's float formatter (Grisu
//! with a Dragon4 fallback) costs about 8 KiB of the gzipped wasm, and these sentences
//! were its only users.

/// `x` rounded to `decimals` digits after the point (half away from zero); `?` for NaN
/// or an infinity. Values beyond ±9.2e18 / 10^decimals saturate.
pub fn fixed(x: f64, decimals: u32) -> String {
    if !x.is_finite() {
        return "?".into();
    }
    let scale = 10_i64.pow(decimals.min(6));
    // `as` saturates; `round` is half away from zero.
    let n = (x * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let (whole, frac) = (
        n.unsigned_abs() / scale as u64,
        n.unsigned_abs() % scale as u64,
    );
    if decimals == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{frac:0width$}",
            width = decimals.min(6) as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn writes_what_the_float_formatter_writes_except_exact_halves() {
        for (x, d) in [
            (7.46, 1),
            (7.45, 1),
            (0.04, 1),
            (120.4, 0),
            (120.6, 0),
            (99.999, 2),
            (-3.26, 1),
            (1e6, 0),
            (0.0, 3),
            (12.0, 0),
        ] {
            assert_eq!(fixed(x, d), format!("{x:.*}", d as usize), "{x} with {d}");
        }
        // An exact half rounds away from zero (the formatter rounds it to even).
        assert_eq!(fixed(120.5, 0), "121");
        assert_eq!(fixed(0.25, 1), "0.3");
    }

    #[test]
    fn no_negative_zero_and_no_panic_on_odd_values() {
        assert_eq!(fixed(-0.4, 0), "0");
        assert_eq!(fixed(f64::NAN, 1), "?");
        assert_eq!(fixed(f64::INFINITY, 0), "?");
        assert_eq!(fixed(1e300, 0), "9223372036854775807");
    }
}
