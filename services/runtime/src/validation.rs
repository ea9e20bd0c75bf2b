//! Field-level input errors, shared by domain validation and the wire.

use std::fmt;

/// One invalid field: which, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, snake_case, e.g. `shipping_address.postal_code`.
    pub field: String,
    /// What is wrong, e.g. "must be at least 8 characters".
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Refuses an empty `value`, naming `field`: "is required".
pub fn required(field: &str, value: &str) -> Result<(), FieldViolation> {
    if value.is_empty() { Err(FieldViolation::new(field, "is required")) } else { Ok(()) }
}

/// Collects the violations of one request, so that a client learns about
/// every bad field at once:
///
/// ```
/// # use shop_runtime::validation::{FieldViolation, Violations};
/// let mut violations = Violations::new();
/// let name = violations.check(Ok::<_, FieldViolation>("Ada".to_owned()));
/// let age = violations.check(Err::<u8, _>(FieldViolation::new("age", "must be a number")));
/// let result = violations.finish(|| Some((name?, age?)));
/// assert_eq!(result.unwrap_err()[0].field, "age");
/// ```
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failed check; passes a good value on.
    pub fn check<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        result.map_err(|violation| self.0.push(violation)).ok()
    }

    /// Records a violation directly.
    pub fn push(&mut self, violation: FieldViolation) {
        self.0.push(violation);
    }

    /// The violations, if any; otherwise the value `build` assembles from the
    /// checked parts (all of which are `Some` when nothing was recorded).
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldViolation>> {
        if !self.0.is_empty() {
            return Err(self.0);
        }
        build().ok_or_else(|| vec![FieldViolation::new("request", "is invalid")])
    }
}
