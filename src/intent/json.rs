//! The JSON of `spendbot parse`, exactly as docs/contract.md fixes it.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{DeleteTarget, Intent, Item};
use crate::domain::{Category, Currency};

fn amount(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map_or(Value::Null, f)
}

/// Only the default categories are reported; custom ones are the user's own words.
fn category(c: Option<&Category>) -> Value {
    opt(c.filter(|c| c.is_default()), |c| {
        Value::String(c.to_string())
    })
}

fn currency(c: Option<Currency>) -> Value {
    opt(c, |c| Value::String(c.to_string()))
}

/// The value all items share, or `None`.
fn common<T: PartialEq + Clone>(items: &[Item], f: impl Fn(&Item) -> Option<T>) -> Option<T> {
    let first = f(items.first()?)?;
    items
        .iter()
        .all(|i| f(i).as_ref() == Some(&first))
        .then_some(first)
}

/// The contract's fields of one parsed message, before they become JSON.
struct Fields {
    intent: &'static str,
    amount: Option<Decimal>,
    currency: Option<Currency>,
    category: Option<Category>,
    note: Option<String>,
    date: Option<chrono::NaiveDate>,
    period: Value,
    items: Option<Value>,
}

impl Fields {
    fn named(intent: &'static str) -> Self {
        Fields {
            intent,
            amount: None,
            currency: None,
            category: None,
            note: None,
            date: None,
            period: Value::Null,
            items: None,
        }
    }
}

/// The JSON object `spendbot parse` prints for one input line, on one line.
pub fn contract_json(text: &str, intent: &Intent) -> String {
    let f = fields(intent);
    let mut o = Map::new();
    o.insert("text".into(), Value::String(text.to_owned()));
    o.insert("intent".into(), Value::String(f.intent.into()));
    o.insert("amount".into(), opt(f.amount, amount));
    o.insert("currency".into(), currency(f.currency));
    o.insert("category".into(), category(f.category.as_ref()));
    o.insert("note".into(), opt(f.note, Value::String));
    o.insert("date".into(), opt(f.date, |d| Value::String(d.to_string())));
    o.insert("period".into(), f.period);
    if let Some(items) = f.items {
        o.insert("items".into(), items);
    }
    Value::Object(o).to_string()
}

fn fields(intent: &Intent) -> Fields {
    match intent {
        Intent::AddExpense { items, date } => expense_fields(items, *date),
        Intent::AddIncome { item, date } => Fields {
            amount: item.amount,
            currency: item.currency,
            note: item.note.clone(),
            date: *date,
            ..Fields::named("add_income")
        },
        Intent::SetLimit(l) => Fields {
            amount: l.amount,
            currency: l.currency,
            category: l.category.clone(),
            period: Value::String(l.period.as_str().into()),
            ..Fields::named("set_limit")
        },
        Intent::Summary(q) | Intent::List(q) => Fields {
            category: q.category.clone(),
            period: opt(
                q.range,
                |r| json!({ "from": r.from.to_string(), "to": r.to.to_string() }),
            ),
            ..Fields::named(if matches!(intent, Intent::Summary(_)) {
                "summary"
            } else {
                "list"
            })
        },
        Intent::Undo => Fields::named("undo"),
        Intent::Delete(target) => Fields {
            note: match target {
                DeleteTarget::Matching(what) => Some(what.clone()),
                DeleteTarget::Id(_) | DeleteTarget::Last | DeleteTarget::Unclear => None,
            },
            ..Fields::named("delete")
        },
        Intent::Help | Intent::Start { .. } | Intent::Greeting => Fields::named("help"),
        // The contract has no intent for these: settings, linking, email, corrections.
        Intent::SetCurrency(_)
        | Intent::SetTimezone(_)
        | Intent::Categories
        | Intent::Link { .. }
        | Intent::Email(_)
        | Intent::EmailOff
        | Intent::Verify(_)
        | Intent::Web
        | Intent::Correct { .. }
        | Intent::Unknown => Fields::named("unknown"),
    }
}

/// One expense or several: the total when every item has an amount in one currency, and the
/// items listed when there are several.
fn expense_fields(items: &[Item], date: Option<chrono::NaiveDate>) -> Fields {
    let total = if items.iter().all(|i| i.amount.is_some())
        && common(items, |i| Some(i.currency)).is_some()
    {
        // A total too large to hold is no total (each item still shows its amount).
        items
            .iter()
            .map(|i| i.amount)
            .reduce(|a, b| a.zip(b).and_then(|(a, b)| a.checked_add(b)))
            .flatten()
    } else {
        None
    };
    let (cur, cat, note) = match items {
        [one] => (one.currency, one.category.clone(), one.note.clone()),
        _ => (
            common(items, |i| i.currency),
            common(items, |i| i.category.clone()),
            None,
        ),
    };
    let listed = (items.len() > 1).then(|| {
        Value::Array(
            items
                .iter()
                .map(|i| {
                    json!({
                        "amount": opt(i.amount, amount),
                        "currency": currency(i.currency),
                        "category": category(i.category.as_ref()),
                        "note": opt(i.note.clone(), Value::String),
                    })
                })
                .collect(),
        )
    });
    Fields {
        amount: total,
        currency: cur,
        category: cat,
        note,
        date,
        items: listed,
        ..Fields::named("add_expense")
    }
}
