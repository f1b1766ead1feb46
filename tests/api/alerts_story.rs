//! The alerts' story, told against every engine: thresholds passed write one outbox row each,
//! in the same transaction as the expense, once per limit, period and threshold ever; workers
//! claim alerts exclusively until a claim goes stale, retry them or give up; email addresses
//! are verified with six-digit codes that travel through the outbox; alerts reach only the
//! identities that can be written to.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::stories::{ledger, session, who};
use spendbot::bot::EventKey;
use spendbot::domain::{
    Category, Currency, DateRange, EntryKind, LimitId, LimitPeriod, Money, NewEntry, NewLimit,
    Platform,
};
use spendbot::ledger::{
    AccountOverview, Alert, AlertKind, AlertRecipients, EmailSettings, Ledger, LedgerError,
    Session, Source, Threshold,
};

crate::each_engine!(
    crossing_80_then_100_percent_writes_one_outbox_row_each_and_never_a_second_for_the_period,
    a_claimed_alert_is_not_claimed_again_until_stale_and_failures_retry_or_stop,
    two_concurrent_claimers_never_get_the_same_alert_and_together_get_them_all,
    email_verification_queues_a_code_and_only_the_newest_unused_unexpired_one_verifies,
    alerts_reach_only_reachable_identities_and_a_verified_address_with_alerts_on,
    edits_and_category_changes_that_pass_a_limit_write_its_alerts_once,
    a_code_dies_after_five_wrong_guesses_and_a_redelivered_command_changes_nothing,
    raising_a_limit_mid_period_alerts_again_for_the_new_amount,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn today() -> NaiveDate {
    d("2026-11-25")
}

fn usd(amount: &str) -> Money {
    Money::new(
        Decimal::from_str_exact(amount).expect("decimal"),
        Currency::USD,
    )
    .expect("money")
}

fn expense(amount: &str, category: &str, day: NaiveDate) -> NewEntry {
    NewEntry {
        kind: EntryKind::Expense,
        money: usd(amount),
        category: Category::parse(category).expect("category"),
        note: None,
        occurred_on: day,
    }
}

fn event(key: &str) -> Source {
    Source {
        event: Some(EventKey(key.to_owned())),
        message: None,
        ..Source::default()
    }
}

async fn set_limit(
    ledger: &Ledger,
    s: &Session,
    amount: &str,
    period: LimitPeriod,
    category: Option<&str>,
) -> LimitId {
    let limit = NewLimit {
        money: usd(amount),
        period,
        category: category.map(|c| Category::parse(c).expect("category")),
    };
    ledger.set_limit(s, &limit, None).await.expect("limit").id
}

async fn record(
    ledger: &Ledger,
    s: &Session,
    source: &Source,
    entries: &[NewEntry],
) -> Result<spendbot::ledger::Recorded, LedgerError> {
    ledger.record(s, source, entries, today(), Utc::now()).await
}

/// A moment after every alert written so far is due.
fn later() -> DateTime<Utc> {
    Utc::now() + Duration::days(1)
}

/// Claims everything due and marks it sent: the alerts written since the last drain.
async fn drain(ledger: &Ledger) -> Vec<Alert> {
    let alerts = ledger
        .claim_alerts("drain", later(), 1000, Duration::hours(1))
        .await
        .expect("claim");
    for a in &alerts {
        ledger
            .alert_sent(a.id, "drain", later())
            .await
            .expect("sent");
    }
    alerts
}

/// (limit, first day of the period, threshold) of each limit alert, in claim order.
fn limit_keys(alerts: &[Alert]) -> Vec<(LimitId, NaiveDate, Threshold)> {
    alerts
        .iter()
        .map(|a| match &a.kind {
            AlertKind::Limit {
                limit,
                range,
                threshold,
            } => (limit.id, range.from, *threshold),
            other => panic!("not a limit alert: {other:?}"),
        })
        .collect()
}

async fn crossing_80_then_100_percent_writes_one_outbox_row_each_and_never_a_second_for_the_period(
    url: String,
) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "501").await;
    let wallet = set_limit(&ledger, &s, "100", LimitPeriod::Monthly, None).await;
    let november = DateRange::month_of(today()).from;

    // 85 of 100: the warning, once, in the same transaction as the expense.
    let r = record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("85", "food", today())],
    )
    .await
    .expect("record");
    assert_eq!(r.crossings.len(), 1, "the bot still words the crossing");
    let alerts = drain(&ledger).await;
    assert_eq!(
        limit_keys(&alerts),
        vec![(wallet, november, Threshold::Warning)]
    );
    assert_eq!(alerts[0].account.id, s.account.id);
    assert_eq!(alerts[0].attempts, 1);
    let AlertKind::Limit { limit, range, .. } = &alerts[0].kind else {
        unreachable!()
    };
    assert_eq!(limit.money, usd("100"));
    assert_eq!(*range, DateRange::month_of(today()));

    // 105: over, once; 115: nothing more.
    record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("20", "food", today())],
    )
    .await
    .expect("record");
    assert_eq!(
        limit_keys(&drain(&ledger).await),
        vec![(wallet, november, Threshold::Over)]
    );
    record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("10", "food", today())],
    )
    .await
    .expect("record");
    assert!(drain(&ledger).await.is_empty());

    // Undone back to 85, then over again: the period was alerted already.
    ledger
        .undo_last(&s, None)
        .await
        .expect("undo")
        .expect("one");
    ledger
        .undo_last(&s, None)
        .await
        .expect("undo")
        .expect("two");
    let again = record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("30", "food", today())],
    )
    .await
    .expect("record");
    assert_eq!(again.crossings.len(), 1, "the chat reply still says so");
    assert!(drain(&ledger).await.is_empty(), "never a second row");

    // A redelivered event writes nothing, even when the sums it reads would pass a mark: the
    // food limit is set after the event was first applied.
    record(&ledger, &s, &event("pre"), &[expense("5", "pets", today())])
        .await
        .expect("record");
    drain(&ledger).await;
    set_limit(&ledger, &s, "4", LimitPeriod::Daily, Some("pets")).await;
    let redelivered = record(&ledger, &s, &event("pre"), &[expense("5", "pets", today())]).await;
    assert!(matches!(redelivered, Err(LedgerError::Duplicate)));
    assert!(drain(&ledger).await.is_empty());

    // One recording passing both marks of a weekly limit, redelivered: two rows, once.
    let weekly = set_limit(&ledger, &s, "20", LimitPeriod::Weekly, Some("transport")).await;
    let week = DateRange::week_of(today()).from;
    let both = [expense("25", "transport", today())];
    record(&ledger, &s, &event("taxi"), &both)
        .await
        .expect("record");
    let redelivered = record(&ledger, &s, &event("taxi"), &both).await;
    assert!(matches!(redelivered, Err(LedgerError::Duplicate)));
    let mut keys = limit_keys(&drain(&ledger).await);
    keys.sort_by_key(|k| k.2.percent());
    assert_eq!(
        keys,
        vec![
            (weekly, week, Threshold::Warning),
            (weekly, week, Threshold::Over)
        ]
    );

    // The next period starts fresh: December's own rows, November's untouched.
    let december = d("2026-12-02");
    record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("90", "food", december)],
    )
    .await
    .expect("record");
    assert_eq!(
        limit_keys(&drain(&ledger).await),
        vec![(wallet, d("2026-12-01"), Threshold::Warning)]
    );
    record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("1", "food", today())],
    )
    .await
    .expect("record");
    assert!(drain(&ledger).await.is_empty());

    // The body of an alert: the month's summary and the last expenses, newest first.
    let AccountOverview {
        summary,
        recent: last,
    } = ledger
        .account_overview(s.account.id, DateRange::month_of(today()), 2)
        .await
        .expect("overview");
    assert_eq!(
        summary.spent(),
        vec![(Currency::USD, Decimal::from(85 + 30 + 5 + 25 + 1))]
    );
    assert_eq!(last.len(), 2);
    assert!(last[0].id > last[1].id);
    assert!(last.iter().all(|e| e.kind == EntryKind::Expense));
}

async fn a_claimed_alert_is_not_claimed_again_until_stale_and_failures_retry_or_stop(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Discord, "601").await;
    set_limit(&ledger, &s, "10", LimitPeriod::Monthly, None).await;
    record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("20", "food", today())],
    )
    .await
    .expect("record");
    let t0 = Utc::now() + Duration::seconds(1);
    let stale = Duration::minutes(5);

    let first = ledger
        .claim_alerts("w1", t0, 10, stale)
        .await
        .expect("claim");
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|a| a.attempts == 1));
    let taken = ledger
        .claim_alerts("w2", t0 + Duration::minutes(1), 10, stale)
        .await
        .expect("claim");
    assert!(taken.is_empty(), "claimed by a live worker");

    // w1 died: after the stale time its claims are taken over, one attempt more.
    let reclaimed = ledger
        .claim_alerts("w2", t0 + Duration::minutes(6), 10, stale)
        .await
        .expect("claim");
    let ids = |a: &[Alert]| a.iter().map(|a| a.id).collect::<HashSet<_>>();
    assert_eq!(ids(&reclaimed), ids(&first));
    assert!(reclaimed.iter().all(|a| a.attempts == 2));

    let (sent, retried) = (reclaimed[0].id, reclaimed[1].id);
    // w1 comes back late: its claims were taken over, so it records nothing.
    assert!(matches!(
        ledger
            .alert_sent(sent, "w1", t0 + Duration::minutes(7))
            .await,
        Err(LedgerError::NotFound)
    ));
    ledger
        .alert_failed(retried, "w1", "too late", None)
        .await
        .expect("ignored");
    ledger
        .alert_sent(sent, "w2", t0 + Duration::minutes(7))
        .await
        .expect("sent");
    let long_error = "boom ".repeat(300);
    ledger
        .alert_failed(retried, "w2", &long_error, Some(t0 + Duration::minutes(30)))
        .await
        .expect("failed, to retry");
    let early = ledger
        .claim_alerts("w3", t0 + Duration::minutes(29), 10, stale)
        .await
        .expect("claim");
    assert!(
        early.is_empty(),
        "not before its retry time; sent ones never"
    );
    let retry = ledger
        .claim_alerts("w3", t0 + Duration::minutes(30), 10, stale)
        .await
        .expect("claim");
    assert_eq!(
        retry.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![retried]
    );
    assert_eq!(retry[0].attempts, 3);

    // Failed for good: never claimed again, not even as stale.
    ledger
        .alert_failed(retried, "w3", "400 Bad Request", None)
        .await
        .expect("failed");
    let never = ledger
        .claim_alerts("w4", t0 + Duration::days(30), 10, stale)
        .await
        .expect("claim");
    assert!(never.is_empty());
    // A failure report after delivery changes nothing.
    ledger
        .alert_failed(sent, "w2", "late", Some(t0))
        .await
        .expect("ignored");
    assert!(
        ledger
            .claim_alerts("w4", t0 + Duration::days(30), 10, stale)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(matches!(
        ledger.alert_sent(i64::MAX, "w2", t0).await,
        Err(LedgerError::NotFound)
    ));
}

async fn two_concurrent_claimers_never_get_the_same_alert_and_together_get_them_all(url: String) {
    let setup = ledger(&url).await;
    let s = session(&setup, Platform::Telegram, "701").await;
    set_limit(&setup, &s, "10", LimitPeriod::Daily, None).await;
    // 25 days, each over its daily limit: 50 alerts from one recording.
    let days: Vec<NewEntry> = (1..=25)
        .map(|day| expense("20", "food", d(&format!("2026-11-{day:02}"))))
        .collect();
    record(&setup, &s, &Source::default(), &days)
        .await
        .expect("record");
    let now = Utc::now() + Duration::seconds(1);

    // Two ledgers with pools of their own, as two `serve` processes would have.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let mut workers = tokio::task::JoinSet::new();
    for name in ["left", "right"] {
        let ledger = ledger(&url).await;
        let barrier = barrier.clone();
        workers.spawn(async move {
            barrier.wait().await;
            let mut mine = Vec::new();
            loop {
                let got = ledger
                    .claim_alerts(name, now, 3, Duration::hours(1))
                    .await
                    .expect("claim");
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|a| a.id));
                tokio::task::yield_now().await;
            }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = workers.join_next().await {
        all.extend(done.expect("worker"));
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "an alert was claimed twice");
    assert_eq!(all.len(), 50, "together they claim every alert");
}

async fn email_verification_queues_a_code_and_only_the_newest_unused_unexpired_one_verifies(
    url: String,
) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "801").await;
    let other = session(&ledger, Platform::Telegram, "802").await;
    let t0 = Utc::now();
    let code_of = |alerts: &[Alert]| -> (String, String) {
        assert_eq!(alerts.len(), 1, "one code queued");
        assert_eq!(alerts[0].account.id, s.account.id);
        match &alerts[0].kind {
            AlertKind::EmailCode { email, code } => (email.clone(), code.clone()),
            k => panic!("not an email code: {k:?}"),
        }
    };
    let claim = |at: DateTime<Utc>| {
        let ledger = ledger.clone();
        async move {
            let alerts = ledger
                .claim_alerts("mailer", at, 10, Duration::hours(1))
                .await
                .expect("claim");
            for a in &alerts {
                ledger.alert_sent(a.id, "mailer", at).await.expect("sent");
            }
            alerts
        }
    };

    for bad in ["me", "me@example", "m e@example.com", "a@b@example.com"] {
        assert!(matches!(
            ledger.start_email_verification(&s, bad, None, t0).await,
            Err(LedgerError::InvalidEmail)
        ));
    }
    assert_eq!(ledger.email_settings(&s).await.expect("status"), None);
    assert!(
        claim(t0).await.is_empty(),
        "nothing queued for a bad address"
    );

    ledger
        .start_email_verification(&s, " me@example.com ", None, t0)
        .await
        .expect("start");
    let (email, first) = code_of(&claim(t0).await);
    assert_eq!(email, "me@example.com");
    assert_eq!(first.len(), 6);
    assert_eq!(
        ledger.email_settings(&s).await.expect("status"),
        Some(EmailSettings {
            email: "me@example.com".into(),
            verified: false,
            alerts_on: false,
        })
    );
    assert_eq!(
        ledger
            .alert_recipients(s.account.id)
            .await
            .expect("to")
            .email,
        None
    );

    // Wrong codes change nothing: not six digits, off by one, another account's attempt.
    let wrong = format!("{}{}", &first[..5], (first.as_bytes()[5] - b'0' + 1) % 10);
    for attempt in ["abc", "12345", wrong.as_str()] {
        assert!(matches!(
            ledger.verify_email(&s, attempt, None, t0).await,
            Err(LedgerError::InvalidCode)
        ));
    }
    assert!(matches!(
        ledger.verify_email(&other, &first, None, t0).await,
        Err(LedgerError::InvalidCode)
    ));
    assert_eq!(ledger.email_settings(&other).await.expect("status"), None);

    // A second code: only the newest counts; expired, it counts no more.
    ledger
        .start_email_verification(&s, "me@example.com", None, t0 + Duration::minutes(1))
        .await
        .expect("again");
    let (_, second) = code_of(&claim(t0 + Duration::minutes(1)).await);
    if second != first {
        assert!(matches!(
            ledger
                .verify_email(&s, &first, None, t0 + Duration::minutes(2))
                .await,
            Err(LedgerError::InvalidCode)
        ));
    }
    assert!(matches!(
        ledger
            .verify_email(&s, &second, None, t0 + Duration::minutes(17))
            .await,
        Err(LedgerError::InvalidCode)
    ));
    assert_eq!(
        ledger.email_settings(&s).await.expect("status"),
        Some(EmailSettings {
            email: "me@example.com".into(),
            verified: false,
            alerts_on: false,
        })
    );

    let verified = ledger
        .verify_email(&s, &format!(" {second} "), None, t0 + Duration::minutes(2))
        .await
        .expect("verified");
    assert_eq!(verified, "me@example.com");
    assert_eq!(
        ledger.email_settings(&s).await.expect("status"),
        Some(EmailSettings {
            email: "me@example.com".into(),
            verified: true,
            alerts_on: true,
        })
    );
    assert_eq!(
        ledger
            .alert_recipients(s.account.id)
            .await
            .expect("to")
            .email,
        Some("me@example.com".into())
    );
    // Used: no more.
    assert!(matches!(
        ledger
            .verify_email(&s, &second, None, t0 + Duration::minutes(3))
            .await,
        Err(LedgerError::InvalidCode)
    ));

    // /email off: the address stays verified, no more emails.
    assert!(ledger.email_off(&s).await.expect("off"));
    assert!(!ledger.email_off(&s).await.expect("already off"));
    assert_eq!(
        ledger.email_settings(&s).await.expect("status"),
        Some(EmailSettings {
            email: "me@example.com".into(),
            verified: true,
            alerts_on: false,
        })
    );
    assert_eq!(
        ledger
            .alert_recipients(s.account.id)
            .await
            .expect("to")
            .email,
        None
    );

    // Five codes in an hour, not six: two so far, three more, then TooMany (nothing queued).
    for minute in 4..7 {
        ledger
            .start_email_verification(&s, "me@example.com", None, t0 + Duration::minutes(minute))
            .await
            .expect("within the hour");
    }
    assert_eq!(claim(t0 + Duration::minutes(7)).await.len(), 3);
    assert!(matches!(
        ledger
            .start_email_verification(&s, "new@example.com", None, t0 + Duration::minutes(8))
            .await,
        Err(LedgerError::TooMany)
    ));
    assert!(claim(t0 + Duration::minutes(8)).await.is_empty());
    assert_eq!(
        ledger.email_settings(&s).await.expect("status"),
        Some(EmailSettings {
            email: "me@example.com".into(),
            verified: true,
            alerts_on: false,
        }),
        "a refused request changes nothing"
    );
    // Another account has its own five.
    ledger
        .start_email_verification(&other, "other@example.com", None, t0 + Duration::minutes(8))
        .await
        .expect("other account");

    // An hour after the first ones, a new address: unverified until its own code.
    ledger
        .start_email_verification(&s, "new@example.com", None, t0 + Duration::minutes(62))
        .await
        .expect("after the hour");
    assert_eq!(
        ledger.email_settings(&s).await.expect("status"),
        Some(EmailSettings {
            email: "new@example.com".into(),
            verified: false,
            alerts_on: false,
        })
    );
}

async fn alerts_reach_only_reachable_identities_and_a_verified_address_with_alerts_on(url: String) {
    let ledger = ledger(&url).await;
    let now = Utc::now();
    let telegram = who(Platform::Telegram, "901");
    let discord = who(Platform::Discord, "901");
    let alice = session(&ledger, Platform::Telegram, "901").await;
    let on_discord = session(&ledger, Platform::Discord, "901").await;
    let code = ledger
        .create_link_code(&alice, None, now)
        .await
        .expect("code");
    ledger
        .redeem_link_code(&on_discord, &code.code, now, None)
        .await
        .expect("linked");
    let stranger = session(&ledger, Platform::Telegram, "902").await;

    let to = ledger
        .alert_recipients(alice.account.id)
        .await
        .expect("recipients");
    assert_eq!(
        to,
        AlertRecipients {
            chats: vec![telegram.clone(), discord.clone()],
            email: None,
        }
    );

    ledger
        .set_reachable(&telegram, false)
        .await
        .expect("blocked");
    let to = ledger
        .alert_recipients(alice.account.id)
        .await
        .expect("recipients")
        .chats;
    assert_eq!(to, vec![discord.clone()], "the blocked identity is skipped");
    ledger
        .set_reachable(&discord, false)
        .await
        .expect("closed DMs");
    let to = ledger
        .alert_recipients(alice.account.id)
        .await
        .expect("recipients")
        .chats;
    assert!(to.is_empty());
    let to = ledger
        .alert_recipients(stranger.account.id)
        .await
        .expect("recipients")
        .chats;
    assert_eq!(to, vec![who(Platform::Telegram, "902")]);
}

async fn edits_and_category_changes_that_pass_a_limit_write_its_alerts_once(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "9001").await;
    let food = set_limit(&ledger, &s, "100", LimitPeriod::Monthly, Some("food")).await;
    let wallet = set_limit(&ledger, &s, "300", LimitPeriod::Monthly, None).await;
    let month = d("2026-11-01");

    // 85 of "other", then moved into food: 85 % of the food limit.
    let beans = record(
        &ledger,
        &s,
        &Source::default(),
        &[expense("85", "other", today())],
    )
    .await
    .expect("recorded")
    .entries[0]
        .id;
    assert!(drain(&ledger).await.is_empty());
    ledger
        .set_category(&s, beans, &Category::parse("food").expect("food"), None)
        .await
        .expect("moved")
        .expect("found");
    assert_eq!(
        limit_keys(&drain(&ledger).await),
        vec![(food, month, Threshold::Warning)]
    );

    // An edit of the amount on the web: past 100 % of food.
    let edited = ledger
        .edit_entry(
            &s,
            beans,
            &expense("120", "food", today()),
            None,
            Utc::now(),
        )
        .await
        .expect("edited")
        .expect("found");
    assert_eq!(edited.before.money, usd("85"));
    assert_eq!(edited.after.money, usd("120"));
    assert_eq!(edited.crossings.len(), 1);
    assert_eq!(
        limit_keys(&drain(&ledger).await),
        vec![(food, month, Threshold::Over)]
    );

    // A chat message edited to a bigger amount: the wallet passes 80 % and 100 % (120 + 200).
    let source = Source {
        event: None,
        message: Some("tg:1:77".into()),
        ..Source::default()
    };
    record(&ledger, &s, &source, &[expense("10", "other", today())])
        .await
        .expect("recorded");
    assert!(drain(&ledger).await.is_empty());
    ledger
        .edit_message_entries(
            &s,
            "tg:1:77",
            &[expense("200", "other", today())],
            None,
            Utc::now(),
        )
        .await
        .expect("edited")
        .expect("found");
    let mut keys = limit_keys(&drain(&ledger).await);
    keys.sort_by_key(|k| k.2.percent());
    assert_eq!(
        keys,
        vec![
            (wallet, month, Threshold::Warning),
            (wallet, month, Threshold::Over)
        ]
    );

    // Edits within the same periods never alert a threshold twice; other accounts' ids do
    // nothing.
    ledger
        .edit_entry(
            &s,
            beans,
            &expense("150", "food", today()),
            None,
            Utc::now(),
        )
        .await
        .expect("edited");
    assert!(drain(&ledger).await.is_empty());
    let other = session(&ledger, Platform::Telegram, "9002").await;
    let stolen = ledger
        .edit_entry(
            &other,
            beans,
            &expense("1", "food", today()),
            None,
            Utc::now(),
        )
        .await
        .expect("no error");
    assert!(stolen.is_none());
}

async fn a_code_dies_after_five_wrong_guesses_and_a_redelivered_command_changes_nothing(
    url: String,
) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "811").await;
    let t0 = Utc::now();
    // The codes of the email alerts written since the last look.
    let queued = || async {
        drain(&ledger)
            .await
            .into_iter()
            .filter_map(|a| match a.kind {
                AlertKind::EmailCode { code, .. } => Some(code),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let email_event = EventKey("tg:1:7001".into());
    ledger
        .start_email_verification(&s, "me@example.com", Some(&email_event), t0)
        .await
        .expect("start");
    assert!(matches!(
        ledger
            .start_email_verification(&s, "me@example.com", Some(&email_event), t0)
            .await,
        Err(LedgerError::Duplicate)
    ));
    let codes = queued().await;
    assert_eq!(codes.len(), 1, "a redelivered /email sends one code");
    let code = &codes[0];

    // A redelivered wrong guess counts once; five wrong guesses kill the code.
    let wrong = format!("{}{}", &code[..5], (code.as_bytes()[5] - b'0' + 1) % 10);
    let first_guess = EventKey("tg:1:7002".into());
    for _ in 0..3 {
        let guessed = ledger
            .verify_email(&s, &wrong, Some(&first_guess), t0)
            .await;
        assert!(matches!(
            guessed,
            Err(LedgerError::InvalidCode | LedgerError::Duplicate)
        ));
    }
    for n in 3..=6 {
        let event = EventKey(format!("tg:1:70{n:02}"));
        assert!(matches!(
            ledger.verify_email(&s, &wrong, Some(&event), t0).await,
            Err(LedgerError::InvalidCode)
        ));
    }
    assert!(
        matches!(
            ledger
                .verify_email(&s, code, Some(&EventKey("tg:1:7099".into())), t0)
                .await,
            Err(LedgerError::InvalidCode)
        ),
        "after five wrong guesses the right code no longer works"
    );
    assert_eq!(
        ledger
            .email_settings(&s)
            .await
            .expect("status")
            .map(|e| e.verified),
        Some(false)
    );

    // Four wrong guesses leave a fresh code alive.
    ledger
        .start_email_verification(&s, "me@example.com", None, t0 + Duration::minutes(1))
        .await
        .expect("a new code");
    let fresh = queued().await;
    let fresh = &fresh[0];
    let wrong = format!("{}{}", &fresh[..5], (fresh.as_bytes()[5] - b'0' + 1) % 10);
    for _ in 0..4 {
        assert!(matches!(
            ledger.verify_email(&s, &wrong, None, t0).await,
            Err(LedgerError::InvalidCode)
        ));
    }
    assert_eq!(
        ledger
            .verify_email(&s, fresh, None, t0 + Duration::minutes(2))
            .await
            .expect("the fifth try is right"),
        "me@example.com"
    );

    // A redelivered /link makes one code.
    let link_event = EventKey("tg:1:7100".into());
    ledger
        .create_link_code(&s, Some(&link_event), t0)
        .await
        .expect("a code");
    assert!(matches!(
        ledger.create_link_code(&s, Some(&link_event), t0).await,
        Err(LedgerError::Duplicate)
    ));
}

async fn raising_a_limit_mid_period_alerts_again_for_the_new_amount(url: String) {
    let ledger = ledger(&url).await;
    let s = session(&ledger, Platform::Telegram, "821").await;
    // Entries of the running period, by the real clock: that is the period a new amount
    // re-arms.
    let now = Utc::now();
    let day = now.date_naive();
    let spend = |amount: &'static str| {
        let (ledger, s) = (ledger.clone(), s.clone());
        async move {
            ledger
                .record(
                    &s,
                    &Source::default(),
                    &[expense(amount, "food", day)],
                    day,
                    now,
                )
                .await
                .expect("recorded");
        }
    };
    let wallet = set_limit(&ledger, &s, "100", LimitPeriod::Monthly, None).await;
    spend("120").await;
    let first: Vec<Threshold> = limit_keys(&drain(&ledger).await)
        .into_iter()
        .map(|(_, _, t)| t)
        .collect();
    assert!(first.contains(&Threshold::Over), "{first:?}");

    // The same amount again re-arms nothing.
    assert_eq!(
        set_limit(&ledger, &s, "100", LimitPeriod::Monthly, None).await,
        wallet
    );
    spend("1").await;
    assert!(drain(&ledger).await.is_empty(), "no second alert for 100");

    // Raised to 200: 121 so far, then past 160 (80 %) and past 200.
    assert_eq!(
        set_limit(&ledger, &s, "200", LimitPeriod::Monthly, None).await,
        wallet
    );
    spend("50").await;
    let warned = limit_keys(&drain(&ledger).await);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0].2, Threshold::Warning);
    spend("40").await;
    let over = limit_keys(&drain(&ledger).await);
    assert_eq!(over.len(), 1, "{over:?}");
    assert_eq!(over[0].2, Threshold::Over);

    // Lowered below what is spent (211): over the new amount already, so it alerts at once.
    assert_eq!(
        set_limit(&ledger, &s, "150", LimitPeriod::Monthly, None).await,
        wallet
    );
    let lowered: Vec<Threshold> = limit_keys(&drain(&ledger).await)
        .into_iter()
        .map(|(_, _, t)| t)
        .collect();
    assert!(lowered.contains(&Threshold::Over), "{lowered:?}");
}
