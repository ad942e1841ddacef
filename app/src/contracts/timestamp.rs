//! Times on the wire: RFC 3339 in UTC, as chrono writes them
//! (`2026-12-01T20:48:14.123456789Z`). Written by chrono; read by the small
//! parser here, because chrono's general one (every format item, RFC 2822)
//! would be most of chrono's weight in the browser's module. Use with
//! `#[serde(with = "timestamp")]` (or `timestamp::option`).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserializer, Serialize, Serializer};

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    at.serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(Time)
}

fn read<E: serde::de::Error>(text: &str) -> Result<DateTime<Utc>, E> {
    parse(text).ok_or_else(|| E::custom(format_args!("not an RFC 3339 time: {text:?}")))
}

/// Reads the text where it lies (no copy per time read, and a replay
/// reads many).
struct Time;

impl serde::de::Visitor<'_> for Time {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 time")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        read(text)
    }
}

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        at.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        d.deserialize_option(MaybeTime)
    }

    struct MaybeTime;

    impl<'de> serde::de::Visitor<'de> for MaybeTime {
        type Value = Option<DateTime<Utc>>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 time or null")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `None` for anything else
/// (a leap second included: chrono never writes one for UTC).
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<u32> {
        b.get(from..from + len)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(0, 4)?).ok()?,
        digits(5, 2)?,
        digits(8, 2)?,
    )?;
    let mut i = 19;
    let mut nanos = 0u32;
    if at(i, b".") {
        i += 1;
        let start = i;
        while at(i, b"0123456789") {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let (h, m, s) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if s > 59 {
        return None;
    }
    let local = date.and_hms_nano_opt(h, m, s, nanos)?;
    Some(
        local
            .checked_sub_signed(TimeDelta::seconds(offset))?
            .and_utc(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    proptest! {
        /// Whatever chrono writes reads back as the same instant.
        #[test]
        fn reads_what_chrono_writes(secs in -62_000_000_000i64..250_000_000_000, nanos in 0u32..1_000_000_000) {
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            let json = serde_json::to_string(&at).unwrap();
            prop_assert_eq!(parse(json.trim_matches('"')), Some(at));
        }
    }

    #[test]
    fn agrees_with_chrono_on_other_spellings_and_refuses_the_rest() {
        for text in [
            "2026-12-01T20:48:14Z",
            "2026-12-01t20:48:14.5z",
            "2026-12-01 20:48:14.123+02:00",
            "2026-12-01T00:10:00-05:30",
            "2024-02-29T23:59:59.999999999Z",
            "2026-12-01T20:48:14.1234567891Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(parse(text), Some(chrono), "{text}");
        }
        for text in [
            "",
            "2026-12-01",
            "2026-12-01T20:48:14",
            "2026-12-01T20:48:14.Z",
            "2026-13-01T20:48:14Z",
            "2025-02-29T20:48:14Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T20:48:14+0200",
            "2026-12-01T20:48:14+24:00",
            "2026-12-01T20:48:14-05:60",
            "2026-12-01T20:48:14Zjunk",
            "2026-12-01T20:48:60Z",
            "２026-12-01T20:48:14Z",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn an_optional_time_reads_null_missing_and_a_time() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct T {
            #[serde(default, with = "super::option")]
            at: Option<DateTime<Utc>>,
        }
        let read = |json: &str| serde_json::from_str::<T>(json).unwrap().at;
        assert_eq!(read(r#"{"at":null}"#), None);
        assert_eq!(read("{}"), None);
        assert_eq!(
            read(r#"{"at":"1970-01-01T00:00:01Z"}"#),
            DateTime::from_timestamp(1, 0)
        );
        assert!(serde_json::from_str::<T>(r#"{"at":"soon"}"#).is_err());
    }

    #[test]
    fn a_bad_time_is_a_decoding_error_that_quotes_it() {
        #[derive(Debug, Deserialize)]
        struct T {
            #[serde(with = "super")]
            #[allow(dead_code)]
            at: DateTime<Utc>,
        }
        let e = serde_json::from_str::<T>(r#"{"at":"yesterday"}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("not an RFC 3339 time: \"yesterday\""),
            "{e}"
        );
    }
}
