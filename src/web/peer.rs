//! Who is on the other end of a request: the client's address (through a trusted load
//! balancer, the one it names in `X-Forwarded-For`), and whether a request was made on
//! this machine rather than through a proxy, which is what `/metrics` asks.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// Headers by which a proxy says whom it forwards for.
const FORWARDING_HEADERS: [&str; 3] = ["x-forwarded-for", "forwarded", "x-real-ip"];

/// The client's address: the peer's, unless the peer is one of `trusted` proxies and
/// names the client in `X-Forwarded-For`, whose last entry is the one that proxy wrote
/// (entries before it are whatever the client sent). `None` when the peer is unknown.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    // A listener on [::] sees IPv4 peers as ::ffff:a.b.c.d; compared as IPv4.
    let peer = req.peer_addr()?.ip().to_canonical();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .last()
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical());
    Some(forwarded.unwrap_or(peer))
}

/// The address sign-in throttling counts: an IPv4 address whole, an IPv6 one by its
/// /64 network. A subscriber is given at least a /64, so counting single IPv6
/// addresses would hand a guesser billions of fresh ones.
pub fn throttling_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

/// True for a request from a loopback address that no proxy forwarded: one made on
/// this machine, e.g. by a Prometheus agent beside the instance.
pub fn is_local(req: &HttpRequest) -> bool {
    let loopback = req
        .peer_addr()
        .is_some_and(|peer| peer.ip().to_canonical().is_loopback());
    loopback
        && FORWARDING_HEADERS
            .iter()
            .all(|name| !req.headers().contains_key(*name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use std::net::AddrParseError;

    fn request(peer: &str, headers: &[(&str, &str)]) -> Result<HttpRequest, AddrParseError> {
        let mut req = TestRequest::default().peer_addr(peer.parse()?);
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        Ok(req.to_http_request())
    }

    #[test]
    fn a_forwarded_address_counts_only_from_a_trusted_proxy() -> Result<(), AddrParseError> {
        let proxy: IpAddr = "127.0.0.1".parse()?;
        let client: IpAddr = "203.0.113.7".parse()?;
        let via = |value| [("X-Forwarded-For", value)];
        let direct = request("198.51.100.1:5000", &via("203.0.113.7"))?;
        assert_eq!(client_ip(&direct, &[proxy]), Some("198.51.100.1".parse()?));
        let proxied = request("127.0.0.1:5000", &via("203.0.113.7"))?;
        assert_eq!(client_ip(&proxied, &[proxy]), Some(client));
        assert_eq!(client_ip(&proxied, &[]), Some(proxy));
        // The proxy appends; what the client wrote before is not believed.
        let spoofed = request("127.0.0.1:5000", &via("10.9.9.9, 203.0.113.7"))?;
        assert_eq!(client_ip(&spoofed, &[proxy]), Some(client));
        let two_headers = request(
            "127.0.0.1:5000",
            &[
                ("X-Forwarded-For", "10.9.9.9"),
                ("X-Forwarded-For", "203.0.113.7"),
            ],
        )?;
        assert_eq!(client_ip(&two_headers, &[proxy]), Some(client));
        let garbage = request("127.0.0.1:5000", &via("not an address"))?;
        assert_eq!(client_ip(&garbage, &[proxy]), Some(proxy));
        // Behind a dual-stack listener the proxy's IPv4 address comes mapped.
        let mapped = request("[::ffff:127.0.0.1]:5000", &via("203.0.113.7"))?;
        assert_eq!(client_ip(&mapped, &[proxy]), Some(client));
        Ok(())
    }

    #[test]
    fn ipv6_clients_are_throttled_by_their_64_network() -> Result<(), AddrParseError> {
        let one = throttling_key("2001:db8:1:2:aaaa::1".parse()?);
        let same_network = throttling_key("2001:db8:1:2:ffff:ffff:ffff:ffff".parse()?);
        let next_network = throttling_key("2001:db8:1:3::1".parse()?);
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(one, same_network);
        assert_ne!(one, next_network);
        assert_eq!(throttling_key("203.0.113.7".parse()?), "203.0.113.7");
        assert_eq!(throttling_key("::ffff:203.0.113.7".parse()?), "203.0.113.7");
        Ok(())
    }

    #[test]
    fn only_unforwarded_loopback_requests_are_local() -> Result<(), AddrParseError> {
        assert!(is_local(&request("127.0.0.1:5000", &[])?));
        assert!(is_local(&request("[::1]:5000", &[])?));
        assert!(is_local(&request("[::ffff:127.0.0.1]:5000", &[])?));
        assert!(!is_local(&request("192.0.2.1:5000", &[])?));
        for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
            let proxied = request("127.0.0.1:5000", &[(header, "for=203.0.113.7")])?;
            assert!(!is_local(&proxied), "{header}");
        }
        Ok(())
    }
}
