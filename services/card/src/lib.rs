//! Payment card rules, the domain orders (before anything is written) and
//! payments (before anything is charged) share: digits, Luhn, expiry, CVC.
//! A checked card prints as its brand and last four digits only.

use chrono::{Datelike, NaiveDate};
use shop_runtime::validation::{FieldViolation, Violations};

/// A card as a request carries it.
#[derive(Clone, Copy)]
pub struct CardInput<'a> {
    /// The number; spaces and dashes are ignored.
    pub number: &'a str,
    /// 1 to 12.
    pub exp_month: i32,
    /// Four-digit year.
    pub exp_year: i32,
    /// 3 or 4 digits.
    pub cvc: &'a str,
}

impl std::fmt::Debug for CardInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardInput([redacted])")
    }
}

/// A card that passed the checks.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedCard {
    /// Digits only.
    pub number: String,
    /// 1 to 12.
    pub exp_month: u32,
    /// Four-digit year.
    pub exp_year: i32,
    /// The CVC (never stored).
    pub cvc: String,
}

impl std::fmt::Debug for CheckedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ending {}", self.brand(), self.last4())
    }
}

impl CheckedCard {
    /// Brand from the number's prefix: visa, mastercard, amex, discover, or unknown.
    pub fn brand(&self) -> &'static str {
        let prefix = |n: usize| self.number.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
        match (prefix(1), prefix(2), prefix(4)) {
            (4, _, _) => "visa",
            (_, 51..=55, _) | (_, _, 2221..=2720) => "mastercard",
            (_, 34 | 37, _) => "amex",
            (_, 65, _) | (_, _, 6011) => "discover",
            _ => "unknown",
        }
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }
}

/// Checks a card as of `today`; violations name `{prefix}number`, `{prefix}exp_month`, ...
pub fn check(prefix: &str, card: CardInput<'_>, today: NaiveDate) -> Result<CheckedCard, Vec<FieldViolation>> {
    let field = |name: &str| format!("{prefix}{name}");
    let mut violations = Violations::new();
    let digits: String = card.number.chars().filter(|c| *c != ' ' && *c != '-').collect();
    let number = if !(12..=19).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        violations.push(FieldViolation::new(field("number"), "must be 12 to 19 digits"));
        None
    } else if !luhn(&digits) {
        violations.push(FieldViolation::new(field("number"), "is not a valid card number (Luhn check failed)"));
        None
    } else {
        Some(digits)
    };
    let month = u32::try_from(card.exp_month).ok().filter(|m| (1..=12).contains(m));
    if month.is_none() {
        violations.push(FieldViolation::new(field("exp_month"), "must be between 1 and 12"));
    }
    if !(1000..=9999).contains(&card.exp_year) {
        violations.push(FieldViolation::new(field("exp_year"), "must be a four-digit year"));
    } else if let Some(month) = month {
        // A card is good through the last day of its expiry month.
        if (card.exp_year, month) < (today.year(), today.month()) {
            violations.push(FieldViolation::new(
                field("exp_year"),
                format!("the card expired in {month:02}/{}", card.exp_year),
            ));
        }
    }
    if !(3..=4).contains(&card.cvc.len()) || !card.cvc.chars().all(|c| c.is_ascii_digit()) {
        violations.push(FieldViolation::new(field("cvc"), "must be 3 or 4 digits"));
    }
    violations.finish(|| {
        Some(CheckedCard { number: number?, exp_month: month?, exp_year: card.exp_year, cvc: card.cvc.to_owned() })
    })
}

/// The Luhn checksum of a string of digits.
pub fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn card(number: &str, exp_month: i32, exp_year: i32, cvc: &str) -> Result<CheckedCard, Vec<FieldViolation>> {
        check("card.", CardInput { number, exp_month, exp_year, cvc }, today())
    }

    #[test]
    fn the_sandbox_test_cards_pass_and_print_only_brand_and_last4() {
        for number in ["4242 4242 4242 4242", "4000-0000-0000-0002", "4000000000009995", "4000000000000119"] {
            let checked = card(number, 12, 2030, "123").unwrap();
            assert_eq!(checked.brand(), "visa");
            assert!(!format!("{checked:?}").contains(&checked.number[..12]));
        }
        assert_eq!(format!("{:?}", card("5555555555554444", 1, 2030, "123").unwrap()), "mastercard ending 4444");
        assert_eq!(card("378282246310005", 1, 2030, "1234").unwrap().brand(), "amex");
    }

    #[test]
    fn bad_cards_name_their_fields() {
        let fields = |r: Result<CheckedCard, Vec<FieldViolation>>| {
            r.unwrap_err().into_iter().map(|v| v.field).collect::<Vec<_>>()
        };
        assert_eq!(fields(card("4242424242424241", 12, 2030, "123")), ["card.number"]);
        assert_eq!(fields(card("4242", 12, 2030, "123")), ["card.number"]);
        assert_eq!(fields(card("4242424242424242", 13, 2030, "12")), ["card.exp_month", "card.cvc"]);
        assert_eq!(fields(card("4242424242424242", 10, 2026, "123")), ["card.exp_year"]);
        assert!(card("4242424242424242", 11, 2026, "123").is_ok(), "good through the end of its month");
    }
}
