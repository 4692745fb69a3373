//! Fetching a Client ID Metadata Document: the `client_id` is an https URL and the client's
//! metadata is served there. The URL comes from anyone, so the fetch is confined: only
//! public addresses (every address the name resolves to must be one, and the connection goes
//! to the address that was checked, so a second DNS answer cannot point it inside), no
//! redirects, [`MAX_BYTES`] at most, [`TIMEOUT`] in all. `MCPSERVER_CIMD_ALLOW_LOOPBACK`
//! (tests) lets loopback addresses through, over plain http too; never other internal ones.

use super::clients::{Checked, Metadata, check};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The largest document read.
pub const MAX_BYTES: usize = 64 * 1024;
/// The whole fetch, resolution included.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The document at `client_id`, checked; `Err` says why not (for the person's error page).
pub(crate) async fn fetch(client_id: &str, allow_loopback: bool) -> Result<Checked, String> {
    match tokio::time::timeout(TIMEOUT, fetch_unbounded(client_id, allow_loopback)).await {
        Ok(result) => result,
        Err(_) => Err(format!("the client metadata document did not arrive within {} s", TIMEOUT.as_secs())),
    }
}

async fn fetch_unbounded(client_id: &str, allow_loopback: bool) -> Result<Checked, String> {
    let url = url::Url::parse(client_id).map_err(|_| "the client_id is not a URL".to_string())?;
    let host = url.host_str().ok_or("the client_id URL has no host")?.to_string();
    let addr = checked_address(&url, allow_loopback).await?;
    let plain_loopback = url.scheme() == "http" && allow_loopback && addr.ip().is_loopback();
    if url.scheme() != "https" && !plain_loopback {
        return Err("a client_id URL must be https".into());
    }
    if !url.username().is_empty() || url.fragment().is_some() || url.path() == "/" {
        return Err("a client_id URL needs a path and no user info or fragment".into());
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve(&host, addr)
        .user_agent(concat!("mcpserver/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot fetch the client metadata document: {e}"))?;
    let mut response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("the client metadata document could not be fetched ({})", without_url(e)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!(
            "the client metadata document answered {} (redirects are not followed)",
            response.status()
        ));
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the client metadata document: {}", without_url(e)))?
    {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    document(client_id, &body)
}

fn too_large() -> String {
    format!("the client metadata document is larger than {} KiB", MAX_BYTES / 1024)
}

/// A fetch failure without the URL (the client's own, echoed elsewhere when needed).
fn without_url(error: reqwest::Error) -> String {
    error.without_url().to_string()
}

/// Checks the document's content: its `client_id` must be the URL it came from.
fn document(client_id: &str, body: &[u8]) -> Result<Checked, String> {
    #[derive(serde::Deserialize)]
    struct WithId {
        client_id: Option<String>,
    }
    let id: WithId = serde_json::from_slice(body)
        .map_err(|_| "the client metadata document is not JSON client metadata".to_string())?;
    if id.client_id.as_deref() != Some(client_id) {
        return Err("the client metadata document's client_id is not the URL it was fetched from".into());
    }
    let metadata: Metadata = serde_json::from_slice(body)
        .map_err(|_| "the client metadata document is not JSON client metadata".to_string())?;
    check(metadata).map_err(|(_, why)| format!("the client metadata document is refused: {why}"))
}

/// The one address to connect to: every address the host resolves to must be allowed.
async fn checked_address(url: &url::Url, allow_loopback: bool) -> Result<SocketAddr, String> {
    let port = url.port_or_known_default().ok_or("the client_id URL has no port")?;
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| "the client_id URL's host does not resolve".to_string())?
            .collect(),
        None => return Err("the client_id URL has no host".into()),
    };
    let first = *addresses.first().ok_or("the client_id URL's host does not resolve")?;
    if addresses.iter().any(|a| !allowed(a.ip(), allow_loopback)) {
        return Err(
            "the client_id URL points at a private, loopback or otherwise internal address; refused".into()
        );
    }
    Ok(first)
}

/// Whether a fetch may go to `ip`: public unicast only (loopback when allowed).
fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => allowed_v4(v4, allow_loopback),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => allowed_v4(v4, allow_loopback),
            None => allowed_v6(v6, allow_loopback),
        },
    }
}

fn allowed_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let [a, b, c, _] = ip.octets();
    let internal = ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240; // reserved
    !internal
}

fn allowed_v6(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let first = ip.segments()[0];
    let internal = ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first & 0xffc0) == 0xfec0 // site local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || ip.segments()[..6].iter().all(|s| *s == 0); // IPv4-compatible
    !internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched_and_loopback_only_when_allowed() {
        for public in ["93.184.216.34", "8.8.8.8", "2606:2800:220:1::1"] {
            assert!(allowed(public.parse().unwrap(), false), "{public}");
        }
        for internal in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "fd00::1",
            "fe80::1",
            "::",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!allowed(internal.parse().unwrap(), true), "{internal}");
        }
        for loopback in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            assert!(!allowed(loopback.parse().unwrap(), false), "{loopback}");
            assert!(allowed(loopback.parse().unwrap(), true), "{loopback}");
        }
    }

    #[test]
    fn a_document_must_name_itself() {
        let url = "https://app.example.com/client.json";
        let body = |id: &str| {
            serde_json::json!({"client_id": id, "redirect_uris": ["https://app.example.com/cb"]}).to_string()
        };
        assert!(document(url, body(url).as_bytes()).is_ok());
        assert!(
            document(url, body("https://evil.example.com/client.json").as_bytes())
                .unwrap_err()
                .contains("client_id")
        );
        assert!(document(url, b"<html>").is_err());
    }
}
