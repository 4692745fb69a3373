// The official MCP TypeScript SDK 1.x's OAuth discovery against mcpserver with
// MCPSERVER_AUTHORIZATION_SERVER set to an external identity provider (issue 21, first slice;
// run by scripts/interop, part `resource`). It checks, with the SDK's own functions from
// @modelcontextprotocol/sdk/client/auth.js, that a client finds its way from a 401 on /mcp to
// the identity provider:
//   1. the 401's WWW-Authenticate, read by extractWWWAuthenticateParams, names the metadata URL
//      and the scope `mcp`;
//   2. discoverOAuthProtectedResourceMetadata finds the metadata, both through that URL and
//      through its own well-known fallback, and it names INTEROP_RM_ISSUER;
//   3. selectResourceURL accepts the metadata's `resource` for the /mcp URL (the RFC 8707
//      resource the client would ask the identity provider for);
//   4. with a token the identity provider would issue (RS256, signed here with the test key
//      whose JWKS the server trusts, aud = the resource, scope `mcp`) the SDK Client connects
//      and lists the tools;
//   5. a token without the scope gets 403, and the SDK reads error="insufficient_scope".
// Environment: INTEROP_RM_URL (the /mcp endpoint), INTEROP_RM_ISSUER, INTEROP_RM_KEY (the RSA
// private key PEM file, kid `rsa`), INTEROP_NODE_MODULES. One line per check; exit 1 on failure.
import { createRequire } from "node:module";
import { createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

const { INTEROP_RM_URL: url, INTEROP_RM_ISSUER: issuer, INTEROP_RM_KEY: keyFile, INTEROP_NODE_MODULES: modules } = process.env;
const require = createRequire(path.join(modules, "noop.js"));
const auth = require("@modelcontextprotocol/sdk/client/auth.js");
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");
const key = readFileSync(keyFile, "utf8");

let failures = 0;
async function check(name, body) {
  try {
    const detail = await body();
    console.log(`ok   ${name}${detail ? `: ${detail}` : ""}`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error?.message ?? error}`);
  }
}
function expect(actual, wanted, what) {
  if (JSON.stringify(actual) !== JSON.stringify(wanted)) throw new Error(`${what}: ${JSON.stringify(actual)}, wanted ${JSON.stringify(wanted)}`);
}

const b64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
function idpToken(claims) {
  const input = `${b64url({ alg: "RS256", typ: "JWT", kid: "rsa" })}.${b64url(claims)}`;
  const signature = createSign("RSA-SHA256").update(input).sign(key).toString("base64url");
  return `${input}.${signature}`;
}
const now = Math.floor(Date.now() / 1000);
const claims = (scope) => ({ sub: "interop-idp-user", iss: issuer, aud: url, scope, iat: now, exp: now + 600 });

const initialize = (token) =>
  fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "resource-metadata", version: "1" } },
    }),
  });

const expectedMetadataUrl = `${new URL(url).origin}/.well-known/oauth-protected-resource${new URL(url).pathname}`;
let challengeUrl;
let metadata;

await check("401 challenge (extractWWWAuthenticateParams)", async () => {
  const response = await initialize();
  await response.body?.cancel();
  expect(response.status, 401, "status");
  const params = auth.extractWWWAuthenticateParams(response);
  expect(params.resourceMetadataUrl?.href, expectedMetadataUrl, "resource_metadata");
  expect(params.scope, "mcp", "scope");
  expect(params.error, undefined, "error");
  challengeUrl = params.resourceMetadataUrl;
  return `resource_metadata=${challengeUrl.href}`;
});

await check("metadata through the challenge's URL (discoverOAuthProtectedResourceMetadata)", async () => {
  metadata = await auth.discoverOAuthProtectedResourceMetadata(url, { resourceMetadataUrl: challengeUrl });
  expect(metadata.authorization_servers, [issuer], "authorization_servers");
  expect(metadata.resource, url, "resource");
  expect(metadata.scopes_supported, ["mcp"], "scopes_supported");
  return `authorization server ${metadata.authorization_servers[0]}`;
});

await check("metadata through the SDK's own well-known discovery", async () => {
  const found = await auth.discoverOAuthProtectedResourceMetadata(url);
  expect(found.authorization_servers, [issuer], "authorization_servers");
  expect(found.resource, url, "resource");
});

await check("the resource the client would request (selectResourceURL)", async () => {
  const resource = await auth.selectResourceURL(url, {}, metadata);
  expect(resource?.href, url, "resource");
});

await check("an identity provider's token for the resource: connect and list tools", async () => {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${idpToken(claims("openid mcp"))}` } },
  });
  const client = new Client({ name: "resource-metadata", version: "1" });
  await client.connect(transport);
  const { tools } = await client.listTools();
  await client.close();
  if (!tools.length) throw new Error("no tools listed");
  return `${tools.length} tools`;
});

await check("a token without the mcp scope: 403 insufficient_scope", async () => {
  const response = await initialize(idpToken(claims("openid")));
  await response.body?.cancel();
  expect(response.status, 403, "status");
  const params = auth.extractWWWAuthenticateParams(response);
  expect(params.error, "insufficient_scope", "error");
  expect(params.scope, "mcp", "scope");
  expect(params.resourceMetadataUrl?.href, expectedMetadataUrl, "resource_metadata");
});

await check("a token for another resource: 401 invalid_token", async () => {
  const response = await initialize(idpToken({ ...claims("mcp"), aud: "https://other.example.test/mcp" }));
  await response.body?.cancel();
  expect(response.status, 401, "status");
  expect(auth.extractWWWAuthenticateParams(response).error, "invalid_token", "error");
});

if (failures) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
