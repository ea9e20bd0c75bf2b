//! What a valid checkout request is: an idempotency key, a shipping address
//! and a card, all checked before anything is written.

use chrono::NaiveDate;
use shop_card::{self as card, CardInput, CheckedCard};
use shop_runtime::validation::{FieldViolation, Violations};

/// A shipping address that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Recipient.
    pub name: String,
    /// Street and number.
    pub line1: String,
    /// Apartment, suite, ...
    pub line2: String,
    /// City.
    pub city: String,
    /// Postal code as printed.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

/// An address as a request carries it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddressInput<'a> {
    /// Recipient.
    pub name: &'a str,
    /// Street.
    pub line1: &'a str,
    /// More.
    pub line2: &'a str,
    /// City.
    pub city: &'a str,
    /// Postal code.
    pub postal_code: &'a str,
    /// Country.
    pub country: &'a str,
}

/// A checkout that passed validation.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// Where to ship.
    pub address: Address,
    /// What to charge.
    pub card: CheckedCard,
}

impl Checkout {
    /// Validates every field as of `today`; violations name fields as the
    /// request does (`shipping_address.postal_code`, `card.number`, ...).
    pub fn parse(
        idempotency_key: &str,
        address: Option<AddressInput<'_>>,
        card: Option<CardInput<'_>>,
        today: NaiveDate,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let key = idempotency_key.trim();
        if key.is_empty() || key.len() > 200 {
            violations.push(FieldViolation::new("idempotency_key", "is required (1 to 200 characters)"));
        }
        let address = match address {
            Some(address) => parse_address(address, &mut violations),
            None => {
                violations.push(FieldViolation::new("shipping_address", "is required"));
                None
            }
        };
        let card = match card {
            Some(input) => card::check("card.", input, today)
                .map_err(|found| found.into_iter().for_each(|v| violations.push(v)))
                .ok(),
            None => {
                violations.push(FieldViolation::new("card", "is required"));
                None
            }
        };
        violations.finish(|| Some(Self { idempotency_key: key.to_owned(), address: address?, card: card? }))
    }
}

fn parse_address(input: AddressInput<'_>, violations: &mut Violations) -> Option<Address> {
    let mut text = |field: &str, value: &str, required: bool, max: usize| {
        let value = value.trim();
        let check = if required && value.is_empty() {
            Err(FieldViolation::new(format!("shipping_address.{field}"), "is required"))
        } else if value.chars().count() > max || value.chars().any(char::is_control) {
            Err(FieldViolation::new(format!("shipping_address.{field}"), format!("must be at most {max} characters")))
        } else {
            Ok(value.to_owned())
        };
        violations.check(check)
    };
    let name = text("name", input.name, true, 200);
    let line1 = text("line1", input.line1, true, 200);
    let line2 = text("line2", input.line2, false, 200);
    let city = text("city", input.city, true, 100);
    let postal_code = text("postal_code", input.postal_code, true, 20);
    let country = input.country.trim().to_uppercase();
    let country = if country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()) {
        Some(country)
    } else {
        violations
            .push(FieldViolation::new("shipping_address.country", "must be an ISO 3166-1 alpha-2 code such as DE"));
        None
    };
    let postal_code = postal_code.filter(|code| {
        let ok = code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
        if !ok {
            violations.push(FieldViolation::new(
                "shipping_address.postal_code",
                "may hold only letters, digits, spaces and dashes",
            ));
        }
        ok
    });
    Some(Address {
        name: name?,
        line1: line1?,
        line2: line2?,
        city: city?,
        postal_code: postal_code?,
        country: country?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn address() -> AddressInput<'static> {
        AddressInput {
            name: "Ada Lovelace",
            line1: "1 Analytical St",
            line2: "",
            city: "London",
            postal_code: "NW1 6XE",
            country: "gb",
        }
    }

    fn card() -> CardInput<'static> {
        CardInput { number: "4242 4242 4242 4242", exp_month: 12, exp_year: 2030, cvc: "123" }
    }

    #[test]
    fn a_valid_checkout_keeps_leading_zeros_and_upper_cases_the_country() {
        let zeros = AddressInput { postal_code: "01067", ..address() };
        let checkout = Checkout::parse("key-1", Some(zeros), Some(card()), today()).unwrap();
        assert_eq!((checkout.address.postal_code.as_str(), checkout.address.country.as_str()), ("01067", "GB"));
        assert_eq!(checkout.card.last4(), "4242");
    }

    #[test]
    fn every_bad_field_is_named_as_the_request_names_it() {
        let bad = AddressInput { name: "", country: "Germany", postal_code: "10115!", ..address() };
        let bad_card = CardInput { number: "4242424242424241", ..card() };
        let fields: Vec<_> =
            Checkout::parse("", Some(bad), Some(bad_card), today()).unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            [
                "idempotency_key",
                "shipping_address.name",
                "shipping_address.country",
                "shipping_address.postal_code",
                "card.number"
            ]
        );
        let missing: Vec<_> =
            Checkout::parse("k", None, None, today()).unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(missing, ["shipping_address", "card"]);
    }
}
