//! The JSON of `spendbot parse`, exactly as CONTRACT.md fixes it.

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

/// The JSON object `spendbot parse` prints for one input line, on one line.
pub fn contract_json(text: &str, intent: &Intent) -> String {
    let mut o = Map::new();
    o.insert("text".into(), Value::String(text.to_owned()));
    let (name, amt, cur, cat, note, date, period, items) = match intent {
        Intent::AddExpense { items, date } => {
            let total = if items.iter().all(|i| i.amount.is_some())
                && common(items, |i| Some(i.currency)).is_some()
            {
                items.iter().filter_map(|i| i.amount).reduce(|a, b| a + b)
            } else {
                None
            };
            let (cur, cat, note) = match items.as_slice() {
                [one] => (one.currency, one.category.clone(), one.note.clone()),
                _ => (
                    common(items, |i| i.currency),
                    common(items, |i| i.category.clone()),
                    None,
                ),
            };
            let list = (items.len() > 1).then(|| {
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
            (
                "add_expense",
                total,
                cur,
                cat,
                note,
                *date,
                Value::Null,
                list,
            )
        }
        Intent::AddIncome { item, date } => (
            "add_income",
            item.amount,
            item.currency,
            None,
            item.note.clone(),
            *date,
            Value::Null,
            None,
        ),
        Intent::SetLimit(l) => (
            "set_limit",
            l.amount,
            l.currency,
            l.category.clone(),
            None,
            None,
            Value::String(l.period.as_str().into()),
            None,
        ),
        Intent::Summary(q) | Intent::List(q) => {
            let name = if matches!(intent, Intent::Summary(_)) {
                "summary"
            } else {
                "list"
            };
            let period = opt(
                q.range,
                |r| json!({ "from": r.from.to_string(), "to": r.to.to_string() }),
            );
            (
                name,
                None,
                None,
                q.category.clone(),
                None,
                None,
                period,
                None,
            )
        }
        Intent::Undo => ("undo", None, None, None, None, None, Value::Null, None),
        Intent::Delete(target) => {
            let note = match target {
                DeleteTarget::Matching(what) => Some(what.clone()),
                DeleteTarget::Id(_) | DeleteTarget::Last => None,
            };
            ("delete", None, None, None, note, None, Value::Null, None)
        }
        Intent::Help | Intent::Start { .. } | Intent::Greeting => {
            ("help", None, None, None, None, None, Value::Null, None)
        }
        Intent::SetCurrency(_)
        | Intent::SetTimezone(_)
        | Intent::Categories
        | Intent::Link { .. }
        | Intent::Email(_)
        | Intent::EmailOff
        | Intent::Verify(_)
        | Intent::Web
        | Intent::Correct { .. }
        | Intent::Unknown => ("unknown", None, None, None, None, None, Value::Null, None),
    };
    o.insert("intent".into(), Value::String(name.into()));
    o.insert("amount".into(), opt(amt, amount));
    o.insert("currency".into(), currency(cur));
    o.insert("category".into(), category(cat.as_ref()));
    o.insert("note".into(), opt(note, Value::String));
    o.insert("date".into(), opt(date, |d| Value::String(d.to_string())));
    o.insert("period".into(), period);
    if let Some(items) = items {
        o.insert("items".into(), items);
    }
    Value::Object(o).to_string()
}
