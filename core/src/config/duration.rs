//! Durations written the way Go's `time.ParseDuration` reads them (`1h`, `90m`, `1h30m`,
//! `3600s`, `1.5h`), as aws-vault's TTL environment variables (`AWS_SESSION_TOKEN_TTL`, …)
//! accept them; and the same with days and weeks (`2d`, `1w`), as the aws-vault fork's
//! `--duration` / `AWS_VAULT_DURATION` accept them.

use std::time::Duration;

/// Parses a Go-style duration: a sequence of decimal numbers, each with an optional fraction
/// and a unit suffix (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`); a bare `0` is also accepted.
/// Negative durations are rejected since no TTL can be negative.
///
/// The error string explains what is wrong and what is expected.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    parse(text, false)
}

/// Like [`parse_go_duration`], with two more units: `d` (24 hours) and `w` (7 days), as the
/// ByteNess aws-vault fork reads `--duration` and `AWS_VAULT_DURATION`.
pub fn parse_duration_with_days(text: &str) -> Result<Duration, String> {
    parse(text, true)
}

fn parse(text: &str, days: bool) -> Result<Duration, String> {
    const EXPECTED: &str = "expected a duration such as 1h, 90m, 1h30m or 3600s";
    let mut rest = text;
    let negative = rest.starts_with('-');
    if negative || rest.starts_with('+') {
        rest = &rest[1..];
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(format!("empty duration; {EXPECTED}"));
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_number) = match after_int.strip_prefix('.') {
            Some(after_dot) => {
                let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(frac_len)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(format!("`{text}` is not a duration; {EXPECTED}"));
        }
        let unit_len = after_number
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after_number.len(), |(i, _)| i);
        let (unit, after_unit) = after_number.split_at(unit_len);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" if days => 86_400_000_000_000,
            "w" if days => 604_800_000_000_000,
            "" => return Err(format!("`{text}` has a number without a unit; {EXPECTED}")),
            other => {
                return Err(format!(
                    "`{text}` has unknown unit `{other}`; use {}",
                    if days {
                        "ns, us, ms, s, m, h, d or w"
                    } else {
                        "ns, us, ms, s, m or h"
                    }
                ));
            }
        };
        let too_long = || format!("`{text}` is too long a duration");
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| too_long())?
        };
        let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
        if !frac_part.is_empty() {
            // Go keeps the fraction to nanosecond precision; so do we (extra digits dropped).
            let digits = &frac_part[..frac_part.len().min(18)];
            let frac: u128 = digits.parse().map_err(|_| too_long())?;
            let scale = 10u128.pow(u32::try_from(digits.len()).map_err(|_| too_long())?);
            nanos += frac * unit_nanos / scale;
        }
        total_nanos = total_nanos.checked_add(nanos).ok_or_else(too_long)?;
        // Go limits durations to i64 nanoseconds (about 292 years).
        if total_nanos > i64::MAX as u128 {
            return Err(too_long());
        }
        rest = after_unit;
    }
    if negative && total_nanos != 0 {
        return Err(format!("`{text}` is negative; a TTL must be positive"));
    }
    let secs =
        u64::try_from(total_nanos / 1_000_000_000).map_err(|_| format!("`{text}` is too long"))?;
    let sub =
        u32::try_from(total_nanos % 1_000_000_000).map_err(|_| format!("`{text}` is too long"))?;
    Ok(Duration::new(secs, sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_forms() {
        let cases = [
            ("1h", 3600.0),
            ("90m", 5400.0),
            ("3600s", 3600.0),
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            ("0", 0.0),
            ("+15m", 900.0),
            ("500ms", 0.5),
            ("1h0m0s", 3600.0),
            (".5s", 0.5),
            ("2µs", 0.000_002),
        ];
        for (text, secs) in cases {
            let got = parse_go_duration(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!((got.as_secs_f64() - secs).abs() < 1e-9, "{text} -> {got:?}");
        }
    }

    #[test]
    fn rejects_invalid() {
        for text in [
            "",
            "3600",
            "1x",
            "h",
            "1h-",
            "-1h",
            "1..5h",
            ".s",
            "1 h",
            "9999999999h",
        ] {
            assert!(
                parse_go_duration(text).is_err(),
                "{text:?} should be rejected"
            );
        }
        let e = parse_go_duration("3600").expect_err("no unit");
        assert!(e.contains("without a unit"), "{e}");
        assert!(parse_go_duration("1d").is_err(), "Go has no day unit");
    }

    #[test]
    fn days_and_weeks_where_the_fork_takes_them() {
        let day = 86_400;
        for (text, secs) in [("1d", day), ("2d12h", 2 * day + 43_200), ("1w", 7 * day)] {
            assert_eq!(
                parse_duration_with_days(text).unwrap().as_secs(),
                secs,
                "{text}"
            );
        }
        assert_eq!(parse_duration_with_days("90m").unwrap().as_secs(), 5400);
        assert!(parse_duration_with_days("3600").is_err());
        assert!(parse_duration_with_days("1y").is_err());
    }
}
