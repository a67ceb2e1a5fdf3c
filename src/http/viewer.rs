//! Who is calling: no Authorization header is an anonymous viewer; a bad token is a 401 with
//! the reason, never a silent downgrade to anonymous.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

use crate::access::Viewer;
use crate::auth::bearer_token;
use crate::error::Error;
use crate::state::AppState;

/// The viewer of `req`.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<Viewer, Error> {
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let header = header
        .to_str()
        .map_err(|_| Error::unauthenticated("Authorization header is not ASCII"))?;
    let token = bearer_token(header).map_err(|e| Error::unauthenticated(e.to_string()))?;
    match state.auth.verify(token, state.clock.now().seconds()).await {
        Ok(identity) => Ok(Viewer::User(state.user_for(&identity).await?)),
        Err(e) if e.is_upstream() => {
            state
                .metrics
                .auth_failures
                .with_label_values(&["upstream"])
                .inc();
            // The cause (issuer URL, OS error) is for the log, not for whoever sent a token.
            Err(Error::upstream("identity provider unavailable", e))
        }
        Err(e) => {
            state
                .metrics
                .auth_failures
                .with_label_values(&["invalid"])
                .inc();
            Err(Error::unauthenticated(e.to_string()))
        }
    }
}
