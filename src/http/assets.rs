//! Static assets compiled into the binary and served with long-lived cache headers; their URLs
//! carry a content hash, so a new release never meets a stale cached copy.

use std::sync::LazyLock;

use actix_web::{get, web, HttpResponse};

use crate::auth::tokens::sha256_hex;
use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/app.css"),
    },
    Asset {
        name: "booking.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/booking.js"),
    },
    Asset {
        name: "approvals.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/approvals.js"),
    },
    Asset {
        name: "embedded.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/embedded.js"),
    },
    Asset {
        name: "embed.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/embed.js"),
    },
    Asset {
        name: "booking_links.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/booking_links.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../../static/favicon.svg"),
    },
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let joined: String = ASSETS.iter().map(|asset| asset.body).collect();
    sha256_hex(&joined)[..12].to_owned()
});

/// The cache-busting version to append to asset URLs in templates.
pub fn version() -> &'static str {
    &VERSION
}

/// Browsers and crawlers ask for `/favicon.ico` whatever the page declares; send them to the
/// icon there is.
#[get("/favicon.ico")]
pub async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header(("Location", format!("/static/favicon.svg?v={}", version())))
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .finish()
}

/// The script customers put on their own pages, at the address they copied once: cached for a
/// day and revalidated by its version, so a release reaches every site within a day.
#[get("/{script:embed|route}.js")]
pub async fn embed_script(req: actix_web::HttpRequest) -> HttpResponse {
    let etag = format!("\"{}\"", version());
    let unchanged = req
        .headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == etag.as_bytes());
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .insert_header(("ETag", etag));
    if unchanged {
        return response.finish();
    }
    response
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../static/embed.js"))
}

#[get("/static/{name}", name = "asset")]
pub async fn serve_asset(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == name.as_str())
        .ok_or_else(|| AppError::NotFound("no such asset".into()))?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(asset.body))
}
