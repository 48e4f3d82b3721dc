use std::net::{IpAddr, Ipv4Addr};

use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::Extensions;
use truffle_node::services::members::{CodeSent, LoggedIn, PhoneVerified, ResetPasswordRequest};
use truffle_node::Node;

use crate::{error, ClientAddr};
use truffle_wire::api::AuthApiServer;

pub(crate) struct AuthHandler {
    pub(crate) node: Node,
}

/// The client's address, for per-client throttles.
pub(crate) fn client(ext: &Extensions) -> IpAddr {
    ext.get::<ClientAddr>()
        .map(|a| a.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

#[async_trait]
impl AuthApiServer for AuthHandler {
    async fn request_phone_code(&self, ext: &Extensions, phone: String) -> RpcResult<CodeSent> {
        self.node
            .members()
            .request_code(&self.node, &phone, client(ext))
            .await
            .map_err(error::member)
    }

    async fn verify_phone_code(
        &self,
        ext: &Extensions,
        phone: String,
        code: String,
    ) -> RpcResult<PhoneVerified> {
        self.node
            .members()
            .verify_code(&self.node, &phone, &code, client(ext))
            .await
            .map_err(error::member)
    }

    async fn login(
        &self,
        ext: &Extensions,
        email: String,
        password: String,
    ) -> RpcResult<LoggedIn> {
        self.node
            .members()
            .login(&self.node, &email, &password, client(ext))
            .await
            .map_err(error::member)
    }

    async fn reset_password(
        &self,
        ext: &Extensions,
        request: ResetPasswordRequest,
    ) -> RpcResult<()> {
        self.node
            .members()
            .reset_password(&self.node, request, client(ext))
            .await
            .map_err(error::member)
    }

    async fn logout(&self, session_token: String) -> RpcResult<()> {
        self.node
            .members()
            .logout(&self.node, &session_token)
            .await
            .map_err(error::member)
    }
}
