//! What members send, checked and kept safe: phones and emails normalized, the password
//! policy and session tokens (argon2id runs in [`crate::pool`]).

use rand::RngCore;
use truffle_ledger::Hash;

use crate::members::MemberError;

type Result<T> = std::result::Result<T, MemberError>;

pub(crate) fn year_at(now_ms: u64) -> u16 {
    truffle_ledger::tx::age_in_years(0, now_ms) as u16
}

/// `010-1234-5678`, `01012345678`, `+82 10 1234 5678` → `+821012345678`.
pub fn normalize_phone(input: &str) -> Result<String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(MemberError::InvalidPhone);
    }
    let e164 = if compact.starts_with('+') {
        format!("+{digits}")
    } else if digits.starts_with("01") && (10..=11).contains(&digits.len()) {
        format!("+82{}", &digits[1..])
    } else {
        return Err(MemberError::InvalidPhone);
    };
    if !(9..=16).contains(&e164.len()) {
        return Err(MemberError::InvalidPhone);
    }
    Ok(e164)
}

/// Trimmed, lower-case, and shaped like an address.
pub fn normalize_email(input: &str) -> Result<String> {
    let email = input.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err(MemberError::InvalidEmail);
    };
    let valid = !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(MemberError::InvalidEmail)
    }
}

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "qwertyuiop",
    "iloveyou",
    "truffle",
    "abcd1234",
    "password1",
    "passw0rd",
    "admin1234",
    "letmein",
    "welcome",
    "sunshine",
    "q1w2e3r4",
];

/// Minimum strength: 10+ characters mixing 3 of lower, upper, digit, symbol (or 16+
/// mixing 2), not a common password, not containing the email's name.
pub fn check_password(password: &str, email: &str) -> Result<()> {
    let mut reasons = Vec::new();
    let length = password.chars().count();
    if length < 10 {
        reasons.push("use at least 10 characters".to_owned());
    }
    if length > 128 {
        reasons.push("use at most 128 characters".to_owned());
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < 3 && !(length >= 16 && classes >= 2) {
        reasons.push("mix at least three of lower-case, upper-case, digits and symbols".to_owned());
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.iter().any(|common| lower.contains(common)) {
        reasons.push("avoid common passwords".to_owned());
    }
    if let Some((local, _)) = email.split_once('@') {
        if local.len() >= 4 && lower.contains(local) {
            reasons.push("do not include your email's name".to_owned());
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(MemberError::WeakPassword { reasons })
    }
}

pub(crate) fn check_text(field: &'static str, value: &str, min: usize, max: usize) -> Result<()> {
    let count = value.trim().chars().count();
    if count < min || count > max || value.chars().any(|c| c.is_control()) {
        return Err(MemberError::InvalidField {
            field,
            reason: format!("must be {min} to {max} characters, without control characters"),
        });
    }
    Ok(())
}

pub(crate) fn parse_token(token: &str) -> Option<Hash> {
    let bytes: [u8; 32] = truffle_ledger::hash::parse_hex_array(token).ok()?;
    Some(Hash::of(&bytes))
}

pub(crate) fn new_token() -> (String, Hash) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    (hex::encode(bytes), Hash::of(&bytes))
}

/// A hash that matches nothing, verified when the email is unknown so that a wrong
/// email and a wrong password take the same time.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2m5w5m0k0sQqW3c3yhrq0+4Y1NwaH1sR3c3d2ZkQ2c0";
