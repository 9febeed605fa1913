//! Free-mail domains, which never identify a company's account.

const DOMAINS: &str = include_str!("free_mail_domains.txt");

/// Whether `domain` (already lower-case) belongs to a free mail service.
pub fn is_free_mail(domain: &str) -> bool {
    DOMAINS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|known| known == domain)
}
