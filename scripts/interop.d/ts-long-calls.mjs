// Long calls through the official MCP TypeScript SDK 1.x (run by scripts/interop, part `long`):
// a Notion page read in many provider requests reports progress to the SDK's `onprogress`, and
// aborting the call (the SDK sends notifications/cancelled) stops its provider requests, as the
// server's own metrics show. Environment: INTEROP_URL, INTEROP_TOKEN, INTEROP_NODE_MODULES,
// INTEROP_METRICS_URL and INTEROP_METRICS_TOKEN (the server's /metrics and its bearer).
import { createRequire } from "node:module";
import path from "node:path";

const { INTEROP_URL: url, INTEROP_TOKEN: token, INTEROP_NODE_MODULES: modules } = process.env;
const { INTEROP_METRICS_URL: metricsUrl, INTEROP_METRICS_TOKEN: metricsToken } = process.env;
const require = createRequire(path.join(modules, "noop.js"));
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

let failures = 0;
function check(ok, what, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` — ${detail}` : ""}`);
  if (!ok) failures++;
}

/// The value of one Prometheus series of the server (0 when absent).
async function metric(name, labels) {
  const text = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${metricsToken}` } })).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

const client = new Client({ name: "mcpserver-interop-long-calls", version: "1" });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
);

// A page of 100 list items, each with a nested item: reading it takes 1 + 100 requests.
const found = await client.callTool({ name: "notion_search", arguments: { query: "Roadmap", filter: "page" } });
const parent = found.structuredContent.results[0].id;
const content = Array.from({ length: 100 }, (_, i) => `- item ${i}\n  - detail ${i}`).join("\n");
const created = await client.callTool({
  name: "notion_create_page",
  arguments: { parent, title: "Interop long page", content },
});
const page = created.structuredContent.id;
check(!created.isError && typeof page === "string", "a page of 100 nested items created");

// 1. Progress: the SDK asks for it (a progressToken) when onprogress is given.
const seen = [];
const read = await client.callTool({ name: "notion_get_page", arguments: { page } }, undefined, {
  onprogress: (p) => seen.push(p.progress),
});
const grows = seen.every((p, i) => i === 0 || p > seen[i - 1]);
check(!read.isError && read.structuredContent.content.includes("detail 99"), "notion_get_page read the whole page");
check(seen.length >= 2 && grows, "progress notifications, growing", `${seen.length}: ${seen.slice(0, 5).join(", ")}…`);

// 2. Cancellation: abort at the first progress notification.
const route = { endpoint: "/v1/blocks/{id}/children", method: "GET", provider: "notion" };
const before = await metric("mcpserver_provider_calls_total", route);
const cancelledBefore = await metric("mcpserver_mcp_tool_calls_total", { tool: "notion_get_page", outcome: "cancelled" });
const controller = new AbortController();
let outcome;
try {
  await client.callTool({ name: "notion_get_page", arguments: { page } }, undefined, {
    signal: controller.signal,
    onprogress: () => controller.abort("the user gave up"),
  });
  outcome = "the call finished";
} catch (e) {
  outcome = `rejected: ${e.message ?? e}`;
}
check(outcome.startsWith("rejected"), "the aborted call is rejected by the SDK", outcome);
// Give the server a moment to see the cancel and the requests in flight to end.
await new Promise((resolve) => setTimeout(resolve, 1500));
const sent = (await metric("mcpserver_provider_calls_total", route)) - before;
const cancelled =
  (await metric("mcpserver_mcp_tool_calls_total", { tool: "notion_get_page", outcome: "cancelled" })) - cancelledBefore;
check(cancelled === 1, "the server counted the call as cancelled", `${cancelled}`);
check(sent < 101, "the read stopped early", `${sent} of 101 block requests sent`);

await client.close();
console.log(failures ? `${failures} failure(s)` : "every check passed");
process.exit(failures ? 1 : 0);
