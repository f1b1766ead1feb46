//! The ledger's story, told against every engine (SQLite always; PostgreSQL and MySQL when
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set): first contact, exact money, redelivered
//! events, summaries, limits and their thresholds, undo and delete, link codes, conversation
//! state, and the walls between accounts.

use chrono::{Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::stories::{ledger, session, who};
use spendbot::bot::EventKey;
use spendbot::domain::{
    Category, Currency, DateRange, EntryId, EntryKind, LimitPeriod, Money, NewEntry, NewLimit,
    Note, Platform,
};
use spendbot::ledger::{EntryQuery, Ledger, LedgerError, Session, Source, Threshold};
use spendbot::store::Store;

crate::each_engine!(
    first_contact_creates_an_account_and_money_round_trips_exactly,
    a_redelivered_event_changes_nothing,
    limits_report_where_spending_stands_and_each_threshold_is_crossed_once,
    undo_and_delete_touch_only_the_own_account,
    two_accounts_never_see_each_others_data,
    link_codes_join_identities_and_nothing_recorded_is_lost,
    follow_up_state_is_taken_once_and_expires,
    a_question_is_removed_only_by_the_recording_that_answers_it,
    old_rows_are_pruned_and_what_keeps_exactly_once_stays,
    sums_follow_every_change_of_the_entries,
    migrating_twice_is_a_no_op,
    concurrent_writers_queue_instead_of_failing,
    editing_a_message_changes_its_entries_in_place,
    the_category_of_an_entry_can_be_changed_only_by_its_account,
    identities_are_marked_unreachable_and_back,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).expect("test decimal")
}

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR")
}

fn today() -> NaiveDate {
    d("2026-11-25")
}

fn cat(name: &str) -> Category {
    Category::parse(name).expect("category")
}

fn expense(amount: &str, category: &str, note: Option<&str>, day: NaiveDate) -> NewEntry {
    NewEntry {
        kind: EntryKind::Expense,
        money: Money::new(dec(amount), Currency::USD).expect("money"),
        category: cat(category),
        note: note.and_then(Note::new),
        occurred_on: day,
    }
}

fn income(amount: &str, day: NaiveDate) -> NewEntry {
    NewEntry {
        kind: EntryKind::Income,
        category: cat("other"),
        ..expense(amount, "other", Some("salary"), day)
    }
}

fn event(key: &str) -> Source {
    Source {
        event: Some(EventKey(key.to_owned())),
        message: Some(format!("msg-{key}")),
        ..Source::default()
    }
}

async fn record(ledger: &Ledger, s: &Session, entries: &[NewEntry]) -> spendbot::ledger::Recorded {
    ledger
        .record(s, &Source::default(), entries, today(), Utc::now())
        .await
        .expect("record")
}

async fn all_entries(ledger: &Ledger, s: &Session) -> Vec<spendbot::domain::Entry> {
    ledger
        .entries(s, &EntryQuery::default())
        .await
        .expect("entries")
}

async fn first_contact_creates_an_account_and_money_round_trips_exactly(url: String) {
    let ledger = ledger(&url).await;
    let alice = ledger
        .session(&who(Platform::Telegram, "111"), Some("Alice"), Some("es"))
        .await
        .expect("first contact");
    assert!(alice.created);
    assert_eq!(alice.account.currency, Currency::USD);
    assert_eq!(alice.account.timezone, chrono_tz::UTC);
    assert_eq!(alice.account.language, "es");
    let again = session(&ledger, Platform::Telegram, "111").await;
    assert!(!again.created);
    assert_eq!(again.account.id, alice.account.id);
    assert_eq!(again.identity_id, alice.identity_id);

    // 0.1 + 0.2 is 0.3, exactly.
    let nasty = "☕ flat white 🥐 '; DROP TABLE entries; -- 100% _real_ \\ \"quoted\"";
    let done = record(
        &ledger,
        &alice,
        &[
            expense("0.1", "food", Some("Coffee"), today()),
            expense("0.2", "food", Some(nasty), today()),
            expense("12.34", "pets", Some("kibble"), d("2026-11-20")),
            income("3000", d("2026-11-01")),
        ],
    )
    .await;
    assert_eq!(done.entries.len(), 4);
    assert!(done.statuses.is_empty() && done.crossings.is_empty());

    let summary = ledger
        .summary(&alice, DateRange::month_of(today()), None)
        .await
        .expect("summary");
    let food = summary
        .by_category
        .iter()
        .find(|c| c.category == cat("food"))
        .expect("food");
    assert_eq!(food.total, dec("0.3"));
    assert_eq!(food.count, 2);
    assert_eq!(food.currency, Currency::USD);
    assert_eq!(
        summary.by_category[0].category,
        cat("pets"),
        "largest first"
    );
    assert_eq!(summary.spent(), vec![(Currency::USD, dec("12.64"))]);
    assert_eq!(summary.income, vec![(Currency::USD, dec("3000"))]);

    let this_week = ledger
        .summary(&alice, DateRange::week_of(today()), Some(&cat("food")))
        .await
        .expect("weekly food summary");
    assert_eq!(this_week.spent(), vec![(Currency::USD, dec("0.3"))]);
    assert!(this_week.income.is_empty());

    // Notes come back exactly as typed, and nothing was dropped.
    let listed = all_entries(&ledger, &alice).await;
    assert_eq!(listed.len(), 4);
    assert!(
        listed
            .iter()
            .any(|e| e.note.as_ref().map(Note::as_str) == Some(nasty))
    );
    let days: Vec<NaiveDate> = listed.iter().map(|e| e.occurred_on).collect();
    assert_eq!(
        days,
        vec![today(), today(), d("2026-11-20"), d("2026-11-01")],
        "newest first"
    );
    assert!(
        listed[0].id > listed[1].id,
        "same day: the later entry first"
    );

    let search = |text: &str| EntryQuery {
        text: Some(text.into()),
        ..EntryQuery::default()
    };
    let coffee = ledger
        .entries(&alice, &search("cOFFee"))
        .await
        .expect("search");
    assert_eq!(coffee.len(), 1);
    assert_eq!(coffee[0].money.amount(), dec("0.1"));
    let percent = ledger
        .entries(&alice, &search("100%"))
        .await
        .expect("search");
    assert_eq!(percent.len(), 1, "% is a character, not a wildcard");
    let underscore = ledger
        .entries(&alice, &search("_real_"))
        .await
        .expect("search");
    assert_eq!(underscore.len(), 1);
    let by_category = ledger
        .entries(&alice, &search("PETS"))
        .await
        .expect("search");
    assert_eq!(by_category.len(), 1);
    let incomes = ledger
        .entries(
            &alice,
            &EntryQuery {
                kind: Some(EntryKind::Income),
                ..EntryQuery::default()
            },
        )
        .await
        .expect("incomes");
    assert_eq!(incomes.len(), 1);
    let last_week = ledger
        .entries(
            &alice,
            &EntryQuery {
                range: Some(DateRange::new(d("2026-11-16"), d("2026-11-22"))),
                ..EntryQuery::default()
            },
        )
        .await
        .expect("range");
    assert_eq!(last_week.len(), 1);
    let one = ledger
        .entries(
            &alice,
            &EntryQuery {
                limit: 1,
                ..EntryQuery::default()
            },
        )
        .await
        .expect("limit");
    assert_eq!(one.len(), 1);

    let categories = ledger.categories(&alice).await.expect("categories");
    assert_eq!(categories.len(), 14);
    assert_eq!(categories.last(), Some(&cat("pets")));

    // Settings.
    let acc = ledger.set_currency(&alice, eur()).await.expect("currency");
    assert_eq!(acc.currency, eur());
    let acc = ledger
        .set_timezone(&alice, chrono_tz::Asia::Kolkata)
        .await
        .expect("timezone");
    assert_eq!(acc.timezone, chrono_tz::Asia::Kolkata);
    let acc = ledger.set_language(&alice, "en").await.expect("language");
    assert_eq!((acc.currency, acc.language.as_str()), (eur(), "en"));
    let reread = session(&ledger, Platform::Telegram, "111").await;
    assert_eq!(reread.account, acc);
}

async fn a_redelivered_event_changes_nothing(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "222").await;
    let entries = [expense("5", "food", Some("lunch"), today())];
    ledger
        .record(&s, &event("tg:1"), &entries, today(), Utc::now())
        .await
        .expect("first delivery");
    let again = ledger
        .record(&s, &event("tg:1"), &entries, today(), Utc::now())
        .await;
    assert!(matches!(again, Err(LedgerError::Duplicate)), "{again:?}");
    assert_eq!(all_entries(&ledger, &s).await.len(), 1);

    let key = EventKey("tg:2".into());
    let limit = NewLimit {
        money: Money::new(dec("100"), Currency::USD).expect("money"),
        period: LimitPeriod::Monthly,
        category: None,
    };
    ledger
        .set_limit(&s, &limit, Some(&key))
        .await
        .expect("limit");
    let twice = NewLimit {
        money: Money::new(dec("999"), Currency::USD).expect("money"),
        ..limit.clone()
    };
    assert!(matches!(
        ledger.set_limit(&s, &twice, Some(&key)).await,
        Err(LedgerError::Duplicate)
    ));
    assert_eq!(
        ledger.limits(&s).await.expect("limits")[0].money.amount(),
        dec("100")
    );

    let undo_key = EventKey("tg:3".into());
    assert!(
        ledger
            .undo_last(&s, Some(&undo_key))
            .await
            .expect("undo")
            .is_some()
    );
    ledger
        .record(&s, &event("tg:4"), &entries, today(), Utc::now())
        .await
        .expect("another");
    assert!(matches!(
        ledger.undo_last(&s, Some(&undo_key)).await,
        Err(LedgerError::Duplicate)
    ));
    assert_eq!(
        all_entries(&ledger, &s).await.len(),
        1,
        "a redelivered undo undoes nothing more"
    );
    // The same key from another account is the same platform event: still a duplicate.
    let other = session(&ledger, Platform::Telegram, "223").await;
    let stolen = ledger
        .record(&other, &event("tg:4"), &entries, today(), Utc::now())
        .await;
    assert!(matches!(stolen, Err(LedgerError::Duplicate)));
    assert!(all_entries(&ledger, &other).await.is_empty());
}

async fn limits_report_where_spending_stands_and_each_threshold_is_crossed_once(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Discord, "333").await;
    let usd = |a: &str| Money::new(dec(a), Currency::USD).expect("money");
    let wallet = ledger
        .set_limit(
            &s,
            &NewLimit {
                money: usd("50"),
                period: LimitPeriod::Monthly,
                category: None,
            },
            None,
        )
        .await
        .expect("wallet limit");
    // Replaced in place by a later limit for the same period and category.
    let wallet2 = ledger
        .set_limit(
            &s,
            &NewLimit {
                money: usd("100"),
                period: LimitPeriod::Monthly,
                category: None,
            },
            None,
        )
        .await
        .expect("wallet limit again");
    assert_eq!(wallet.id, wallet2.id);
    ledger
        .set_limit(
            &s,
            &NewLimit {
                money: usd("20"),
                period: LimitPeriod::Weekly,
                category: Some(cat("food")),
            },
            None,
        )
        .await
        .expect("food limit");
    assert_eq!(ledger.limits(&s).await.expect("limits").len(), 2);

    let step = |amount: &str, category: &str| expense(amount, category, None, today());
    let crossings = |r: &spendbot::ledger::Recorded| -> Vec<(Option<Category>, Threshold)> {
        r.crossings
            .iter()
            .map(|c| (c.limit.category.clone(), c.threshold))
            .collect()
    };

    let r = record(&ledger, &s, &[step("50", "transport")]).await;
    assert_eq!(crossings(&r), vec![]);
    assert_eq!(
        r.statuses.len(),
        1,
        "the food limit is not touched by transport"
    );
    assert_eq!(r.statuses[0].spent, dec("50"));
    assert_eq!(r.statuses[0].range, DateRange::month_of(today()));

    let r = record(&ledger, &s, &[step("30", "transport")]).await;
    assert_eq!(
        crossings(&r),
        vec![(None, Threshold::Warning)],
        "80 % of 100"
    );
    assert_eq!(r.crossings[0].range, DateRange::month_of(today()));

    let r = record(&ledger, &s, &[step("10", "transport")]).await;
    assert_eq!(crossings(&r), vec![], "90 %: nothing new");

    let r = record(&ledger, &s, &[step("15", "food")]).await;
    assert_eq!(
        crossings(&r),
        vec![(None, Threshold::Over)],
        "105 % of the wallet, 75 % of food"
    );
    assert_eq!(r.statuses.len(), 2);

    let r = record(&ledger, &s, &[step("5", "food")]).await;
    assert_eq!(
        crossings(&r),
        vec![
            (Some(cat("food")), Threshold::Warning),
            (Some(cat("food")), Threshold::Over)
        ],
        "75 % → 100 % passes both thresholds at once"
    );

    let r = record(&ledger, &s, &[step("5", "food")]).await;
    assert_eq!(crossings(&r), vec![], "each threshold is crossed once");

    // Other currencies and incomes never count towards a dollar limit.
    let euros = NewEntry {
        money: Money::new(dec("500"), eur()).expect("money"),
        ..step("1", "food")
    };
    let r = record(&ledger, &s, &[euros, income("1000", today())]).await;
    assert!(r.statuses.is_empty() && r.crossings.is_empty());

    // An expense dated last month counts in last month's period, not this one.
    let r = record(
        &ledger,
        &s,
        &[expense("85", "transport", None, d("2026-10-15"))],
    )
    .await;
    assert_eq!(crossings(&r), vec![(None, Threshold::Warning)]);
    assert_eq!(r.crossings[0].range, DateRange::month_of(d("2026-10-15")));
    assert_eq!(
        r.statuses[0].spent,
        dec("115"),
        "the status is of the period holding today"
    );

    let statuses = ledger.limit_statuses(&s, today()).await.expect("statuses");
    let wallet_status = statuses
        .iter()
        .find(|st| st.limit.category.is_none())
        .expect("wallet");
    assert_eq!(wallet_status.spent, dec("115"));
    assert_eq!(wallet_status.percent(), 115);
    let food_status = statuses
        .iter()
        .find(|st| st.limit.category.is_some())
        .expect("food");
    assert_eq!(food_status.spent, dec("25"));
    assert_eq!(food_status.range, DateRange::week_of(today()));

    assert!(
        ledger
            .remove_limit(&s, LimitPeriod::Weekly, Some(&cat("food")), None)
            .await
            .expect("remove")
    );
    assert!(
        !ledger
            .remove_limit(&s, LimitPeriod::Weekly, Some(&cat("food")), None)
            .await
            .expect("again")
    );
    assert!(
        !ledger
            .remove_limit(&s, LimitPeriod::Daily, None, None)
            .await
            .expect("none")
    );
    assert_eq!(ledger.limits(&s).await.expect("limits").len(), 1);
}

async fn undo_and_delete_touch_only_the_own_account(url: String) {
    let ledger = ledger(&url).await;
    let alice = session(&ledger, Platform::Console, "alice").await;
    let bob = session(&ledger, Platform::Console, "bob").await;
    let a = record(
        &ledger,
        &alice,
        &[
            expense("1", "food", None, today()),
            expense("2", "food", None, d("2026-01-01")),
        ],
    )
    .await;
    let b = record(&ledger, &bob, &[expense("3", "food", None, today())]).await;

    // Bob can neither delete nor see Alice's entries.
    assert!(
        ledger
            .delete(&bob, a.entries[0].id, None)
            .await
            .expect("delete")
            .is_none()
    );
    assert_eq!(all_entries(&ledger, &alice).await.len(), 2);

    // Undo takes the most recently recorded entry, not the one with the latest day.
    let undone = ledger
        .undo_last(&alice, None)
        .await
        .expect("undo")
        .expect("an entry");
    assert_eq!(undone.id, a.entries[1].id);
    let deleted = ledger
        .delete(&alice, a.entries[0].id, None)
        .await
        .expect("delete")
        .expect("entry");
    assert_eq!(deleted.money.amount(), dec("1"));
    assert!(
        ledger
            .delete(&alice, a.entries[0].id, None)
            .await
            .expect("again")
            .is_none()
    );
    assert!(
        ledger
            .undo_last(&alice, None)
            .await
            .expect("undo")
            .is_none()
    );
    assert!(
        ledger
            .delete(&alice, EntryId(i64::MAX), None)
            .await
            .expect("missing")
            .is_none()
    );

    assert_eq!(all_entries(&ledger, &bob).await.len(), 1);
    let bobs = ledger
        .undo_last(&bob, None)
        .await
        .expect("undo")
        .expect("bob's entry");
    assert_eq!(bobs.id, b.entries[0].id);
}

async fn two_accounts_never_see_each_others_data(url: String) {
    let ledger = ledger(&url).await;
    let alice = session(&ledger, Platform::Telegram, "1").await;
    // Same external id on another platform is another person.
    let bob = session(&ledger, Platform::Discord, "1").await;
    assert_ne!(alice.account.id, bob.account.id);
    // Case matters in external ids.
    let carol = session(&ledger, Platform::Console, "Carol").await;
    let carol_lower = session(&ledger, Platform::Console, "carol").await;
    assert_ne!(carol.account.id, carol_lower.account.id);

    record(
        &ledger,
        &alice,
        &[expense("10", "secret", Some("alice only"), today())],
    )
    .await;
    let usd = Money::new(dec("10"), Currency::USD).expect("money");
    ledger
        .set_limit(
            &alice,
            &NewLimit {
                money: usd,
                period: LimitPeriod::Daily,
                category: None,
            },
            None,
        )
        .await
        .expect("limit");
    ledger
        .set_pending(
            &alice,
            "alice's question",
            Utc::now() + Duration::minutes(5),
        )
        .await
        .expect("pending");

    assert!(all_entries(&ledger, &bob).await.is_empty());
    let search = EntryQuery {
        text: Some("alice".into()),
        ..EntryQuery::default()
    };
    assert!(
        ledger
            .entries(&bob, &search)
            .await
            .expect("search")
            .is_empty()
    );
    let summary = ledger
        .summary(&bob, DateRange::month_of(today()), None)
        .await
        .expect("summary");
    assert!(summary.by_category.is_empty() && summary.income.is_empty());
    assert!(ledger.limits(&bob).await.expect("limits").is_empty());
    assert!(
        ledger
            .limit_statuses(&bob, today())
            .await
            .expect("statuses")
            .is_empty()
    );
    assert!(
        !ledger
            .categories(&bob)
            .await
            .expect("categories")
            .contains(&cat("secret"))
    );
    assert!(
        ledger
            .take_pending(&bob, Utc::now())
            .await
            .expect("pending")
            .is_none()
    );
    assert!(
        !ledger
            .remove_limit(&bob, LimitPeriod::Daily, None, None)
            .await
            .expect("remove")
    );
    let r = record(&ledger, &bob, &[expense("20", "food", None, today())]).await;
    assert!(r.statuses.is_empty(), "alice's limit does not watch bob");

    assert_eq!(all_entries(&ledger, &alice).await.len(), 1);
    assert_eq!(ledger.limits(&alice).await.expect("limits").len(), 1);
    assert_eq!(
        ledger
            .take_pending(&alice, Utc::now())
            .await
            .expect("pending")
            .as_deref(),
        Some("alice's question")
    );
}

async fn link_codes_join_identities_and_nothing_recorded_is_lost(url: String) {
    let ledger = ledger(&url).await;
    let now = Utc::now();
    let alice = session(&ledger, Platform::Telegram, "10").await;
    let bob = session(&ledger, Platform::Discord, "20").await;
    record(
        &ledger,
        &alice,
        &[expense("1", "food", Some("alice"), today())],
    )
    .await;
    record(&ledger, &bob, &[expense("2", "food", Some("bob"), today())]).await;
    let usd = Money::new(dec("9"), Currency::USD).expect("money");
    ledger
        .set_limit(
            &bob,
            &NewLimit {
                money: usd,
                period: LimitPeriod::Daily,
                category: None,
            },
            None,
        )
        .await
        .expect("bob's limit");

    let code = ledger
        .create_link_code(&alice, None, now)
        .await
        .expect("code");
    assert_eq!(code.code.len(), 8);
    assert_eq!(code.expires_at, now + Duration::minutes(10));

    // Wrong and expired codes change nothing.
    let wrong = ledger.redeem_link_code(&bob, "ABCDEFGH", now, None).await;
    assert!(matches!(wrong, Err(LedgerError::InvalidCode)), "{wrong:?}");
    let garbage = ledger
        .redeem_link_code(&bob, "'; DROP TABLE link_codes; --", now, None)
        .await;
    assert!(matches!(garbage, Err(LedgerError::InvalidCode)));
    let late = ledger
        .redeem_link_code(&bob, &code.code, now + Duration::minutes(11), None)
        .await;
    assert!(matches!(late, Err(LedgerError::InvalidCode)));
    assert_eq!(
        session(&ledger, Platform::Discord, "20").await.account.id,
        bob.account.id
    );

    // A right code, typed in lower case, joins; bob's entries come along.
    let joined = ledger
        .redeem_link_code(
            &bob,
            &code.code.to_lowercase(),
            now,
            Some(&EventKey("dc:join".into())),
        )
        .await
        .expect("join");
    assert_eq!(joined.account.id, alice.account.id);
    assert_eq!(joined.identity_id, bob.identity_id);
    assert_eq!(
        session(&ledger, Platform::Discord, "20").await.account.id,
        alice.account.id
    );
    let mut notes: Vec<String> = all_entries(&ledger, &alice)
        .await
        .iter()
        .filter_map(|e| e.note.as_ref().map(|n| n.to_string()))
        .collect();
    notes.sort();
    assert_eq!(notes, vec!["alice", "bob"]);
    assert!(
        all_entries(&ledger, &joined)
            .await
            .iter()
            .all(|e| e.account_id == alice.account.id)
    );
    assert!(
        ledger.limits(&joined).await.expect("limits").is_empty(),
        "alice's limits apply"
    );

    // A used code is spent, for everyone.
    let carol = session(&ledger, Platform::Console, "carol").await;
    let reused = ledger.redeem_link_code(&carol, &code.code, now, None).await;
    assert!(matches!(reused, Err(LedgerError::InvalidCode)));
    assert_eq!(
        session(&ledger, Platform::Console, "carol")
            .await
            .account
            .id,
        carol.account.id
    );

    // Leaving an account that still has another identity moves nothing out of it.
    let dave = session(&ledger, Platform::Console, "dave").await;
    let dave_code = ledger
        .create_link_code(&dave, None, now)
        .await
        .expect("dave's code");
    let carol_in_dave = ledger
        .redeem_link_code(&carol, &dave_code.code, now, None)
        .await
        .expect("join dave");
    record(
        &ledger,
        &carol_in_dave,
        &[expense("3", "food", Some("shared"), today())],
    )
    .await;
    let alice_code = ledger
        .create_link_code(&alice, None, now)
        .await
        .expect("alice's code");
    let carol_in_alice = ledger
        .redeem_link_code(&carol_in_dave, &alice_code.code, now, None)
        .await
        .expect("join alice");
    assert_eq!(carol_in_alice.account.id, alice.account.id);
    assert_eq!(
        all_entries(&ledger, &dave).await.len(),
        1,
        "dave keeps the shared wallet"
    );
    assert_eq!(all_entries(&ledger, &alice).await.len(), 2);
}

async fn follow_up_state_is_taken_once_and_expires(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "444").await;
    let now = Utc::now();
    assert!(ledger.take_pending(&s, now).await.expect("empty").is_none());
    ledger
        .set_pending(&s, "{\"ask\":\"amount\"}", now + Duration::minutes(5))
        .await
        .expect("set");
    ledger
        .set_pending(
            &s,
            "{\"ask\":\"amount\",\"note\":\"coffee ☕\"}",
            now + Duration::minutes(5),
        )
        .await
        .expect("replace");
    let taken = ledger.take_pending(&s, now).await.expect("take");
    assert_eq!(
        taken.as_deref(),
        Some("{\"ask\":\"amount\",\"note\":\"coffee ☕\"}")
    );
    assert!(ledger.take_pending(&s, now).await.expect("gone").is_none());
    ledger
        .set_pending(&s, "stale", now + Duration::minutes(5))
        .await
        .expect("set");
    assert!(
        ledger
            .take_pending(&s, now + Duration::minutes(6))
            .await
            .expect("expired")
            .is_none()
    );
    assert!(
        ledger
            .take_pending(&s, now)
            .await
            .expect("removed")
            .is_none()
    );
}

async fn migrating_twice_is_a_no_op(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Web, "w@example.com").await;
    record(&ledger, &s, &[expense("1.5", "food", None, today())]).await;
    ledger.store().migrate().await.expect("second migration");
    let again = Store::connect(&url).await.expect("reconnect");
    again.migrate().await.expect("third migration");
    again.ping().await.expect("ping");
    let engine = again.engine();
    assert!(
        url.starts_with(engine) || (engine == "mysql" && url.starts_with("mariadb")),
        "{engine}"
    );
    assert_eq!(all_entries(&ledger, &s).await.len(), 1);
    again.close().await;
}

async fn concurrent_writers_queue_instead_of_failing(url: String) {
    let ledger = ledger(&url).await;
    // Many first contacts of one person at once make one account.
    let first: Vec<_> = (0..8)
        .map(|_| {
            let ledger = ledger.clone();
            tokio::spawn(async move { session(&ledger, Platform::Telegram, "555").await })
        })
        .collect();
    let mut accounts = Vec::new();
    for task in first {
        accounts.push(task.await.expect("task").account.id);
    }
    accounts.dedup();
    assert_eq!(accounts.len(), 1, "one account for one person");
    let s = session(&ledger, Platform::Telegram, "555").await;
    let usd = Money::new(dec("1000"), Currency::USD).expect("money");
    ledger
        .set_limit(
            &s,
            &NewLimit {
                money: usd,
                period: LimitPeriod::Monthly,
                category: None,
            },
            None,
        )
        .await
        .expect("limit");

    // 32 writers, each recording 10 expenses of 1, some of them redeliveries.
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let (ledger, s) = (ledger.clone(), s.clone());
            tokio::spawn(async move {
                let mut crossings = 0;
                for i in 0..10 {
                    let key = format!("tg:{}", (w * 10 + i) % 300);
                    let entries = [expense("2.5", "food", None, today())];
                    match ledger
                        .record(&s, &event(&key), &entries, today(), Utc::now())
                        .await
                    {
                        Ok(r) => crossings += r.crossings.len(),
                        Err(LedgerError::Duplicate) => {}
                        Err(e) => panic!("writer {w} failed: {e:?}"),
                    }
                }
                crossings
            })
        })
        .collect();
    let mut crossings = 0;
    for task in writers {
        crossings += task.await.expect("writer");
    }
    assert_eq!(
        all_entries_up_to(&ledger, &s, 1000).await,
        300,
        "each of the 300 events recorded once"
    );
    // 300 × 2.5 = 750: the 80 % mark (800) is not reached, so nothing was crossed.
    assert_eq!(crossings, 0);
    let statuses = ledger.limit_statuses(&s, today()).await.expect("statuses");
    assert_eq!(statuses[0].spent, dec("750"));
}

async fn all_entries_up_to(ledger: &Ledger, s: &Session, limit: u32) -> usize {
    ledger
        .entries(
            s,
            &EntryQuery {
                limit,
                ..EntryQuery::default()
            },
        )
        .await
        .expect("entries")
        .len()
}

async fn editing_a_message_changes_its_entries_in_place(url: String) {
    let ledger = ledger(&url).await;
    let alice = session(&ledger, Platform::Telegram, "801").await;
    let message = "tg:1:11";
    let source = Source {
        event: Some(EventKey("tg:update:1".into())),
        message: Some(message.into()),
        ..Source::default()
    };
    let recorded = ledger
        .record(
            &alice,
            &source,
            &[
                expense("10", "food", Some("lunch"), today()),
                expense("5", "transport", Some("bus"), today()),
            ],
            today(),
            Utc::now(),
        )
        .await
        .expect("record");
    let (first, second) = (recorded.entries[0].id, recorded.entries[1].id);
    // Something else in the same account, from another message, that no edit may touch.
    let other = ledger
        .record(
            &alice,
            &Source {
                event: None,
                message: Some("tg:1:12".into()),
                ..Source::default()
            },
            &[expense("1", "food", Some("gum"), today())],
            today(),
            Utc::now(),
        )
        .await
        .expect("record another message")
        .entries[0]
        .id;

    let edit = EventKey("tg:update:2".into());
    let (before, after) = ledger
        .edit_message_entries(
            &alice,
            message,
            &[expense("12.50", "food", Some("lunch, really"), today())],
            Some(&edit),
            Utc::now(),
        )
        .await
        .expect("edit")
        .expect("entries came from that message");
    let ids = |es: &[spendbot::domain::Entry]| es.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&before), vec![first, second], "before: in id order");
    assert_eq!(before[0].money.amount(), dec("10"));
    assert_eq!(
        ids(&after),
        vec![first],
        "changed in place, not a new entry"
    );
    assert_eq!(after[0].money.amount(), dec("12.50"));
    assert_eq!(after[0].recorded_by, Some(alice.identity_id));
    let listed = all_entries(&ledger, &alice).await;
    assert_eq!(ids(&listed), vec![other, first], "the second one is gone");
    let edited = listed.iter().find(|e| e.id == first).expect("edited entry");
    assert_eq!(edited.money.amount(), dec("12.50"));
    assert_eq!(
        edited.note.as_ref().map(Note::as_str),
        Some("lunch, really")
    );
    let summary = ledger
        .summary(&alice, DateRange::month_of(today()), None)
        .await
        .expect("summary");
    assert_eq!(summary.spent(), vec![(Currency::USD, dec("13.50"))]);
    assert!(
        summary
            .by_category
            .iter()
            .all(|c| c.category != cat("transport"))
    );

    // An edit of a message that recorded nothing changes nothing and claims no key.
    let unrelated = EventKey("tg:update:3".into());
    let none = ledger
        .edit_message_entries(
            &alice,
            "tg:1:99",
            &[expense("99", "food", None, today())],
            Some(&unrelated),
            Utc::now(),
        )
        .await
        .expect("edit of an unknown message");
    assert!(none.is_none());
    assert_eq!(all_entries(&ledger, &alice).await.len(), 2);

    // A redelivered edit is a duplicate and changes nothing.
    let again = ledger
        .edit_message_entries(
            &alice,
            message,
            &[expense("99", "food", None, today())],
            Some(&edit),
            Utc::now(),
        )
        .await;
    assert!(matches!(again, Err(LedgerError::Duplicate)), "{again:?}");
    let listed = all_entries(&ledger, &alice).await;
    let edited = listed.iter().find(|e| e.id == first).expect("edited entry");
    assert_eq!(edited.money.amount(), dec("12.50"));

    // Another account cannot edit it, even knowing the message reference.
    let bob = session(&ledger, Platform::Telegram, "802").await;
    let stolen = ledger
        .edit_message_entries(
            &bob,
            message,
            &[expense("0.01", "food", None, today())],
            None,
            Utc::now(),
        )
        .await
        .expect("another account's edit");
    assert!(stolen.is_none());
    assert!(all_entries(&ledger, &bob).await.is_empty());
    let listed = all_entries(&ledger, &alice).await;
    assert_eq!(ids(&listed), vec![other, first]);
    assert_eq!(
        listed
            .iter()
            .find(|e| e.id == first)
            .map(|e| e.money.amount()),
        Some(dec("12.50"))
    );

    // An edit into more entries inserts the extra ones from the same message (the key the
    // unknown message did not claim still works), and a later edit finds all of them.
    let (_, grown) = ledger
        .edit_message_entries(
            &alice,
            message,
            &[
                expense("12.50", "food", Some("lunch"), today()),
                expense("3", "transport", Some("tram"), d("2026-11-24")),
                income("40", today()),
            ],
            Some(&unrelated),
            Utc::now(),
        )
        .await
        .expect("edit into three")
        .expect("still from that message");
    assert_eq!(grown.len(), 3);
    assert_eq!(grown[0].id, first);
    assert!(grown[1].id > other && grown[2].id > grown[1].id);
    assert_eq!(grown[1].occurred_on, d("2026-11-24"));
    assert_eq!(grown[2].kind, EntryKind::Income);
    let (before, after) = ledger
        .edit_message_entries(
            &alice,
            message,
            &[expense("8", "food", None, today())],
            None,
            Utc::now(),
        )
        .await
        .expect("edit into one")
        .expect("still from that message");
    assert_eq!(ids(&before), ids(&grown));
    assert_eq!(ids(&after), vec![first]);
    let listed = all_entries(&ledger, &alice).await;
    assert_eq!(ids(&listed), vec![other, first]);

    // The old confirmation's Undo button still finds the entry by its id.
    let deleted = ledger
        .delete(&alice, first, None)
        .await
        .expect("delete")
        .expect("the edited entry");
    assert_eq!(deleted.money.amount(), dec("8"));
}

async fn the_category_of_an_entry_can_be_changed_only_by_its_account(url: String) {
    let ledger = ledger(&url).await;
    let alice = session(&ledger, Platform::Telegram, "811").await;
    let bob = session(&ledger, Platform::Telegram, "812").await;
    let done = record(
        &ledger,
        &alice,
        &[expense("7.25", "other", Some("beans"), today())],
    )
    .await;
    let id = done.entries[0].id;

    let key = EventKey("tg:callback:1".into());
    let changed = ledger
        .set_category(&alice, id, &cat("food"), Some(&key))
        .await
        .expect("set category")
        .expect("alice's entry");
    assert_eq!(changed.id, id);
    assert_eq!(changed.category, cat("food"));
    assert_eq!(changed.money.amount(), dec("7.25"));
    assert_eq!(changed.note.as_ref().map(Note::as_str), Some("beans"));
    assert_eq!(changed.occurred_on, today());

    // A redelivered button press changes nothing.
    let again = ledger
        .set_category(&alice, id, &cat("pets"), Some(&key))
        .await;
    assert!(matches!(again, Err(LedgerError::Duplicate)), "{again:?}");

    // Another account cannot change it, nor find out it exists.
    let stolen = ledger
        .set_category(&bob, id, &cat("pets"), None)
        .await
        .expect("bob's attempt");
    assert!(stolen.is_none());
    let missing = ledger
        .set_category(&alice, EntryId(i64::MAX), &cat("pets"), None)
        .await
        .expect("unknown entry");
    assert!(missing.is_none());

    let listed = all_entries(&ledger, &alice).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].category, cat("food"));
    let summary = ledger
        .summary(&alice, DateRange::month_of(today()), Some(&cat("food")))
        .await
        .expect("summary");
    assert_eq!(summary.spent(), vec![(Currency::USD, dec("7.25"))]);

    // A custom category is kept and offered afterwards.
    let custom = ledger
        .set_category(&alice, id, &cat("coffee"), None)
        .await
        .expect("custom category")
        .expect("alice's entry");
    assert_eq!(custom.category, cat("coffee"));
    let unchanged = ledger
        .set_category(&alice, id, &cat("coffee"), None)
        .await
        .expect("the same category again");
    assert_eq!(
        unchanged.map(|e| e.category),
        Some(cat("coffee")),
        "an entry that already has the category is still found"
    );
    let categories = ledger.categories(&alice).await.expect("categories");
    assert!(categories.contains(&cat("coffee")));
}

async fn identities_are_marked_unreachable_and_back(url: String) {
    let ledger = ledger(&url).await;
    let stranger = who(Platform::Telegram, "829");
    ledger
        .set_reachable(&stranger, false)
        .await
        .expect("an unknown identity is fine");
    assert!(ledger.is_reachable(&stranger).await.expect("reachable"));

    let alice = who(Platform::Telegram, "821");
    let first = session(&ledger, Platform::Telegram, "821").await;
    let bob = who(Platform::Telegram, "822");
    session(&ledger, Platform::Telegram, "822").await;
    let same_id_elsewhere = who(Platform::Discord, "821");
    session(&ledger, Platform::Discord, "821").await;
    assert!(ledger.is_reachable(&alice).await.expect("reachable"));

    ledger.set_reachable(&alice, false).await.expect("blocked");
    assert!(!ledger.is_reachable(&alice).await.expect("reachable"));
    assert!(ledger.is_reachable(&bob).await.expect("reachable"));
    assert!(
        ledger
            .is_reachable(&same_id_elsewhere)
            .await
            .expect("reachable")
    );
    ledger.set_reachable(&alice, false).await.expect("twice");
    assert!(!ledger.is_reachable(&alice).await.expect("reachable"));

    ledger.set_reachable(&alice, true).await.expect("unblocked");
    assert!(ledger.is_reachable(&alice).await.expect("reachable"));

    // A person who writes to the bot is reachable again, in the same account.
    ledger.set_reachable(&alice, false).await.expect("blocked");
    let back = ledger
        .session(&alice, Some("821"), None)
        .await
        .expect("session");
    assert!(!back.created);
    assert_eq!(back.account.id, first.account.id);
    assert_eq!(back.identity_id, first.identity_id);
    assert!(ledger.is_reachable(&alice).await.expect("reachable"));
    // A new identity starts reachable.
    session(&ledger, Platform::Telegram, "829").await;
    assert!(ledger.is_reachable(&stranger).await.expect("reachable"));
}

async fn a_question_is_removed_only_by_the_recording_that_answers_it(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "445").await;
    let now = Utc::now();
    let asked = "{\"ask\":\"amount\",\"note\":\"lunch\"}";
    ledger
        .set_pending(&s, asked, now + Duration::minutes(5))
        .await
        .expect("asked");
    ledger
        .record(
            &s,
            &event("tg:answer:1"),
            &[expense("3", "food", None, today())],
            today(),
            now,
        )
        .await
        .expect("an earlier message");
    // The answer comes as a redelivery of an event applied before: nothing is recorded, so
    // the question stays for the real answer.
    let redelivered = Source {
        answers_pending: true,
        ..event("tg:answer:1")
    };
    let entries = [expense("12", "food", Some("lunch"), today())];
    assert!(matches!(
        ledger
            .record(&s, &redelivered, &entries, today(), now)
            .await,
        Err(LedgerError::Duplicate)
    ));
    assert_eq!(
        ledger.pending(&s, now).await.expect("read").as_deref(),
        Some(asked)
    );
    let answer = Source {
        answers_pending: true,
        ..event("tg:answer:2")
    };
    ledger
        .record(&s, &answer, &entries, today(), now)
        .await
        .expect("answered");
    assert!(
        ledger.pending(&s, now).await.expect("read").is_none(),
        "the answer removed the question in its transaction"
    );
}

async fn old_rows_are_pruned_and_what_keeps_exactly_once_stays(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "446").await;
    let now = Utc::now();
    let long_ago = now - Duration::days(40);
    let day = long_ago.date_naive();
    for n in 0..3 {
        ledger
            .record(
                &s,
                &event(&format!("tg:old:{n}")),
                &[expense("1", "food", None, day)],
                day,
                long_ago,
            )
            .await
            .expect("an old recording");
    }
    ledger
        .record(
            &s,
            &event("tg:new:1"),
            &[expense("2", "food", None, today())],
            today(),
            now,
        )
        .await
        .expect("a new recording");
    for at in [long_ago, now] {
        ledger
            .start_email_verification(&s, "me@example.com", None, at)
            .await
            .expect("a code");
        for alert in ledger
            .claim_alerts("mailer", at, 10, Duration::hours(1))
            .await
            .expect("claimed")
        {
            ledger
                .alert_sent(alert.id, "mailer", at)
                .await
                .expect("sent");
        }
    }
    ledger
        .create_link_code(&s, None, long_ago)
        .await
        .expect("an old link code");
    ledger
        .set_pending(&s, "{}", long_ago + Duration::minutes(5))
        .await
        .expect("an old question");

    // 3 event claims, 1 sent notice, 1 email code, 1 link code, 1 question.
    assert_eq!(ledger.prune(now).await.expect("pruned"), 7);
    assert_eq!(ledger.prune(now).await.expect("again"), 0, "nothing left");
    // What is recent still keeps a redelivery out; entries are never pruned.
    assert!(matches!(
        ledger
            .record(
                &s,
                &event("tg:new:1"),
                &[expense("2", "food", None, today())],
                today(),
                now,
            )
            .await,
        Err(LedgerError::Duplicate)
    ));
    assert_eq!(all_entries(&ledger, &s).await.len(), 4);
}

/// The summary (read from the daily totals) against the entries themselves.
async fn assert_sums_match_entries(ledger: &Ledger, s: &Session, range: DateRange) {
    let summary = ledger.summary(s, range, None).await.expect("summary");
    let entries = all_entries(ledger, s).await;
    for name in ["food", "transport", "fun"] {
        let c = cat(name);
        let by_hand: Decimal = entries
            .iter()
            .filter(|e| e.kind == EntryKind::Expense && e.category == c)
            .filter(|e| range.contains(e.occurred_on))
            .map(|e| e.money.amount())
            .sum();
        assert_eq!(
            summary.spent_in(Currency::USD, Some(&c)),
            by_hand,
            "{name}: {summary:?} against {entries:?}"
        );
    }
    let shown: Vec<&str> = summary
        .by_category
        .iter()
        .map(|r| r.category.as_str())
        .collect();
    assert!(
        summary.by_category.iter().all(|r| !r.total.is_zero()),
        "no category without entries is shown: {shown:?}"
    );
}

async fn sums_follow_every_change_of_the_entries(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "447").await;
    let other = session(&ledger, Platform::Discord, "447").await;
    let range = DateRange::month_of(today());
    let recorded = record(
        &ledger,
        &s,
        &[
            expense("10", "food", Some("lunch"), today()),
            expense("4.50", "transport", None, today()),
            expense("7", "food", None, d("2026-11-02")),
        ],
    )
    .await;
    assert_sums_match_entries(&ledger, &s, range).await;
    let ids: Vec<_> = recorded.entries.iter().map(|e| e.id).collect();

    // An edit of amount, category and day; a category change; a deletion.
    ledger
        .edit_entry(
            &s,
            ids[0],
            &expense("12", "fun", Some("lunch"), d("2026-11-03")),
            None,
            Utc::now(),
        )
        .await
        .expect("edited");
    assert_sums_match_entries(&ledger, &s, range).await;
    ledger
        .set_category(&s, ids[2], &cat("transport"), None)
        .await
        .expect("moved");
    assert_sums_match_entries(&ledger, &s, range).await;
    ledger.delete(&s, ids[1], None).await.expect("deleted");
    assert_sums_match_entries(&ledger, &s, range).await;

    // Another identity's wallet joins this one: its entries move, and so do their sums.
    record(&ledger, &other, &[expense("3", "food", None, today())]).await;
    let code = ledger
        .create_link_code(&s, None, Utc::now())
        .await
        .expect("a code");
    let joined = ledger
        .redeem_link_code(&other, &code.code, Utc::now(), None)
        .await
        .expect("linked");
    assert_sums_match_entries(&ledger, &joined, range).await;
    assert_eq!(
        ledger
            .summary(&joined, range, None)
            .await
            .expect("summary")
            .spent_in(Currency::USD, None),
        dec("22")
    );
}
