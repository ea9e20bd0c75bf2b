//! The simulated card processor and the rules of a charge. No I/O here.

use shop_card::{CardInput, CheckedCard};
use shop_runtime::validation::{FieldViolation, Violations};

/// Why a card was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclineReason {
    /// The issuer declined.
    CardDeclined,
    /// Not enough money.
    InsufficientFunds,
}

impl DeclineReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::CardDeclined => "card_declined",
            DeclineReason::InsufficientFunds => "insufficient_funds",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [DeclineReason::CardDeclined, DeclineReason::InsufficientFunds].into_iter().find(|r| r.as_str() == name)
    }

    /// What to tell the customer.
    pub fn message(self) -> &'static str {
        match self {
            DeclineReason::CardDeclined => "the card was declined",
            DeclineReason::InsufficientFunds => "the card has insufficient funds",
        }
    }
}

/// What the processor answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Money taken.
    Approved,
    /// Refused, for good.
    Declined(DeclineReason),
    /// A transient failure; the same charge may be retried.
    ProcessorError,
}

/// The sandbox's deterministic answers, by card number and attempt (1-based)
/// for one idempotency key.
pub fn process(card_number: &str, attempt: i32) -> Outcome {
    match card_number {
        "4000000000000002" => Outcome::Declined(DeclineReason::CardDeclined),
        "4000000000009995" => Outcome::Declined(DeclineReason::InsufficientFunds),
        "4000000000000119" if attempt <= 1 => Outcome::ProcessorError,
        _ => Outcome::Approved,
    }
}

/// What a charge is for: the order, its customer, the amount and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeTerms {
    /// The order.
    pub order_id: String,
    /// Its customer.
    pub user_id: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The idempotency key.
    pub idempotency_key: String,
}

/// A charge that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCharge {
    /// What it is for.
    pub terms: ChargeTerms,
    /// The checked card.
    pub card: CheckedCard,
}

/// A charge's raw terms.
#[derive(Clone, Copy, Debug)]
pub struct TermsInput<'a> {
    /// The order.
    pub order_id: &'a str,
    /// Its customer.
    pub user_id: &'a str,
    /// (amount, currency), if given.
    pub amount: Option<(i64, &'a str)>,
    /// The idempotency key.
    pub idempotency_key: &'a str,
}

/// A charge request's raw fields (`Debug` shows no card details).
#[derive(Clone, Copy, Debug)]
pub struct ChargeInput<'a> {
    /// What it is for.
    pub terms: TermsInput<'a>,
    /// The card, if given.
    pub card: Option<CardInput<'a>>,
}

impl ChargeTerms {
    /// Validates every field.
    pub fn parse(input: TermsInput<'_>) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let terms = Self::check(input, &mut violations);
        violations.finish(|| terms)
    }

    fn check(input: TermsInput<'_>, violations: &mut Violations) -> Option<Self> {
        let required = |field: &str, value: &str, max: usize| {
            if value.trim().is_empty() || value.len() > max {
                Err(FieldViolation::new(field, format!("is required (at most {max} characters)")))
            } else {
                Ok(value.to_owned())
            }
        };
        let order_id = violations.check(required("order_id", input.order_id, 100));
        let user_id = violations.check(required("user_id", input.user_id, 100));
        let idempotency_key = violations.check(required("idempotency_key", input.idempotency_key, 200));
        let amount = match input.amount {
            None => Err(FieldViolation::new("amount", "is required")),
            Some((minor, _)) if minor < 1 => Err(FieldViolation::new("amount.amount_minor", "must be at least 1")),
            Some((_, currency)) if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) => {
                Err(FieldViolation::new("amount.currency", "must be an ISO 4217 code such as USD"))
            }
            Some((minor, currency)) => Ok((minor, currency.to_owned())),
        };
        let (amount_minor, currency) = violations.check(amount)?;
        Some(Self { order_id: order_id?, user_id: user_id?, amount_minor, currency, idempotency_key: idempotency_key? })
    }
}

impl NewCharge {
    /// Validates every field as of `today`.
    pub fn parse(input: ChargeInput<'_>, today: chrono::NaiveDate) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let terms = ChargeTerms::check(input.terms, &mut violations);
        let card = match input.card {
            None => {
                violations.push(FieldViolation::new("card", "is required"));
                None
            }
            Some(card) => match shop_card::check("card.", card, today) {
                Ok(card) => Some(card),
                Err(card_violations) => {
                    card_violations.into_iter().for_each(|v| violations.push(v));
                    None
                }
            },
        };
        violations.finish(|| Some(Self { terms: terms?, card: card? }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_cards_answer_as_documented() {
        assert_eq!(process("4242424242424242", 1), Outcome::Approved);
        assert_eq!(process("4000000000000002", 1), Outcome::Declined(DeclineReason::CardDeclined));
        assert_eq!(process("4000000000009995", 3), Outcome::Declined(DeclineReason::InsufficientFunds));
        assert_eq!(process("4000000000000119", 1), Outcome::ProcessorError);
        assert_eq!(process("4000000000000119", 2), Outcome::Approved);
        assert_eq!(process("5555555555554444", 1), Outcome::Approved);
    }

    #[test]
    fn a_charge_names_every_bad_field() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let input = ChargeInput {
            terms: TermsInput { order_id: "", user_id: "u1", amount: Some((0, "usd")), idempotency_key: "k" },
            card: Some(CardInput { number: "4242424242424241", exp_month: 1, exp_year: 2020, cvc: "1" }),
        };
        let fields: Vec<_> = NewCharge::parse(input, today).unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["order_id", "amount.amount_minor", "card.number", "card.exp_year", "card.cvc"]);
    }
}
