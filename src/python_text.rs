//! Text as Python 3 reads it, where the authors' scripts depend on it: `\d`
//! and `int()` take every Unicode decimal digit (Arabic-Indic `٣`, fullwidth
//! `３`), `str.isdigit` also takes superscripts and circled digits, and
//! `str.strip`/`\s` also count U+001C–U+001F as white space. Tables from
//! Python's `unicodedata` (Unicode 14.0).

/// The first code point of every run of ten decimal digits (0–9) in Unicode.
const DECIMAL_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// Digits that are not decimal (`²`, `①`, …): `str.isdigit` is true for them, `\d` is not.
const OTHER_DIGITS: &[(u32, u32)] = &[
    (0xB2, 0xB3),
    (0xB9, 0xB9),
    (0x1369, 0x1371),
    (0x19DA, 0x19DA),
    (0x2070, 0x2070),
    (0x2074, 0x2079),
    (0x2080, 0x2089),
    (0x2460, 0x2468),
    (0x2474, 0x247C),
    (0x2488, 0x2490),
    (0x24EA, 0x24EA),
    (0x24F5, 0x24FD),
    (0x24FF, 0x24FF),
    (0x2776, 0x277E),
    (0x2780, 0x2788),
    (0x278A, 0x2792),
    (0x10A40, 0x10A43),
    (0x10E60, 0x10E68),
    (0x11052, 0x1105A),
    (0x1F100, 0x1F10A),
];

/// The value of a decimal digit (`\d`, what `int()` reads), if `c` is one.
pub fn decimal(c: char) -> Option<u32> {
    let c = c as u32;
    if c <= 0x7F {
        return (0x30..=0x39).contains(&c).then(|| c - 0x30);
    }
    let i = DECIMAL_ZEROS.partition_point(|&z| z <= c).checked_sub(1)?;
    let offset = c - DECIMAL_ZEROS[i];
    (offset < 10).then_some(offset)
}

/// Python's `str.isdigit` for one character.
pub fn is_digit(c: char) -> bool {
    decimal(c).is_some()
        || OTHER_DIGITS
            .iter()
            .any(|&(a, b)| (a..=b).contains(&(c as u32)))
}

/// Python's `str.isspace` (and `\s`) for one character.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `re.sub(r'\s+', ' ', s.strip())`.
pub fn collapse_space(s: &str) -> String {
    strip(s)
        .split(is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ASCII digits for a run of decimal digits (`١٢` → `12`), as `int()` reads them.
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| {
            decimal(c)
                .and_then(|d| char::from_digit(d, 10))
                .unwrap_or(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_spaces_as_python_has_them() {
        assert_eq!(
            (decimal('7'), decimal('١'), decimal('３'), decimal('𝟗')),
            (Some(7), Some(1), Some(3), Some(9))
        );
        assert_eq!(
            (decimal('²'), decimal('a'), decimal('/')),
            (None, None, None)
        );
        assert!(is_digit('²') && is_digit('①') && !is_digit('½'));
        assert!(is_space('\u{1c}') && is_space('\u{3000}') && !is_space('a'));
        assert_eq!(collapse_space(" a \u{1d} b\n\tc "), "a b c");
        assert_eq!(ascii_digits("١٢.٥"), "12.5");
    }
}
