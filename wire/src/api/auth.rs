//! `auth_*`: phone verification and sessions.

use crate::members::{CodeSent, LoggedIn, PhoneVerified, ResetPasswordRequest};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;

/// Phone verification and sessions.
#[rpc(server, client, namespace = "auth")]
pub trait AuthApi {
    /// Sends a 6-digit code by SMS (throttled per phone and per client address).
    #[method(name = "requestPhoneCode", with_extensions)]
    async fn request_phone_code(&self, phone: String) -> RpcResult<CodeSent>;

    /// Checks the code; returns a short-lived, single-use verification token for signup.
    /// Errors 3004/3005/3006 mean: go back to the start of signup.
    #[method(name = "verifyPhoneCode", with_extensions)]
    async fn verify_phone_code(&self, phone: String, code: String) -> RpcResult<PhoneVerified>;

    /// Email and password → a session token that every node accepts.
    #[method(name = "login", with_extensions)]
    async fn login(&self, email: String, password: String) -> RpcResult<LoggedIn>;

    /// Sets a new password for the member whose email this is and whose phone the
    /// verification token (from `auth_verifyPhoneCode`) proves; the token is used up
    /// and every session of the account ends. Throttled like a login.
    #[method(name = "resetPassword", with_extensions)]
    async fn reset_password(&self, request: ResetPasswordRequest) -> RpcResult<()>;

    /// Ends the session on every node.
    #[method(name = "logout")]
    async fn logout(&self, session_token: String) -> RpcResult<()>;
}
