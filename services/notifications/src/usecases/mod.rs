//! What the notifications service does: handle events into mails
//! ([`consume`]), send them ([`deliver`]), and keep customers' choices
//! ([`preferences`]).

pub mod consume;
pub mod deliver;
pub mod preferences;
