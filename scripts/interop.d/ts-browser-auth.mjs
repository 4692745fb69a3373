// The official MCP TypeScript SDK 1.x's OAuth client against mcpserver's built-in
// authorization server, with a real headless Chromium as the person's browser (issue 21's
// end-to-end test; run by scripts/interop, part `browser-auth`). Nothing here plays the
// browser with HTTP requests: the SDK (StreamableHTTPClientTransport with an
// OAuthClientProvider, finishAuth, auth) gets the 401, discovers the metadata, registers and
// builds the PKCE authorization URL; Chromium opens it, shows our consent page and the
// simulator's Atlassian consent page (not auto-approving), and this script clicks their real
// buttons through chromedriver's WebDriver API (Node's fetch, no driver library); the browser
// lands on a loopback redirect receiver, as a desktop MCP client's would, which hands the code
// to the SDK. Two clients: one registered dynamically (DCR), one known by its Client ID
// Metadata Document served over https by this script (the SDK accepts only an https
// `clientMetadataUrl`; the server trusts the test CA and may fetch from loopback).
// Then the external-IdP mode: a small test identity provider in this script (RFC 8414
// metadata, /register, an /authorize page with an Allow button, /token with PKCE, RS256 JWTs
// signed with the test key whose JWKS it serves) is the authorization server of a second
// mcpserver; the same SDK client signs in there through Chromium and lists the tools.
// Environment: INTEROP_BA_URL (the /mcp endpoint), INTEROP_SIM_URL (the simulator),
// INTEROP_WEBDRIVER_URL (chromedriver), INTEROP_CHROMIUM, INTEROP_CIMD_KEY / INTEROP_CIMD_CERT
// (the metadata server's TLS key and certificate), INTEROP_ARTIFACTS (where a failing step
// leaves a screenshot and the page source), INTEROP_NODE_MODULES; for revoking as the hub does
// INTEROP_WEBHOOK_PORT (where the server's hub events go: the `connected` event names the
// signed-in user), INTEROP_MCPSERVER_BIN and INTEROP_HUB_SECRET (to mint that user's hub JWT
// with `mcpserver mint-token`); for the external-IdP mode
// INTEROP_IDP_MCP_URL (that server's /mcp), INTEROP_IDP_PORT (where the test IdP listens: the
// server's issuer is http://127.0.0.1:PORT), INTEROP_IDP_KEY / INTEROP_IDP_JWK (the RSA test
// key, kid `rsa`). One line per check.
import { createHash, createSign, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import https from "node:https";
import path from "node:path";

const env = process.env;
const url = env.INTEROP_BA_URL;
const simUrl = new URL(env.INTEROP_SIM_URL);
const require = createRequire(path.join(env.INTEROP_NODE_MODULES, "noop.js"));
const { auth, UnauthorizedError } = require("@modelcontextprotocol/sdk/client/auth.js");
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

const serverUrl = new URL(url);
const STEP_MS = 20_000;

let failures = 0;
let browser;
async function check(name, body) {
  const started = Date.now();
  try {
    const detail = await body();
    console.log(`ok   ${name}${detail ? `: ${detail}` : ""} (${Date.now() - started} ms)`);
    return true;
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error?.message ?? error}`);
    await browser?.keepEvidence(`failure-${failures}`);
    return false;
  }
}
function expect(condition, what) {
  if (!condition) throw new Error(what);
}
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
}

/// chromedriver's W3C WebDriver HTTP API: one session, elements found by CSS selector with an
/// implicit wait, so each step waits for the next page instead of sleeping.
class Browser {
  static ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
  static async start(driverUrl, chromium, profile) {
    const b = new Browser(driverUrl);
    const args = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      `--user-data-dir=${profile}`,
    ];
    const { sessionId } = await b.call("POST", "/session", {
      capabilities: { alwaysMatch: { "goog:chromeOptions": { binary: chromium, args }, "goog:loggingPrefs": { browser: "ALL" } } },
    });
    b.session = sessionId;
    await b.call("POST", `/session/${sessionId}/timeouts`, { implicit: STEP_MS, pageLoad: STEP_MS, script: STEP_MS });
    return b;
  }
  constructor(driverUrl) {
    this.driverUrl = driverUrl.replace(/\/$/, "");
  }
  async call(method, route, body) {
    const response = await fetch(`${this.driverUrl}${route}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(STEP_MS + 30_000),
    });
    const answer = await response.json();
    if (!response.ok) {
      throw new Error(`WebDriver ${method} ${route}: ${answer.value?.error}: ${answer.value?.message?.split("\n")[0]}`);
    }
    return answer.value;
  }
  goto(target) {
    return this.call("POST", `/session/${this.session}/url`, { url: String(target) });
  }
  async url() {
    return new URL(await this.call("GET", `/session/${this.session}/url`));
  }
  title() {
    return this.call("GET", `/session/${this.session}/title`);
  }
  async find(selector) {
    const found = await this.call("POST", `/session/${this.session}/element`, { using: "css selector", value: selector });
    return found[Browser.ELEMENT];
  }
  async text(selector) {
    return this.call("GET", `/session/${this.session}/element/${await this.find(selector)}/text`);
  }
  async click(selector) {
    await this.call("POST", `/session/${this.session}/element/${await this.find(selector)}/click`, {});
  }
  /// A screenshot and the page's source, to see what the browser saw when a step failed.
  async keepEvidence(name) {
    if (!this.session || !env.INTEROP_ARTIFACTS) return;
    try {
      const png = await this.call("GET", `/session/${this.session}/screenshot`);
      fs.writeFileSync(path.join(env.INTEROP_ARTIFACTS, `${name}.png`), Buffer.from(png, "base64"));
      const source = await this.call("GET", `/session/${this.session}/source`);
      fs.writeFileSync(path.join(env.INTEROP_ARTIFACTS, `${name}.html`), `<!-- ${await this.url()} -->\n${source}`);
      // The console (a page's errors, a Content-Security-Policy violation), via chromedriver.
      const logs = await this.call("POST", `/session/${this.session}/se/log`, { type: "browser" }).catch(() => []);
      for (const entry of logs) console.log(`     console: ${entry.level} ${entry.message}`);
      console.log(`     the browser's page is in ${path.join(env.INTEROP_ARTIFACTS, name)}.png/.html`);
    } catch (error) {
      console.log(`     (no screenshot: ${error.message})`);
    }
  }
  async quit() {
    if (this.session) await this.call("DELETE", `/session/${this.session}`).catch(() => {});
    this.session = undefined;
  }
}

/// The loopback redirect receiver a desktop client runs (RFC 8252 §7.3): the browser lands
/// here with the authorization response; the next one is handed to whoever awaits `next()`.
class Receiver {
  async start() {
    this.waiting = [];
    this.server = http.createServer((req, res) => {
      const at = new URL(req.url, `http://127.0.0.1:${this.port}`);
      if (at.pathname !== "/callback") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      const outcome = at.searchParams.has("code") ? "signed-in" : "not-signed-in";
      res.end(`<!doctype html><title>interop client</title><h1 id="${outcome}">${outcome}; you may close this window</h1>`);
      this.waiting.shift()?.(at.searchParams);
    });
    this.port = await listen(this.server);
    this.redirectUrl = `http://127.0.0.1:${this.port}/callback`;
    return this;
  }
  /// The next authorization response; a promise that may be left unawaited when an earlier
  /// step fails (its timeout then rejects nobody's await, never the process).
  next() {
    const next = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing came back to ${this.redirectUrl} within ${STEP_MS} ms`)), STEP_MS);
      this.waiting.push((params) => {
        clearTimeout(timer);
        resolve(params);
      });
    });
    next.catch(() => {});
    return next;
  }
}

/// An OAuthClientProvider that keeps everything in memory and records where the SDK sends the
/// browser; `clientMetadataUrl` makes the SDK use a Client ID Metadata Document instead of
/// registering.
class Provider {
  constructor(name, redirectUrl, clientMetadataUrl) {
    this.name = name;
    this.redirect = redirectUrl;
    this.clientMetadataUrl = clientMetadataUrl;
    this.stored = {};
    this.authorizations = [];
    this.invalidated = [];
  }
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata() {
    return {
      client_name: this.name,
      redirect_uris: [this.redirect],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    this.lastState = `st-${Math.random().toString(36).slice(2)}`;
    return this.lastState;
  }
  clientInformation() {
    return this.stored.client;
  }
  saveClientInformation(info) {
    this.stored.client = info;
  }
  tokens() {
    return this.stored.tokens;
  }
  saveTokens(tokens) {
    this.stored.tokens = tokens;
  }
  redirectToAuthorization(authorizationUrl) {
    this.authorizations.push(authorizationUrl);
  }
  get authorizationUrl() {
    return this.authorizations.at(-1);
  }
  saveCodeVerifier(verifier) {
    this.stored.verifier = verifier;
  }
  codeVerifier() {
    return this.stored.verifier;
  }
  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === "all" || scope === "tokens") delete this.stored.tokens;
    if (scope === "all" || scope === "client") delete this.stored.client;
  }
}

/// The SDK's first connect: refused, and the SDK asks to open an authorization URL.
async function connectRefused(provider) {
  const before = provider.authorizations.length;
  const client = new Client({ name: "interop-browser", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
    throw new Error("connected without a valid token");
  } catch (error) {
    expect(error instanceof UnauthorizedError, `not UnauthorizedError: ${error}`);
  }
  expect(provider.authorizations.length === before + 1, "the SDK did not ask to open an authorization URL");
  const at = provider.authorizationUrl;
  expect(at.origin === serverUrl.origin && at.pathname === "/authorize", `authorization URL ${at.origin}${at.pathname}`);
  expect(at.searchParams.get("code_challenge_method") === "S256", "no S256");
  expect(at.searchParams.get("code_challenge")?.length >= 43, "no code_challenge");
  expect(at.searchParams.get("resource") === url, `resource ${at.searchParams.get("resource")}`);
  expect(at.searchParams.get("redirect_uri") === provider.redirectUrl, `redirect_uri ${at.searchParams.get("redirect_uri")}`);
  return at;
}

/// Chromium through our consent page (Approve) and the simulator's (Accept); the code and
/// `state`/`iss` the receiver got.
async function signInInBrowser(provider, receiver, clientId) {
  const back = receiver.next();
  await browser.goto(provider.authorizationUrl);
  expect((await browser.text("#client-name")) === provider.name, "our consent page does not name the client");
  expect((await browser.text("#client-id")) === clientId, `our consent page shows client id ${await browser.text("#client-id")}`);
  expect((await browser.text("#redirect-host")) === "127.0.0.1", "our consent page does not show where the browser goes back to");
  await browser.click("#approve");
  await browser.find("#accept");
  const consent = await browser.url();
  expect(consent.origin === simUrl.origin, `after Approve the browser is at ${consent.origin}, not the simulator`);
  const title = await browser.title();
  await browser.click("#accept");
  const params = await back;
  await browser.find("#signed-in");
  expect(params.get("state") === provider.lastState, "state lost");
  expect(params.get("iss") === serverUrl.origin, `iss ${params.get("iss")}`);
  expect(params.get("code"), `no code: ${params}`);
  return { code: params.get("code"), title };
}

async function listAndCall(provider) {
  const client = new Client({ name: "interop-browser", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  const { tools } = await client.listTools();
  expect(tools.some((t) => t.name === "jira_whoami"), "jira_whoami not listed");
  const me = await client.callTool({ name: "jira_whoami", arguments: {} });
  expect(!me.isError && me.structuredContent?.account_id, `jira_whoami: ${JSON.stringify(me)}`);
  const projects = await client.callTool({ name: "jira_list_projects", arguments: {} });
  expect(!projects.isError, `jira_list_projects: ${JSON.stringify(projects)}`);
  await client.close();
  return { tools: tools.length, account: me.structuredContent.account_id };
}

/// What /mcp says to a bare request with this access token (the SDK retries on 401 itself).
async function mcpStatus(accessToken) {
  const response = await fetch(serverUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${accessToken}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
    }),
  });
  await response.body?.cancel();
  return response.status;
}

/// The test identity provider of the external-IdP mode: everything a standard authorization
/// server shows an MCP client, kept in memory. It checks what the SDK sends (PKCE S256, the
/// exact redirect URI, `resource` = the /mcp URL) and issues what mcpserver wants: an RS256 JWT
/// with `iss`, `aud` = the resource, `scope` `mcp`.
class TestIdp {
  constructor(port, keyPem, jwk, resource) {
    this.issuer = `http://127.0.0.1:${port}`;
    this.port = port;
    this.key = keyPem;
    this.jwk = jwk;
    this.resource = resource;
    this.clients = new Map();
    this.pending = new Map();
    this.codes = new Map();
    this.refresh = new Map();
    this.issued = [];
  }
  async start() {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d)).on("end", () => {
        try {
          this.handle(req, new URLSearchParams(body), body, res);
        } catch (error) {
          res.writeHead(500).end(String(error));
        }
      });
    });
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", resolve);
    });
    return this;
  }
  json(res, status, value) {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(value));
  }
  jwt(sub, now = Math.floor(Date.now() / 1000)) {
    const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const claims = { iss: this.issuer, sub, aud: this.resource, scope: "mcp", iat: now, exp: now + 600, jti: randomBytes(8).toString("hex") };
    const input = `${b64({ alg: "RS256", typ: "JWT", kid: this.jwk.kid })}.${b64(claims)}`;
    return `${input}.${createSign("RSA-SHA256").update(input).sign(this.key).toString("base64url")}`;
  }
  tokens(res, sub, clientId) {
    const refresh = `idp-rt-${randomBytes(16).toString("hex")}`;
    this.refresh.set(refresh, { sub, clientId });
    const access = this.jwt(sub);
    this.issued.push(access);
    this.json(res, 200, { access_token: access, token_type: "Bearer", expires_in: 600, refresh_token: refresh, scope: "mcp" });
  }
  handle(req, form, raw, res) {
    const at = new URL(req.url, this.issuer);
    const bad = (error, description) => this.json(res, 400, { error, error_description: description });
    if (req.method === "GET" && at.pathname === "/.well-known/oauth-authorization-server") {
      return this.json(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        registration_endpoint: `${this.issuer}/register`,
        jwks_uri: `${this.issuer}/jwks.json`,
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["none"],
        scopes_supported: ["mcp"],
      });
    }
    if (req.method === "GET" && at.pathname === "/jwks.json") return this.json(res, 200, { keys: [this.jwk] });
    if (req.method === "POST" && at.pathname === "/register") {
      const metadata = JSON.parse(raw);
      const client_id = `idp-client-${this.clients.size + 1}`;
      this.clients.set(client_id, metadata);
      return this.json(res, 201, { ...metadata, client_id, client_id_issued_at: Math.floor(Date.now() / 1000) });
    }
    if (req.method === "GET" && at.pathname === "/authorize") {
      const q = at.searchParams;
      const client = this.clients.get(q.get("client_id"));
      if (!client || !client.redirect_uris.includes(q.get("redirect_uri"))) {
        res.writeHead(400, { "content-type": "text/html" }).end("<h1 id=idp-error>unknown client or redirect URI</h1>");
        return;
      }
      const tx = randomBytes(12).toString("hex");
      this.pending.set(tx, Object.fromEntries(q));
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>Test IdP</title><h1 id="idp-consent">Sign in to ${client.client_name}</h1>
<form method="post" action="/authorize"><input type="hidden" name="tx" value="${tx}">
<button id="idp-allow" name="decision" value="allow">Allow</button></form>`);
      return;
    }
    if (req.method === "POST" && at.pathname === "/authorize") {
      const request = this.pending.get(form.get("tx"));
      this.pending.delete(form.get("tx"));
      if (!request) return bad("invalid_request", "unknown transaction");
      const code = `idp-code-${randomBytes(16).toString("hex")}`;
      this.codes.set(code, request);
      const back = new URL(request.redirect_uri);
      back.searchParams.set("code", code);
      if (request.state) back.searchParams.set("state", request.state);
      back.searchParams.set("iss", this.issuer);
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (req.method === "POST" && at.pathname === "/token") {
      if (form.get("grant_type") === "authorization_code") {
        const request = this.codes.get(form.get("code"));
        this.codes.delete(form.get("code"));
        if (!request || request.client_id !== form.get("client_id") || request.redirect_uri !== form.get("redirect_uri")) {
          return bad("invalid_grant", "unknown code, client or redirect URI");
        }
        const challenge = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
        if (request.code_challenge_method !== "S256" || challenge !== request.code_challenge) return bad("invalid_grant", "PKCE");
        if (request.resource !== this.resource || form.get("resource") !== this.resource) {
          return bad("invalid_target", `resource ${request.resource} / ${form.get("resource")}`);
        }
        return this.tokens(res, "idp-browser-user", request.client_id);
      }
      if (form.get("grant_type") === "refresh_token") {
        const grant = this.refresh.get(form.get("refresh_token"));
        this.refresh.delete(form.get("refresh_token"));
        if (!grant || grant.clientId !== form.get("client_id")) return bad("invalid_grant", "unknown refresh token");
        return this.tokens(res, grant.sub, grant.clientId);
      }
      return bad("unsupported_grant_type", String(form.get("grant_type")));
    }
    res.writeHead(404).end();
  }
}

// The Client ID Metadata Document, served over https from loopback.
let documentFetches = 0;
const cimd = https.createServer(
  { key: fs.readFileSync(env.INTEROP_CIMD_KEY), cert: fs.readFileSync(env.INTEROP_CIMD_CERT) },
  (req, res) => {
    if (req.url !== "/client.json") {
      res.writeHead(404).end();
      return;
    }
    documentFetches += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ client_id: cimdUrl, ...cimdProvider.clientMetadata }));
  },
);
const cimdUrl = `https://127.0.0.1:${await listen(cimd)}/client.json`;

/// The hub's webhook: the server's events (`connected` names the user a sign-in made).
const hubEvents = [];
const webhook = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d)).on("end", () => {
    try {
      hubEvents.push(JSON.parse(body));
    } catch {}
    res.writeHead(204).end();
  });
});
await new Promise((resolve) => webhook.listen(Number(env.INTEROP_WEBHOOK_PORT), "127.0.0.1", resolve));
async function signedInUser(accountId) {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    const event = hubEvents.find((e) => e.type === "connected" && e.account_id === accountId);
    if (event) return event.user_id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no \`connected\` hub event for ${accountId} within ${STEP_MS} ms (${hubEvents.length} events)`);
}
/// The hub's call to the connections API as that user (a hub JWT from `mcpserver mint-token`).
async function asHub(userId, method, route) {
  const jwt = execFileSync(env.INTEROP_MCPSERVER_BIN, ["mint-token", "--user", userId, "--ttl", "300"], {
    env: { PATH: process.env.PATH, MCPSERVER_HUB_SECRET: env.INTEROP_HUB_SECRET },
  })
    .toString()
    .trim();
  const response = await fetch(new URL(route, serverUrl), { method, headers: { authorization: `Bearer ${jwt}` } });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const receiver = await new Receiver().start();
const dcrProvider = new Provider("interop browser (TypeScript SDK, DCR)", receiver.redirectUrl);
const cimdProvider = new Provider("interop browser (TypeScript SDK, CIMD)", receiver.redirectUrl, cimdUrl);
const closers = [];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "interop-chromium-"));

try {
  const ready = await check("chromium starts under chromedriver", async () => {
    browser = await Browser.start(env.INTEROP_WEBDRIVER_URL, env.INTEROP_CHROMIUM, profile);
    const version = await browser.call("GET", "/status");
    return version.message;
  });
  if (!ready) throw new Error("no browser");

  await check("DCR: the first connect is refused; the SDK discovers, registers and asks for the browser", async () => {
    await connectRefused(dcrProvider);
    expect(dcrProvider.stored.client?.client_id?.startsWith("mcpc_"), "not registered dynamically");
    return `client ${dcrProvider.stored.client.client_id.slice(0, 12)}…`;
  });

  let signIn;
  await check("DCR: Chromium: our consent page (Approve), the simulator's Atlassian consent (Accept), back to the loopback receiver", async () => {
    signIn = await signInInBrowser(dcrProvider, receiver, dcrProvider.stored.client.client_id);
    return `the simulator's page: "${signIn.title}"`;
  });

  let account;
  await check("DCR: the SDK exchanges the code (PKCE) and lists and calls tools", async () => {
    await new StreamableHTTPClientTransport(serverUrl, { authProvider: dcrProvider }).finishAuth(signIn.code);
    expect(dcrProvider.stored.tokens?.access_token?.startsWith("mcpat_"), "no access token saved");
    const seen = await listAndCall(dcrProvider);
    account = seen.account;
    return `${seen.tools} tools; jira_whoami = ${account}`;
  });

  let oldRefresh;
  await check("DCR: the SDK refreshes (rotated) and the new access token works", async () => {
    oldRefresh = dcrProvider.stored.tokens.refresh_token;
    const result = await auth(dcrProvider, { serverUrl });
    expect(result === "AUTHORIZED", `auth() said ${result}`);
    expect(dcrProvider.stored.tokens.refresh_token !== oldRefresh, "the refresh token did not rotate");
    const seen = await listAndCall(dcrProvider);
    expect(seen.account === account, `another account after refresh: ${seen.account}`);
  });

  await check("DCR: revoked through the connections API (as the hub): the access token and the SDK are refused", async () => {
    // The hub learns who signed in from the `connected` event, lists that person's client
    // grants and revokes this client's (GET/DELETE /api/connections/grants).
    const userId = await signedInUser(account);
    const listed = await asHub(userId, "GET", "/api/connections/grants");
    expect(listed.status === 200, `GET /api/connections/grants: ${listed.status} ${JSON.stringify(listed.body)}`);
    const grant = listed.body.grants.find((g) => g.client_id === dcrProvider.stored.client.client_id);
    expect(grant?.id?.startsWith("g_"), `no grant of the client in ${JSON.stringify(listed.body)}`);
    expect(grant.client_name === dcrProvider.name && grant.redirect_host === "127.0.0.1", `grant ${JSON.stringify(grant)}`);
    const revoked = await asHub(userId, "DELETE", `/api/connections/grants/${grant.id}`);
    expect(revoked.status === 200 && revoked.body?.revoked === true, `DELETE: ${revoked.status} ${JSON.stringify(revoked.body)}`);
    const status = await mcpStatus(dcrProvider.stored.tokens.access_token);
    expect(status === 401, `/mcp answered ${status} to the revoked grant's access token`);
    // The SDK: 401, its refresh is refused too (invalid_grant), it drops its tokens and asks
    // for a new sign-in.
    await connectRefused(dcrProvider);
    expect(dcrProvider.invalidated.includes("tokens"), `the SDK did not drop its tokens (${dcrProvider.invalidated})`);
    const after = await asHub(userId, "GET", "/api/connections/grants");
    expect(!after.body.grants.some((g) => g.id === grant.id), "the revoked grant is still listed");
    return `user ${userId.slice(0, 8)}…, grant ${grant.id.slice(0, 8)}…: /mcp 401, refresh invalid_grant, a new authorization URL`;
  });

  await check("DCR: Chromium: Deny on our consent page sends access_denied back, no code", async () => {
    const back = receiver.next();
    await browser.goto(dcrProvider.authorizationUrl);
    await browser.click("#deny");
    const params = await back;
    await browser.find("#not-signed-in");
    expect(params.get("error") === "access_denied", `error ${params.get("error")}`);
    expect(!params.has("code"), "a code after Deny");
    expect(params.get("state") === dcrProvider.lastState && params.get("iss") === serverUrl.origin, `state/iss: ${params}`);
  });

  await check("DCR: Chromium: Approve on ours, Deny on the simulator's Atlassian consent: access_denied back, no code", async () => {
    await connectRefused(dcrProvider);
    const back = receiver.next();
    await browser.goto(dcrProvider.authorizationUrl);
    await browser.click("#approve");
    await browser.find("#accept"); // the simulator's page (ours has a #deny too)
    expect((await browser.url()).origin === simUrl.origin, "after Approve the browser is not at the simulator");
    await browser.click("#deny");
    const params = await back;
    await browser.find("#not-signed-in");
    expect(params.get("error") === "access_denied", `error ${params.get("error")}`);
    expect(!params.has("code"), "a code after the provider's Deny");
    expect(params.get("state") === dcrProvider.lastState && params.get("iss") === serverUrl.origin, `state/iss: ${params}`);
  });

  await check("CIMD: the first connect is refused; the SDK uses its https metadata URL as client_id (no registration)", async () => {
    const at = await connectRefused(cimdProvider);
    expect(at.searchParams.get("client_id") === cimdUrl, `client_id ${at.searchParams.get("client_id")}`);
    expect(cimdProvider.stored.client?.client_id === cimdUrl, "the SDK registered instead");
    return cimdUrl;
  });

  let cimdSignIn;
  let cimdOldRefresh;
  await check("CIMD: Chromium: our consent page names the document's client, the simulator's consent, back with a code", async () => {
    cimdSignIn = await signInInBrowser(cimdProvider, receiver, cimdUrl);
    expect(documentFetches >= 1, "the server never fetched the metadata document");
    return `document fetched ${documentFetches}×`;
  });

  await check("CIMD: the SDK exchanges the code, lists and calls tools, refreshes", async () => {
    await new StreamableHTTPClientTransport(serverUrl, { authProvider: cimdProvider }).finishAuth(cimdSignIn.code);
    const seen = await listAndCall(cimdProvider);
    expect(seen.account === account, `the same Atlassian account is another person: ${seen.account} vs ${account}`);
    const old = cimdProvider.stored.tokens.refresh_token;
    expect((await auth(cimdProvider, { serverUrl })) === "AUTHORIZED", "refresh failed");
    expect(cimdProvider.stored.tokens.refresh_token !== old, "the refresh token did not rotate");
    expect((await mcpStatus(cimdProvider.stored.tokens.access_token)) === 200, "the refreshed token is refused");
    cimdOldRefresh = old;
    return `${seen.tools} tools; jira_whoami = ${seen.account}`;
  });

  await check("CIMD: the used refresh token replayed revokes the grant: its access token is refused", async () => {
    const replay = await fetch(new URL("/token", serverUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: cimdOldRefresh, client_id: cimdUrl }),
    });
    const body = await replay.json();
    expect(replay.status === 400 && body.error === "invalid_grant", `replayed refresh token: ${replay.status} ${JSON.stringify(body)}`);
    const status = await mcpStatus(cimdProvider.stored.tokens.access_token);
    expect(status === 401, `/mcp answered ${status} after the replay`);
  });

  if (env.INTEROP_IDP_MCP_URL) {
    const idpMcp = new URL(env.INTEROP_IDP_MCP_URL);
    const idp = await new TestIdp(
      Number(env.INTEROP_IDP_PORT),
      fs.readFileSync(env.INTEROP_IDP_KEY),
      JSON.parse(fs.readFileSync(env.INTEROP_IDP_JWK, "utf8")),
      idpMcp.href,
    ).start();
    closers.push(() => idp.server.close());
    const idpProvider = new Provider("interop browser (TypeScript SDK, external IdP)", receiver.redirectUrl);
    let idpCode;
    await check("external IdP: the SDK finds the test IdP from the 401, registers there, asks for the browser", async () => {
      const client = new Client({ name: "interop-browser", version: "1.0.0" });
      try {
        await client.connect(new StreamableHTTPClientTransport(idpMcp, { authProvider: idpProvider }));
        throw new Error("connected without a token");
      } catch (error) {
        expect(error instanceof UnauthorizedError, `not UnauthorizedError: ${error}`);
      }
      const at = idpProvider.authorizationUrl;
      expect(at?.origin === idp.issuer && at.pathname === "/authorize", `authorization URL ${at}`);
      expect(at.searchParams.get("resource") === idpMcp.href, `resource ${at.searchParams.get("resource")}`);
      expect(idpProvider.stored.client?.client_id?.startsWith("idp-client-"), "not registered at the IdP");
      return `${at.origin}${at.pathname}`;
    });
    await check("external IdP: Chromium: the IdP's page (Allow), back to the loopback receiver", async () => {
      const back = receiver.next();
      await browser.goto(idpProvider.authorizationUrl);
      await browser.click("#idp-allow");
      const params = await back;
      await browser.find("#signed-in");
      expect(params.get("state") === idpProvider.lastState, "state lost");
      idpCode = params.get("code");
      expect(idpCode, `no code: ${params}`);
    });
    await check("external IdP: the SDK exchanges the code (PKCE, resource) and its JWT lists tools on mcpserver; refresh", async () => {
      await new StreamableHTTPClientTransport(idpMcp, { authProvider: idpProvider }).finishAuth(idpCode);
      const client = new Client({ name: "interop-browser", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(idpMcp, { authProvider: idpProvider }));
      const { tools } = await client.listTools();
      await client.close();
      expect(tools.length > 0, "no tools");
      const old = idpProvider.stored.tokens.access_token;
      expect((await auth(idpProvider, { serverUrl: idpMcp })) === "AUTHORIZED", "refresh failed");
      expect(idpProvider.stored.tokens.access_token !== old, "no new access token");
      const fresh = new Client({ name: "interop-browser", version: "1.0.0" });
      await fresh.connect(new StreamableHTTPClientTransport(idpMcp, { authProvider: idpProvider }));
      await fresh.listTools();
      await fresh.close();
      return `${tools.length} tools; ${idp.issued.length} JWTs issued`;
    });
  }
} finally {
  for (const close of closers) close();
  webhook.close();
  await browser?.quit();
  cimd.close();
  receiver.server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
