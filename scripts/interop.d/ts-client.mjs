// The official MCP TypeScript SDK as a client of mcpserver (run by scripts/interop).
// Usage: ts-client.mjs sdk      the 1.x package @modelcontextprotocol/sdk (protocol 2025-11-25;
//                              it does not speak 2026-07-28, which is reported as skipped)
//        ts-client.mjs client   the 2.x package @modelcontextprotocol/client: the legacy
//                              handshake (2025-11-25) and `versionNegotiation: {pin: "2026-07-28"}`
// Environment: INTEROP_URL (the /mcp endpoint), INTEROP_TOKEN (a hub JWT), INTEROP_PLAN
// (plan.json), INTEROP_NODE_MODULES (where the packages are installed).
// The SDK's Client checks every structuredContent against the tool's outputSchema from
// tools/list (callTool throws "Structured content does not match the tool's output schema");
// nothing here turns that off. One line per call; exit 1 on any failure.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const { INTEROP_URL: url, INTEROP_TOKEN: token, INTEROP_PLAN: planFile, INTEROP_NODE_MODULES: modules } = process.env;
const flavour = process.argv[2] ?? "sdk";
const require = createRequire(path.join(modules, "noop.js"));
const packageName = flavour === "client" ? "@modelcontextprotocol/client" : "@modelcontextprotocol/sdk";
const sdk =
  flavour === "client"
    ? require("@modelcontextprotocol/client")
    : {
        ...require("@modelcontextprotocol/sdk/client/index.js"),
        ...require("@modelcontextprotocol/sdk/client/streamableHttp.js"),
        ...require("@modelcontextprotocol/sdk/types.js"),
      };
const { Client, StreamableHTTPClientTransport } = sdk;
const sdkVersion = JSON.parse(readFileSync(path.join(modules, packageName, "package.json"), "utf8")).version;
const modern = (version) => version >= "2026-07-28";

const plan = JSON.parse(readFileSync(planFile, "utf8"));
const results = {};
let failures = 0;

function lookup(ref) {
  let value = results;
  for (const segment of ref.split(".")) {
    if (value === null || typeof value !== "object" || !(segment in value)) throw new Error(`{{${ref}}} is not in an earlier result`);
    value = value[segment];
  }
  if (value === null || value === undefined) throw new Error(`{{${ref}}} is empty in an earlier result`);
  return value;
}
function substitute(value) {
  if (typeof value === "string") {
    const whole = value.match(/^\{\{([^}]+)\}\}$/);
    if (whole) return lookup(whole[1]);
    return value.replace(/\{\{([^}]+)\}\}/g, (_, ref) => String(lookup(ref)));
  }
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
  return value;
}
function line(status, what, reason = "") {
  console.log(`${status.padEnd(4)} ${what}${reason ? ` — ${reason}` : ""}`);
}
const short = (text) => (text.length > 400 ? `${text.slice(0, 400)}…` : text);

async function session(protocolVersion) {
  const label = `protocol ${protocolVersion}`;
  if (flavour === "sdk" && !sdk.SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersion)) {
    line("skip", label, `${packageName} ${sdkVersion} does not speak it (supports ${sdk.SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`);
    return;
  }
  const options = modern(protocolVersion) ? { versionNegotiation: { mode: { pin: protocolVersion } } } : {};
  const client = new Client({ name: "mcpserver-interop-ts", version: "1" }, options);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  try {
    await client.connect(transport);
  } catch (e) {
    failures++;
    line("FAIL", `${label} connect`, e.message);
    return;
  }
  const negotiated = client.getNegotiatedProtocolVersion?.() ?? transport.protocolVersion ?? "?";
  if (negotiated !== protocolVersion) {
    failures++;
    line("FAIL", `${label} connect`, `negotiated ${negotiated}`);
  } else {
    line("ok", `${label} connect`, `server ${client.getServerVersion()?.name} ${client.getServerVersion()?.version}`);
  }
  let listed = [];
  try {
    listed = (await client.listTools()).tools;
    line("ok", `${label} tools/list`, `${listed.length} tools`);
  } catch (e) {
    failures++;
    line("FAIL", `${label} tools/list`, e.message);
  }
  const planned = new Set(plan.calls.map((c) => c.tool));
  for (const tool of listed) {
    if (!planned.has(tool.name)) {
      failures++;
      line("FAIL", `${label} ${tool.name}`, "listed but not in scripts/interop.d/plan.json: add a call");
    }
  }
  for (const key of Object.keys(results)) delete results[key];
  for (const call of plan.calls) {
    const what = `${label} ${call.tool} [${call.id}${call.note ? `: ${call.note}` : ""}]`;
    let args;
    try {
      args = substitute(call.args);
    } catch (e) {
      failures++;
      line("FAIL", what, `not called: ${e.message}`);
      continue;
    }
    try {
      const result = await client.callTool({ name: call.tool, arguments: args });
      const text = result.content?.map((c) => c.text ?? "").join(" ") ?? "";
      if (call.expect_error !== undefined) {
        if (!result.isError) {
          failures++;
          line("FAIL", what, "expected isError, got a result");
        } else if (typeof call.expect_error === "string" && !text.includes(call.expect_error)) {
          failures++;
          line("FAIL", what, `isError does not mention \`${call.expect_error}\`: ${short(text)}`);
        } else {
          line("ok", what, short(text));
        }
      } else if (result.isError) {
        failures++;
        line("FAIL", what, `isError: ${short(text)}`);
      } else if (!result.structuredContent) {
        failures++;
        line("FAIL", what, "no structuredContent");
      } else {
        results[call.id] = result.structuredContent;
        line("ok", what);
      }
    } catch (e) {
      failures++;
      line("FAIL", what, short(`${e.code ?? ""} ${e.message}`.trim()));
      if (/output schema/.test(e.message)) {
        // Only to keep the values later calls need: the same call once more, unchecked.
        try {
          const request = { method: "tools/call", params: { name: call.tool, arguments: args } };
          const raw = flavour === "client" ? await client.request(request) : await client.request(request, sdk.CallToolResultSchema);
          if (raw.structuredContent) results[call.id] = raw.structuredContent;
        } catch {}
      }
    }
  }
  for (const read of plan.reads ?? []) {
    const what = `${label} resources/read [${read.id}${read.note ? `: ${read.note}` : ""}]`;
    try {
      // The SDK checks the answer against its ReadResourceResult schema.
      const result = await client.readResource({ uri: substitute(read.uri) });
      const first = result.contents?.[0];
      const kind = typeof first?.text === "string" ? "text" : typeof first?.blob === "string" ? "blob" : "none";
      if (first?.mimeType !== read.mime_type || kind !== read.kind) {
        failures++;
        line("FAIL", what, `got ${kind} of ${first?.mimeType}, expected ${read.kind} of ${read.mime_type}`);
      } else {
        line("ok", what);
      }
    } catch (e) {
      failures++;
      line("FAIL", what, short(`${e.code ?? ""} ${e.message}`.trim()));
    }
  }
  await client.close();
}

console.log(`${packageName} ${sdkVersion} on Node ${process.version}, ${plan.calls.length} calls per protocol`);
for (const version of ["2025-11-25", "2026-07-28"]) await session(version);
console.log(failures ? `${failures} failure(s)` : "every call passed");
process.exit(failures ? 1 : 0);
