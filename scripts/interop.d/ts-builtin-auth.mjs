// The official MCP TypeScript SDK 1.x's OAuth client against mcpserver's built-in
// authorization server (MCPSERVER_AUTHORIZATION_SERVER=builtin, issue 21; run by
// scripts/interop, part `builtin`). The SDK does everything a standard client does with
// nothing but the /mcp URL — its StreamableHTTPClientTransport with an OAuthClientProvider
// gets the 401, discovers the protected-resource and authorization-server metadata, registers
// (dynamic registration), builds the PKCE authorization URL and later exchanges the code and
// refreshes — while this script plays the browser (no Chromium here): it opens the
// authorization URL, answers our consent page, follows the simulator's auto-approving
// Atlassian consent and the callback, and hands the code back to the SDK (finishAuth).
// Then it lists and calls tools with the SDK's token, refreshes through the SDK's auth(), and
// checks that the old refresh token is refused afterwards.
// Environment: INTEROP_BA_URL (the /mcp endpoint), INTEROP_NODE_MODULES. One line per check.
import { createRequire } from "node:module";
import path from "node:path";

const { INTEROP_BA_URL: url, INTEROP_NODE_MODULES: modules } = process.env;
const require = createRequire(path.join(modules, "noop.js"));
const { auth, UnauthorizedError } = require("@modelcontextprotocol/sdk/client/auth.js");
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

const REDIRECT = "http://127.0.0.1:9/callback";

let failures = 0;
async function check(name, body) {
  try {
    const detail = await body();
    console.log(`ok   ${name}${detail ? `: ${detail}` : ""}`);
    return true;
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error?.message ?? error}`);
    return false;
  }
}
function expect(condition, what) {
  if (!condition) throw new Error(what);
}

/// An OAuthClientProvider that keeps everything in memory and records where the SDK sends the
/// browser.
class Provider {
  constructor() {
    this.stored = {};
  }
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata() {
    return {
      client_name: "interop (TypeScript SDK)",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    return "interop-state";
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
    this.authorizationUrl = authorizationUrl;
  }
  saveCodeVerifier(verifier) {
    this.stored.verifier = verifier;
  }
  codeVerifier() {
    return this.stored.verifier;
  }
}

/// The browser: a cookie jar by name, no redirects followed.
const jar = new Map();
async function browse(target, init = {}) {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const response = await fetch(target, { ...init, redirect: "manual", headers: { ...(init.headers ?? {}), cookie, accept: "text/html" } });
  for (const set of response.headers.getSetCookie()) {
    const [pair] = set.split(";");
    const at = pair.indexOf("=");
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return response;
}

const provider = new Provider();
const serverUrl = new URL(url);

await check("the first connect is refused with a redirect to authorization", async () => {
  const client = new Client({ name: "interop-builtin", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
    throw new Error("connected without a token");
  } catch (error) {
    expect(error instanceof UnauthorizedError, `not UnauthorizedError: ${error}`);
  }
  expect(provider.authorizationUrl, "the SDK did not ask to open an authorization URL");
  const at = provider.authorizationUrl;
  expect(at.searchParams.get("code_challenge_method") === "S256", "no S256");
  expect(at.searchParams.get("resource") === url, `resource ${at.searchParams.get("resource")}`);
  expect(provider.stored.client?.client_id?.startsWith("mcpc_"), "not registered dynamically");
  return `${at.origin}${at.pathname}, client ${provider.stored.client.client_id.slice(0, 12)}…`;
});

let code;
await check("the browser goes through our consent page and the simulator's consent", async () => {
  const page = await browse(provider.authorizationUrl);
  expect(page.status === 200, `consent page ${page.status}`);
  const html = await page.text();
  expect(html.includes("interop (TypeScript SDK)"), "the consent page does not name the client");
  const requestId = html.match(/name="request_id" value="([^"]+)"/)?.[1];
  expect(requestId, "no request id on the consent page");
  const approved = await browse(new URL("/authorize", serverUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request_id: requestId, decision: "approve", provider: "jira" }),
  });
  expect(approved.status === 303, `approve answered ${approved.status}`);
  const consent = await browse(approved.headers.get("location"));
  expect(consent.status >= 300 && consent.status < 400, `the simulator answered ${consent.status}`);
  const callback = await browse(consent.headers.get("location"));
  expect(callback.status === 303, `the callback answered ${callback.status}: ${await callback.text()}`);
  const back = new URL(callback.headers.get("location"));
  expect(back.href.startsWith(REDIRECT), `back to ${back.href}`);
  expect(back.searchParams.get("state") === "interop-state", "state lost");
  expect(back.searchParams.get("iss") === serverUrl.origin, `iss ${back.searchParams.get("iss")}`);
  code = back.searchParams.get("code");
  expect(code, "no code");
});

let client;
await check("the SDK exchanges the code and lists and calls tools", async () => {
  const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
  await transport.finishAuth(code);
  expect(provider.stored.tokens?.access_token?.startsWith("mcpat_"), "no access token saved");
  client = new Client({ name: "interop-builtin", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  const { tools } = await client.listTools();
  expect(tools.some((t) => t.name === "jira_whoami"), "jira_whoami not listed");
  const me = await client.callTool({ name: "jira_whoami", arguments: {} });
  expect(!me.isError && me.structuredContent?.account_id, `jira_whoami: ${JSON.stringify(me)}`);
  await client.close();
  return `${tools.length} tools; jira_whoami = ${me.structuredContent.account_id}`;
});

await check("the SDK refreshes, and the old refresh token is refused afterwards", async () => {
  const old = provider.stored.tokens.refresh_token;
  const result = await auth(provider, { serverUrl });
  expect(result === "AUTHORIZED", `auth() said ${result}`);
  expect(provider.stored.tokens.refresh_token !== old, "the refresh token did not rotate");
  const again = await fetch(new URL("/token", serverUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: old, client_id: provider.stored.client.client_id }),
  });
  const body = await again.json();
  expect(again.status === 400 && body.error === "invalid_grant", `old refresh token: ${again.status} ${JSON.stringify(body)}`);
});

if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
