//! The mails' templates (`templates/` in this crate, compiled in): for each
//! kind, `<kind>.txt` holds the subject and the plain-text body as blocks,
//! and `<kind>.html` the HTML body (escaped; it extends `layout.html`).

use minijinja::Environment;
use serde_json::Value;

use crate::domain::Kind;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const TEMPLATES: [(&str, &str); 17] = templates![
    "layout.html",
    "welcome.txt",
    "welcome.html",
    "order_confirmation.txt",
    "order_confirmation.html",
    "payment_receipt.txt",
    "payment_receipt.html",
    "order_failed.txt",
    "order_failed.html",
    "order_cancelled.txt",
    "order_cancelled.html",
    "refund.txt",
    "refund.html",
    "shipping_update.txt",
    "shipping_update.html",
    "stock_low.txt",
    "stock_low.html",
];

/// One mail, rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Its subject line.
    pub subject: String,
    /// Its plain-text body.
    pub text: String,
    /// Its HTML body.
    pub html: String,
}

/// The compiled templates. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Templates {
    env: std::sync::Arc<Environment<'static>>,
}

/// A template that does not render (a bug in it, or a context it cannot use).
#[derive(Debug, thiserror::Error)]
#[error("rendering the {kind} mail: {source:#}")]
pub struct RenderError {
    kind: &'static str,
    source: minijinja::Error,
}

impl Templates {
    /// Compiles every template.
    pub fn load() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Self { env: std::sync::Arc::new(env) })
    }

    /// The mail of `kind` with `context`.
    pub fn render(&self, kind: Kind, context: &Value) -> Result<Rendered, RenderError> {
        let name = kind.as_str();
        let failed = |source| RenderError { kind: name, source };
        let text = self.env.get_template(&format!("{name}.txt")).map_err(failed)?;
        let mut captured = text.render_captured(context).map_err(failed)?;
        let rendered = captured.with_state_mut(|state| {
            let subject = state.render_block("subject")?;
            let body = state.render_block("body")?;
            Ok::<_, minijinja::Error>((subject.trim().to_owned(), body.trim_start().to_owned()))
        });
        let (subject, body) = rendered.map_err(failed)?;
        let html = self.env.get_template(&format!("{name}.html")).map_err(failed)?.render(context).map_err(failed)?;
        Ok(Rendered { subject, text: body, html })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A context with every field any template reads.
    fn everything() -> Value {
        json!({
            "recipient_name": "Ada <admin>", "event_id": "e1", "name": "Ada", "email": "ada@shop.test",
            "order_id": "o1", "total": "12.00 USD", "amount": "12.00 USD", "payment_id": "p1",
            "card_brand": "visa", "card_last4": "4242", "status": "shipped", "reason": "",
            "lines": [{ "name": "Mug", "quantity": 2, "unit_price": "6.00 USD" }],
            "product_id": "p1", "sku": "MUG-1", "product": "Mug", "available": 3, "threshold": 5,
        })
    }

    #[test]
    fn every_kind_renders_a_subject_a_text_and_an_html_body() {
        let templates = Templates::load().unwrap();
        for kind in Kind::ALL {
            let mail = templates.render(kind, &everything()).unwrap();
            assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'), "{kind:?}: {:?}", mail.subject);
            assert!(mail.text.starts_with("Hello Ada <admin>,"), "{kind:?} text is not escaped: {}", mail.text);
            assert!(mail.html.contains("Hello Ada &lt;admin&gt;,"), "{kind:?} html is escaped: {}", mail.html);
        }
    }

    #[test]
    fn a_confirmation_lists_the_lines_and_the_total() {
        let mail = Templates::load().unwrap().render(Kind::OrderConfirmation, &everything()).unwrap();
        assert_eq!(mail.subject, "We have your order o1");
        assert!(mail.text.contains("2 x Mug at 6.00 USD") && mail.text.contains("Total: 12.00 USD"), "{}", mail.text);
    }

    #[test]
    fn a_missing_field_is_an_error_not_a_blank() {
        let error = Templates::load().unwrap().render(Kind::Welcome, &json!({ "recipient_name": "Ada" })).unwrap_err();
        assert!(error.to_string().contains("welcome"), "{error}");
    }
}
