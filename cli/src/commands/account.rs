use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::json;
use truffle_ledger::types::Gender;
use truffle_ledger::Keypair;
use truffle_wire::api::{AccountApiClient, AuthApiClient};
use truffle_wire::keyfile::{read_key_file, write_key_file};
use truffle_wire::members::{SignupRequest, UpdateRequest};

use crate::args::AccountCommand;
use crate::client::{connect, explain};
use crate::common_args::SessionArgs;
use crate::output::print;

fn gender(text: &str) -> anyhow::Result<Gender> {
    match text.to_lowercase().as_str() {
        "female" | "f" | "여" | "여성" => Ok(Gender::Female),
        "male" | "m" | "남" | "남성" => Ok(Gender::Male),
        "other" | "기타" => Ok(Gender::Other),
        other => bail!("--gender {other:?}: use female, male or other"),
    }
}

/// The password from a file, or TRUFFLE_PASSWORD (never a flag: flags end up in shell history).
fn password(file: Option<&Path>) -> anyhow::Result<String> {
    match file {
        Some(path) => Ok(std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .trim_end_matches(['\n', '\r'])
            .to_owned()),
        None => std::env::var("TRUFFLE_PASSWORD")
            .context("give the password with --password-file or TRUFFLE_PASSWORD"),
    }
}

fn read_session(args: &SessionArgs) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(&args.session_file).with_context(|| {
        format!(
            "not logged in (no {}): run `truffle account login`",
            args.session_file.display()
        )
    })?;
    Ok(text.trim().to_owned())
}

fn write_session(args: &SessionArgs, token: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&args.session_file)
        .with_context(|| format!("cannot write {}", args.session_file.display()))?;
    file.write_all(token.as_bytes())?;
    Ok(())
}

pub(crate) async fn run(command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Signup {
            email,
            name,
            gender: gender_text,
            birth_year,
            phone,
            address,
            key,
            code,
            password_file,
            rpc,
        } => {
            let password = password(password_file.as_deref())?;
            let wallet = if key.exists() {
                read_key_file(&key)?
            } else {
                let wallet = Keypair::generate();
                write_key_file(&key, &wallet)?;
                eprintln!(
                    "created wallet key {} (keep it: it signs your transactions)",
                    key.display()
                );
                wallet
            };
            let client = connect(&rpc.rpc)?;
            // The wallet key signs its own signup, bound to this chain.
            let chain = truffle_wire::api::SystemApiClient::version(&client)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?
                .chain_id;
            let sent = client
                .request_phone_code(phone.clone())
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            eprintln!(
                "a code was sent to {phone}; it is valid for {} s",
                sent.expires_in_secs
            );
            let code = match code {
                Some(code) => code,
                None => {
                    eprint!("code: ");
                    std::io::stderr().flush()?;
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim().to_owned()
                }
            };
            let verified = client
                .verify_phone_code(phone.clone(), code)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            let request = SignupRequest {
                email,
                password,
                name,
                gender: gender(&gender_text)?,
                birth_year,
                address,
                phone,
                verification_token: verified.verification_token,
                public_key: wallet.public(),
                key_proof: truffle_ledger::Signature([0; 64]),
            }
            .sign_with(&chain, &wallet);
            let signed_up = client
                .signup(request)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &signed_up, || {
                format!(
                    "member {} registered in block {}",
                    signed_up.account, signed_up.height
                )
            });
        }
        AccountCommand::Login {
            email,
            password_file,
            session,
        } => {
            let password = password(password_file.as_deref())?;
            let client = connect(&session.rpc.rpc)?;
            let logged_in = client
                .login(email, password)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            write_session(&session, &logged_in.session_token)?;
            let value =
                json!({ "account": logged_in.account, "expires_at_ms": logged_in.expires_at_ms });
            print(session.rpc.output, &value, || {
                format!(
                    "logged in as {}; session saved to {}",
                    logged_in.account,
                    session.session_file.display()
                )
            });
        }
        AccountCommand::Logout { session } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            client
                .logout(token)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            let _ = std::fs::remove_file(&session.session_file);
            println!("logged out");
        }
        AccountCommand::Me { session } => {
            let token = read_session(&session)?;
            let client = connect(&session.rpc.rpc)?;
            let me = client
                .me(token)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &me, || {
                format!(
                    "{} <{}> {}\n  account {} ({:?}, {:?})\n  {:?}, born {}, {}\n  seller {:?}",
                    me.name,
                    me.email,
                    me.phone,
                    me.account,
                    me.role,
                    me.status,
                    me.gender,
                    me.birth_year,
                    me.address.as_deref().unwrap_or("no address"),
                    me.seller
                )
            });
        }
        AccountCommand::Update {
            name,
            gender: gender_text,
            address,
            new_password_file,
            password_file,
            session,
        } => {
            let token = read_session(&session)?;
            let (new_password, current_password) = match &new_password_file {
                Some(path) => (
                    Some(password(Some(path))?),
                    Some(password(password_file.as_deref())?),
                ),
                None => (None, None),
            };
            let changes = UpdateRequest {
                name,
                gender: gender_text.as_deref().map(gender).transpose()?,
                address,
                new_password,
                current_password,
                ..UpdateRequest::default()
            };
            let client = connect(&session.rpc.rpc)?;
            let me = client
                .update(token, changes)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            print(session.rpc.output, &me, || {
                format!("updated {} <{}>", me.name, me.email)
            });
        }
        AccountCommand::Delete {
            password_file,
            session,
        } => {
            let token = read_session(&session)?;
            let password = password(password_file.as_deref())?;
            let client = connect(&session.rpc.rpc)?;
            let height = client
                .delete(token, password)
                .await
                .map_err(|e| explain(e, &session.rpc.rpc))?;
            let _ = std::fs::remove_file(&session.session_file);
            println!("withdrawn in block {height}; your personal data is erased");
        }
        AccountCommand::KakaoCode { session } => crate::commands::chat::kakao_code(session).await?,
        AccountCommand::KakaoUnlink { session } => {
            crate::commands::chat::kakao_unlink(session).await?
        }
    }
    Ok(())
}
