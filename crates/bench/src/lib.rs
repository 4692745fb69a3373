//! What the benchmark's programs share.

use anyhow::{Context, bail};

/// The real connect flow for the user of `jwt`, as a browser goes through it: the server's
/// connect link (which sets the connect cookie and redirects to the consent), the simulator's
/// consent (auto-approving: it redirects to the callback at once), the callback with the
/// cookie. `http` must not follow redirects.
pub async fn connect(http: &reqwest::Client, base: &str, jwt: &str, provider: &str) -> anyhow::Result<()> {
    let answer = http.get(format!("{base}/api/auth/{provider}/url")).bearer_auth(jwt).send().await?;
    let status = answer.status();
    let auth: serde_json::Value = answer.json().await?;
    let link = auth["url"].as_str().with_context(|| format!("no connect link ({status}): {auth}"))?;
    let start = http.get(link).send().await?;
    let header = |name: &str| start.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let cookie = header("set-cookie").and_then(|c| c.split(';').next().map(str::to_string));
    let cookie = cookie.with_context(|| format!("the connect link answered {}", start.status()))?;
    let consent = header("location").context("no Location from the connect link")?;
    let at_provider = http.get(&consent).send().await?;
    if !at_provider.status().is_redirection() {
        bail!("the simulator's consent answered {}", at_provider.status());
    }
    let callback = at_provider
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("no Location from the consent")?
        .to_string();
    let done =
        http.get(&callback).header("cookie", cookie).header("accept", "application/json").send().await?;
    if done.status() != 200 {
        let status = done.status();
        bail!("the callback answered {status}: {}", done.text().await.unwrap_or_default());
    }
    Ok(())
}
