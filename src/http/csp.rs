//! The Content-Security-Policy every page carries, and its variants for pages whose forms go
//! to an identity provider or that other sites may frame.

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The policy for a page whose forms may also go to `origins` (a form that starts an OAuth
/// sign-in is redirected to the provider, which `form-action` governs too).
pub fn content_security_policy_with_form_targets(origins: &[String]) -> String {
    let mut allowed = String::from("form-action 'self'");
    for origin in origins {
        allowed.push(' ');
        allowed.push_str(origin);
    }
    CONTENT_SECURITY_POLICY.replace("form-action 'self'", &allowed)
}

/// The policy for an embeddable page, which the sites in `origins` may frame.
pub fn content_security_policy_with_frame_ancestors(origins: &[String]) -> String {
    let allowed = if origins.is_empty() {
        "frame-ancestors 'none'".to_owned()
    } else {
        format!("frame-ancestors {}", origins.join(" "))
    };
    CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", &allowed)
}
