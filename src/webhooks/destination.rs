//! Where webhooks may go. A destination is an `https` URL whose host resolves only to public
//! addresses, unless `webhooks.allow_private_destinations` is on: otherwise whoever manages
//! webhooks could make Convene call services on its own network (SSRF). The check runs when
//! a subscription is saved and again inside the delivery client's DNS resolver, at connect
//! time, so a name that later resolves to a private address gets no request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use crate::config::WebhookSettings;

/// The longest destination URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// How long saving a subscription waits for its host name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A destination must answer within this long, body included, for a delivery to count.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a destination is refused. The texts complete "url …" in a problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("{0}")]
    Malformed(String),
    #[error(
        "must be an https URL (http is allowed only with webhooks.allow_private_destinations)"
    )]
    NotHttps,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("points at {address}, {kind}; only public destinations are allowed")]
    Private { address: IpAddr, kind: &'static str },
    #[error("names a host that does not resolve ({0})")]
    Unresolvable(String),
}

/// A destination URL as typed, checked for shape (not yet for where it resolves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination(Url);

impl Destination {
    /// Parses `raw`; `allow_private` admits `http` as well as `https`.
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, DestinationError> {
        let raw = crate::values::required_text(raw, MAX_URL_CHARS)
            .map_err(DestinationError::Malformed)?;
        let url = Url::parse(&raw)
            .map_err(|error| DestinationError::Malformed(format!("is not a URL ({error})")))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_private => {}
            _ => return Err(DestinationError::NotHttps),
        }
        if url.host().is_none() {
            return Err(DestinationError::Malformed("names no host".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(DestinationError::Credentials);
        }
        if !allow_private {
            if let Some(address) = literal_address(&url) {
                refuse_private(address)?;
            }
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// Resolves the host and refuses it when any of its addresses is not public (a name that
    /// resolves to both could be steered to the private one). Nothing to do when private
    /// destinations are allowed.
    pub async fn check_resolves_publicly(
        &self,
        allow_private: bool,
    ) -> Result<(), DestinationError> {
        if allow_private || literal_address(&self.0).is_some() {
            return Ok(());
        }
        let Some(Host::Domain(host)) = self.0.host() else {
            return Ok(());
        };
        let port = self.0.port_or_known_default().unwrap_or(443);
        let addresses = tokio::time::timeout(
            RESOLVE_TIMEOUT,
            tokio::net::lookup_host((host.to_owned(), port)),
        )
        .await
        .map_err(|_| DestinationError::Unresolvable("no answer within 5 s".into()))?
        .map_err(|error| DestinationError::Unresolvable(error.to_string()))?;
        let mut any = false;
        for address in addresses {
            any = true;
            refuse_private(address.ip())?;
        }
        if any {
            Ok(())
        } else {
            Err(DestinationError::Unresolvable("no addresses".into()))
        }
    }
}

fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(address) => Some(IpAddr::V4(address)),
        Host::Ipv6(address) => Some(IpAddr::V6(address)),
        Host::Domain(_) => None,
    }
}

fn refuse_private(address: IpAddr) -> Result<(), DestinationError> {
    match non_public(address) {
        Some(kind) => Err(DestinationError::Private { address, kind }),
        None => Ok(()),
    }
}

/// What kind of non-public address `address` is, or `None` for a public one.
fn non_public(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = address.octets();
    if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_private() {
        Some("a private address")
    } else if address.is_link_local() {
        Some("a link-local address")
    } else if address.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if address.is_multicast() || address.is_broadcast() || a >= 240 {
        Some("a multicast or reserved address")
    } else if a == 192 && b == 0 && address.octets()[2] == 0 {
        Some("a reserved address")
    } else {
        None
    }
}

fn non_public_v6(address: Ipv6Addr) -> Option<&'static str> {
    let segments = address.segments();
    if let Some(v4) = address.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., high, low] = segments;
        return non_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_unspecified() {
        Some("an unspecified address")
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if segments[0] & 0xffc0 == 0xfe80 || segments[0] & 0xffc0 == 0xfec0 {
        Some("a link-local address")
    } else if address.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// The delivery client's DNS resolver: the system's, refusing names that resolve to any
/// non-public address unless private destinations are allowed. Checking here, at connect
/// time, leaves no gap between the check and the connection for the answer to change.
pub struct PublicOnlyResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private {
                for address in &found {
                    refuse_private(address.ip())?;
                }
            }
            let addresses: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}

impl PublicOnlyResolver {
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

/// The one HTTP client of all deliveries: connections stay open between deliveries to the
/// same destination, redirects are not followed (a redirect could lead anywhere, a private
/// address included), no proxy is used (it would resolve names past the check), and names
/// resolve through [`PublicOnlyResolver`].
pub fn delivery_client(settings: &WebhookSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ATTEMPT_TIMEOUT)
        .pool_max_idle_per_host(usize::try_from(settings.max_in_flight).unwrap_or(32))
        .tcp_nodelay(true)
        .user_agent(concat!("Convene-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(PublicOnlyResolver::shared(
            settings.allow_private_destinations,
        ))
        .build()
        .expect("an HTTP client with the built-in TLS roots always builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> DestinationError {
        Destination::parse(raw, false).unwrap_err()
    }

    #[test]
    fn https_urls_to_public_hosts_are_accepted() {
        for good in [
            "https://hooks.example.com/convene",
            "https://93.184.216.34:8443/in?x=1",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/",
        ] {
            assert!(Destination::parse(good, false).is_ok(), "{good}");
        }
    }

    #[test]
    fn http_and_private_literals_are_refused_unless_allowed() {
        assert_eq!(
            refused("http://hooks.example.com/"),
            DestinationError::NotHttps
        );
        for private in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
        ] {
            assert!(
                matches!(refused(private), DestinationError::Private { .. }),
                "{private}"
            );
            assert!(Destination::parse(private, true).is_ok(), "{private}");
        }
        assert!(Destination::parse("http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[test]
    fn odd_urls_are_refused_with_a_reason() {
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://exa\u{0}mple.com/",
            "https://example.com/\u{202E}",
            "https://example.com/\nx",
        ] {
            assert!(Destination::parse(bad, false).is_err(), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert!(matches!(refused(&long), DestinationError::Malformed(_)));
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused() {
        let destination = Destination::parse("https://localhost/", false).unwrap();
        assert!(matches!(
            destination.check_resolves_publicly(false).await,
            Err(DestinationError::Private { .. })
        ));
        assert!(destination.check_resolves_publicly(true).await.is_ok());
    }
}
