//! The embeddable variant of the prospect's pages (`?embed=1`): which sites may frame it, and
//! how its forms stay protected inside a cross-site frame, where the browser sends no
//! `SameSite` cookie and the double-submit CSRF cookie cannot work.

use std::future::{ready, Ready};

use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY, ORIGIN, REFERRER_POLICY};
use actix_web::{FromRequest, HttpRequest, HttpResponse};

use crate::http::csp::content_security_policy_with_frame_ancestors;

/// Whether this request asks for the embeddable variant (`embed=1` in the query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Embedded(pub bool);

impl Embedded {
    /// `url` with `embed=1` added when this is the embeddable variant, so every link and form
    /// of an embedded page stays embedded.
    pub fn keep(self, url: &str) -> String {
        if !self.0 {
            return url.to_owned();
        }
        let (address, fragment) = url.split_at(url.find('#').unwrap_or(url.len()));
        let separator = if address.contains('?') { '&' } else { '?' };
        format!("{address}{separator}embed=1{fragment}")
    }
}

impl FromRequest for Embedded {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(Embedded(asks_for_embed(req))))
    }
}

fn asks_for_embed(req: &HttpRequest) -> bool {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(key, value)| key == "embed" && matches!(value.as_ref(), "1" | "true"))
}

/// Lets the sites in `origins` frame this response; with none listed, nobody may.
pub fn allow_framing(response: &mut HttpResponse, origins: &[String]) {
    let policy = content_security_policy_with_frame_ancestors(origins);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, value);
    }
    // Under `no-referrer` a browser sends `Origin: null` even on a same-origin post; the
    // embedded forms are recognised by their origin, which `same-origin` still sends to
    // Convene alone.
    response
        .headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// An embedded page's form post that its own page sent: the URL asks for the embedded variant
/// and the browser says the post comes from Convene's own origin. A page of another site can
/// make a browser post a form here, but its `Origin` then names that site, and browsers let no
/// page change the header.
pub fn is_embedded_post_from_own_origin(req: &HttpRequest, public_base: &str) -> bool {
    if !asks_for_embed(req) {
        return false;
    }
    let same_origin_fetch = req
        .headers()
        .get("sec-fetch-site")
        .is_none_or(|site| site.as_bytes() == b"same-origin");
    let Some(origin) = req.headers().get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    same_origin_fetch && crate::config::parse_origin(public_base).is_ok_and(|own| own == origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_urls_stay_embedded() {
        assert_eq!(Embedded(true).keep("/m/abc"), "/m/abc?embed=1");
        assert_eq!(
            Embedded(true).keep("/m/abc?booked=1"),
            "/m/abc?booked=1&embed=1"
        );
        assert_eq!(Embedded(false).keep("/m/abc"), "/m/abc");
        assert_eq!(
            Embedded(true).keep("/m/abc?cancel=1#cancel"),
            "/m/abc?cancel=1&embed=1#cancel"
        );
    }

    fn post(headers: &[(&str, &str)], uri: &str) -> HttpRequest {
        let mut request = actix_web::test::TestRequest::post().uri(uri);
        for &(name, value) in headers {
            request = request.insert_header((name, value));
        }
        request.to_http_request()
    }

    #[test]
    fn only_embedded_posts_from_the_own_origin_pass() {
        let own = "http://127.0.0.1:8080";
        let from = |origin: &str, site: &str| {
            vec![
                ("origin", origin.to_owned()),
                ("sec-fetch-site", site.to_owned()),
            ]
        };
        let check = |headers: Vec<(&str, String)>, uri: &str| {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            is_embedded_post_from_own_origin(&post(&headers, uri), own)
        };
        assert!(check(from(own, "same-origin"), "/book/x?embed=1"));
        assert!(check(vec![("origin", own.to_owned())], "/book/x?embed=1"));
        assert!(!check(from(own, "same-origin"), "/book/x"));
        assert!(!check(
            from("https://evil.example", "cross-site"),
            "/book/x?embed=1"
        ));
        assert!(!check(from(own, "cross-site"), "/book/x?embed=1"));
        assert!(!check(vec![], "/book/x?embed=1"));
    }
}
