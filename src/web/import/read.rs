//! Reading an uploaded CSV: Spendbot's own columns, or a bank or Splitwise style export through
//! a [`Mapping`] (guessed from the header, adjustable in the preview), with the loose dates and
//! amounts such files hold. Each row becomes a `NewEntry` or the reason it cannot.

use super::*;

impl Mapping {
    /// A first guess from the header's names.
    pub(super) fn guess(header: &[String]) -> Mapping {
        let find = |names: &[&str]| {
            header.iter().position(|h| {
                let h = h.trim().to_lowercase();
                names.iter().any(|n| h == *n || h.contains(n))
            })
        };
        let amount_col = find(&["amount", "cost", "debit", "importe", "value", "sum"]).unwrap_or(1);
        Mapping {
            date_col: find(&["date", "fecha", "day", "booked"]).unwrap_or(0),
            date_format: "ymd".to_owned(),
            signs: if find(&["cost"]).is_some() {
                "positive"
            } else {
                "negative"
            }
            .to_owned(),
            amount_col,
            note_col: find(&[
                "description",
                "note",
                "memo",
                "payee",
                "details",
                "concepto",
                "name",
            ]),
            category_col: find(&["category", "categoría", "categoria"]),
            currency_col: find(&["currency", "moneda"]),
        }
    }
}

/// A file read: the rows it would add (with their line numbers) and the bad ones.
pub(super) struct Reading {
    pub(super) standard: bool,
    pub(super) header: Vec<String>,
    pub(super) mapping: Mapping,
    pub(super) rows: Vec<(u64, NewEntry)>,
    pub(super) errors: Vec<(u64, String)>,
}

pub(super) fn read_csv(
    web: &Web,
    visit: &WebVisit,
    text: &str,
    mapping: Option<Mapping>,
) -> Result<Reading, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The file is not CSV: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let standard = header.len() == HEADER.len()
        && header
            .iter()
            .zip(HEADER)
            .all(|(h, want)| h.eq_ignore_ascii_case(want));
    let mapping = mapping.unwrap_or_else(|| {
        let mut m = Mapping::guess(&header);
        m.date_format = guess_date_format(text, m.date_col);
        m
    });
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 2, |p| p.line());
        let parsed = match record {
            Err(e) => Err(format!("not readable as CSV ({e})")),
            Ok(r) if r.iter().all(str::is_empty) => continue,
            Ok(r) if standard => standard_row(&r),
            Ok(r) => mapped_row(web, visit, &r, &mapping),
        };
        match parsed {
            Ok(entry) => rows.push((line, entry)),
            Err(why) => errors.push((line, why)),
        }
        if rows.len() + errors.len() > MAX_ROWS {
            return Err(format!(
                "The file has more than {MAX_ROWS} rows; split it into smaller files."
            ));
        }
    }
    Ok(Reading {
        standard,
        header,
        mapping,
        rows,
        errors,
    })
}

pub(super) fn field(r: &csv::StringRecord, i: usize) -> &str {
    r.get(i).unwrap_or_default()
}

pub(super) fn standard_row(r: &csv::StringRecord) -> Result<NewEntry, String> {
    if r.len() != HEADER.len() {
        return Err(format!("it has {} fields, not 6", r.len()));
    }
    let date = NaiveDate::parse_from_str(field(r, 0), "%Y-%m-%d")
        .ok()
        .filter(|d| storable(*d))
        .ok_or_else(|| format!("the date \"{}\" is not YYYY-MM-DD", field(r, 0)))?;
    let kind = EntryKind::parse(field(r, 1))
        .ok_or_else(|| format!("the kind \"{}\" is neither expense nor income", field(r, 1)))?;
    let currency = Currency::parse(&field(r, 3).to_uppercase())
        .ok_or_else(|| format!("\"{}\" is not a currency code", field(r, 3)))?;
    let amount = Decimal::from_str(field(r, 2))
        .map_err(|_| format!("the amount \"{}\" is not a number like 14.00", field(r, 2)))?;
    let money = money(amount, currency)?;
    let category = Category::parse(field(r, 4))
        .ok_or_else(|| format!("the category \"{}\" is not one word", field(r, 4)))?;
    Ok(NewEntry {
        kind,
        money,
        category,
        note: Note::new(field(r, 5)),
        occurred_on: date,
    })
}

pub(super) fn money(amount: Decimal, currency: Currency) -> Result<Money, String> {
    Money::new(amount, currency).map_err(|e| format!("the amount {amount} does not work: {e}"))
}

pub(super) fn mapped_row(
    web: &Web,
    visit: &WebVisit,
    r: &csv::StringRecord,
    m: &Mapping,
) -> Result<NewEntry, String> {
    let date_text = field(r, m.date_col);
    let date = loose_date(date_text, &m.date_format)
        .ok_or_else(|| format!("the date \"{date_text}\" does not match the date format chosen"))?;
    let amount_text = field(r, m.amount_col);
    let amount = loose_amount(amount_text)
        .ok_or_else(|| format!("the amount \"{amount_text}\" is not a number"))?;
    let expense_negative = m.signs == "negative";
    let kind = match (amount.is_sign_negative(), expense_negative) {
        (true, true) | (false, false) => EntryKind::Expense,
        _ => EntryKind::Income,
    };
    let currency = match m
        .currency_col
        .map(|i| field(r, i))
        .filter(|c| !c.is_empty())
    {
        Some(code) => Currency::parse(&code.to_uppercase())
            .ok_or_else(|| format!("\"{code}\" is not a currency code"))?,
        None => visit.session.account.currency,
    };
    let note = m.note_col.map(|i| field(r, i)).unwrap_or_default();
    let lang = visit.session.account.language.as_str();
    let today = Utc::now().date_naive();
    let named = m.category_col.map(|i| field(r, i)).unwrap_or_default();
    let category = match kind {
        EntryKind::Income => Category::parse("income"),
        EntryKind::Expense => Category::parse(named)
            .filter(|c| DEFAULT_CATEGORIES.contains(&c.as_str()))
            .or_else(|| web.bot.category_for(lang, named, today))
            .or_else(|| web.bot.category_for(lang, note, today)),
    }
    .unwrap_or_else(Category::other);
    Ok(NewEntry {
        kind,
        money: money(amount.abs(), currency)?,
        category,
        note: Note::new(note),
        occurred_on: date,
    })
}

/// The day/month order of a file's dates: `dmy` when a first number is above 12, `mdy` when
/// a second is, ISO otherwise.
pub(super) fn guess_date_format(text: &str, column: usize) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records().take(200).flatten() {
        let parts: Vec<u32> = field(&record, column)
            .split(['/', '.', '-'])
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        if let [a, b, _] = parts.as_slice() {
            if *a > 31 {
                return "ymd".to_owned();
            }
            if *a > 12 {
                return "dmy".to_owned();
            }
            if *b > 12 {
                return "mdy".to_owned();
            }
        }
    }
    "dmy".to_owned()
}

/// A date in ISO form, or with `/`, `.` or `-` in the chosen day/month order.
pub(super) fn loose_date(text: &str, format: &str) -> Option<NaiveDate> {
    let text = text.split([' ', 'T']).next()?.trim();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return storable(d).then_some(d);
    }
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (d, m, y) = match format {
        "mdy" => (b, a, c),
        "ymd" => (c, b, a),
        _ => (a, b, c),
    };
    let mut year: i32 = y.parse().ok()?;
    if year < 100 {
        year += 2000;
    }
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?).filter(|d| storable(*d))
}

/// `1,234.50`, `1.234,50`, `-12.00`, `(12.00)`, `$ 12`, `12,5` as a decimal.
pub(super) fn loose_amount(text: &str) -> Option<Decimal> {
    let negative = text.contains('-') || (text.contains('(') && text.contains(')'));
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let normal = match (digits.rfind('.'), digits.rfind(',')) {
        (Some(dot), Some(comma)) if comma > dot => digits.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => digits.replace(',', ""),
        (None, Some(comma)) if digits.len() - comma - 1 != 3 => digits.replace(',', "."),
        (None, Some(_)) => digits.replace(',', ""),
        _ => digits,
    };
    let value = Decimal::from_str(&normal).ok()?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_amounts_read_common_shapes() {
        let d = |s: &str| Decimal::from_str(s).expect("decimal");
        assert_eq!(loose_amount("1,234.50"), Some(d("1234.50")));
        assert_eq!(loose_amount("1.234,50"), Some(d("1234.50")));
        assert_eq!(loose_amount("-12.00"), Some(d("-12.00")));
        assert_eq!(loose_amount("(12.00)"), Some(d("-12.00")));
        assert_eq!(loose_amount("12,5"), Some(d("12.5")));
        assert_eq!(loose_amount("$ 1,200"), Some(d("1200")));
        assert_eq!(loose_amount("abc"), None);
    }

    #[test]
    fn loose_dates_follow_the_chosen_order() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(loose_date("2026-11-24", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("24/11/2026", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("11/24/2026", "mdy"), d(2026, 11, 24));
        assert_eq!(loose_date("24.11.26", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("2026-11-24T10:00:00", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("31/02/2026", "dmy"), None);
        assert_eq!(
            loose_date("0500-01-01", "dmy"),
            None,
            "years every engine stores"
        );
        assert_eq!(loose_date("01/01/10000", "dmy"), None);
    }

    #[test]
    fn mappings_are_guessed_from_header_names() {
        let header: Vec<String> = ["Date", "Description", "Category", "Cost", "Currency"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let m = Mapping::guess(&header);
        assert_eq!((m.date_col, m.amount_col), (0, 3));
        assert_eq!(
            (m.note_col, m.category_col, m.currency_col),
            (Some(1), Some(2), Some(4))
        );
        assert_eq!(m.signs, "positive");
    }
}
