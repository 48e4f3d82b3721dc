//! A local fake of PortOne V2 or Toss Payments as a process of its own, for the browser
//! end-to-end test (web/e2e), which is not Rust and cannot start
//! `truffle_payments::fakes` in-process. Test-only: it is a binary of the test crate,
//! never of `truffle`, and it listens on 127.0.0.1 only.
//!
//! ```text
//! fake-gateway portone --api-secret S --store-id ID --webhook-secret whsec_…
//! fake-gateway toss --secret-key test_sk_… --client-key test_ck_…
//! ```
//!
//! It prints `fake <gateway>: <base URL>` once listening, then reads commands from
//! standard input, one a line: `webhook-url <url>` (where webhooks go, known once the
//! node is up). It exits when standard input closes, so it never outlives its test.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use tokio::io::AsyncBufReadExt;
use truffle_payments::fakes::{FakePortOne, FakeToss};
use truffle_payments::standard_webhooks::WebhookSecret;

const USAGE: &str = "usage: fake-gateway portone --api-secret S --store-id ID --webhook-secret whsec_…\n       fake-gateway toss --secret-key S --client-key C";

/// `--name value` pairs.
fn flags(args: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut rest = args.iter();
    while let Some(name) = rest.next() {
        let Some(name) = name.strip_prefix("--") else {
            bail!("unexpected argument {name:?}\n{USAGE}");
        };
        let value = rest
            .next()
            .with_context(|| format!("--{name} needs a value"))?;
        out.insert(name.to_owned(), value.clone());
    }
    Ok(out)
}

fn flag<'a>(flags: &'a BTreeMap<String, String>, name: &str) -> anyhow::Result<&'a str> {
    flags
        .get(name)
        .map(String::as_str)
        .with_context(|| format!("--{name} is required\n{USAGE}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((gateway, rest)) = args.split_first() else {
        bail!("{USAGE}");
    };
    let flags = flags(rest)?;
    let set_webhook_url: Box<dyn Fn(&str)> = match gateway.as_str() {
        "portone" => {
            let secret = WebhookSecret::parse(flag(&flags, "webhook-secret")?)?;
            let fake = FakePortOne::start(
                flag(&flags, "api-secret")?,
                flag(&flags, "store-id")?,
                secret,
            )
            .await?;
            println!("fake portone: {}", fake.url);
            Box::new(move |url| fake.set_webhook_url(url))
        }
        "toss" => {
            let fake =
                FakeToss::start(flag(&flags, "secret-key")?, flag(&flags, "client-key")?).await?;
            println!("fake toss: {}", fake.url);
            Box::new(move |url| fake.set_webhook_url(url))
        }
        other => bail!("unknown gateway {other:?}\n{USAGE}"),
    };
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.trim().split_once(' ') {
            Some(("webhook-url", url)) => {
                set_webhook_url(url.trim());
                println!("webhook-url set");
            }
            _ if line.trim().is_empty() => {}
            _ => eprintln!("unknown command {line:?}"),
        }
    }
    Ok(())
}
