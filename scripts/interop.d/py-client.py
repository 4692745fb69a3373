"""The official MCP Python SDK (`mcp` 1.x or 2.x) as a client of mcpserver (run by scripts/interop).

Usage: py-client.py PROTOCOL...   (2025-11-25: `initialize`; 2026-07-28: `discover`, mcp 2.x only)
Environment: INTEROP_URL (the /mcp endpoint), INTEROP_TOKEN (a hub JWT), INTEROP_PLAN (plan.json).
`ClientSession.call_tool` checks every structured result against the tool's outputSchema from
`list_tools` (raising "Invalid structured content returned by tool ..."); nothing here turns that
off. One line per call; exit 1 on any failure.
"""

import asyncio
import importlib.metadata
import json
import os
import re
import sys

from mcp import ClientSession
from pydantic import AnyUrl
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

URL = os.environ["INTEROP_URL"]
TOKEN = os.environ["INTEROP_TOKEN"]
with open(os.environ["INTEROP_PLAN"], encoding="utf-8") as f:
    PLAN = json.load(f)
SDK = importlib.metadata.version("mcp")
MAJOR = int(SDK.split(".")[0])
failures = 0


def field(obj, *names):
    """The first attribute present: 1.x spells the wire names (`structuredContent`), 2.x snake_case."""
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def line(status, what, reason=""):
    print(f"{status:<4} {what}{' — ' + reason if reason else ''}", flush=True)


def short(text):
    text = " ".join(str(text).split())
    return text[:400] + "…" if len(text) > 400 else text


def lookup(results, ref):
    value = results
    for segment in ref.split("."):
        if isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        elif isinstance(value, dict) and segment in value:
            value = value[segment]
        else:
            raise LookupError(f"{{{{{ref}}}}} is not in an earlier result")
    if value is None:
        raise LookupError(f"{{{{{ref}}}}} is empty in an earlier result")
    return value


def substitute(results, value):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{\{([^}]+)\}\}", value)
        if whole:
            return lookup(results, whole.group(1))
        return re.sub(r"\{\{([^}]+)\}\}", lambda m: str(lookup(results, m.group(1))), value)
    if isinstance(value, list):
        return [substitute(results, v) for v in value]
    if isinstance(value, dict):
        return {k: substitute(results, v) for k, v in value.items()}
    return value


async def unchecked_call(session, name, args):
    """The structured result of a tools/call sent without the SDK's output-schema check."""
    from mcp import types

    params = types.CallToolRequestParams(name=name, arguments=args)
    request = types.CallToolRequest(params=params) if MAJOR >= 2 else types.ClientRequest(types.CallToolRequest(params=params))
    try:
        result = await session.send_request(request, types.CallToolResult)
    except Exception:  # noqa: BLE001
        return None
    return field(result, "structured_content", "structuredContent")


async def run(session, label):
    global failures
    tools = []
    try:
        tools = (await session.list_tools()).tools
        line("ok", f"{label} tools/list", f"{len(tools)} tools")
    except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
        failures += 1
        line("FAIL", f"{label} tools/list", short(f"{type(e).__name__}: {e}"))
    planned = {c["tool"] for c in PLAN["calls"]}
    for tool in tools:
        if tool.name not in planned:
            failures += 1
            line("FAIL", f"{label} {tool.name}", "listed but not in scripts/interop.d/plan.json: add a call")
    results = {}
    for call in PLAN["calls"]:
        note = f": {call['note']}" if call.get("note") else ""
        what = f"{label} {call['tool']} [{call['id']}{note}]"
        try:
            args = substitute(results, call["args"])
        except LookupError as e:
            failures += 1
            line("FAIL", what, f"not called: {e}")
            continue
        try:
            result = await session.call_tool(call["tool"], args)
        except Exception as e:  # noqa: BLE001
            failures += 1
            line("FAIL", what, short(f"{type(e).__name__}: {e}"))
            if "Invalid structured content" in str(e):
                # Only to keep the values later calls need: the same call once more, unchecked.
                raw = await unchecked_call(session, call["tool"], args)
                if raw is not None:
                    results[call["id"]] = raw
            continue
        is_error = field(result, "is_error", "isError")
        text = " ".join(getattr(c, "text", "") for c in result.content)
        if "expect_error" in call:
            if not is_error:
                failures += 1
                line("FAIL", what, "expected isError, got a result")
            elif isinstance(call["expect_error"], str) and call["expect_error"] not in text:
                failures += 1
                line("FAIL", what, f"isError does not mention `{call['expect_error']}`: {short(text)}")
            else:
                line("ok", what, short(text))
            continue
        if is_error:
            failures += 1
            line("FAIL", what, f"isError: {short(text)}")
            continue
        structured = field(result, "structured_content", "structuredContent")
        if structured is None:
            failures += 1
            line("FAIL", what, "no structuredContent")
            continue
        results[call["id"]] = structured
        line("ok", what)
    for read in PLAN.get("reads", []):
        note = f": {read['note']}" if read.get("note") else ""
        what = f"{label} resources/read [{read['id']}{note}]"
        try:
            uri = substitute(results, read["uri"])
            # The SDK checks the answer against its ReadResourceResult model.
            result = await session.read_resource(uri if MAJOR >= 2 else AnyUrl(uri))
        except Exception as e:  # noqa: BLE001
            failures += 1
            line("FAIL", what, short(f"{type(e).__name__}: {e}"))
            continue
        first = result.contents[0] if result.contents else None
        kind = "text" if hasattr(first, "text") else "blob" if hasattr(first, "blob") else "none"
        mime = field(first, "mime_type", "mimeType") if first is not None else None
        if mime != read["mime_type"] or kind != read["kind"]:
            failures += 1
            line("FAIL", what, f"got {kind} of {mime}, expected {read['kind']} of {read['mime_type']}")
        else:
            line("ok", what)


async def protocol(version):
    global failures
    label = f"protocol {version}"
    modern = version >= "2026-07-28"
    if modern and MAJOR < 2:
        line("skip", label, f"mcp {SDK} does not speak it (2.x does)")
        return
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with http, streamable_http_client(URL, http_client=http) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            try:
                if modern:
                    await session.discover()
                    negotiated = session.protocol_version
                else:
                    negotiated = field(await session.initialize(), "protocol_version", "protocolVersion")
            except Exception as e:  # noqa: BLE001
                failures += 1
                line("FAIL", f"{label} {'discover' if modern else 'initialize'}", short(f"{type(e).__name__}: {e}"))
                return
            if negotiated != version:
                failures += 1
                line("FAIL", f"{label} {'discover' if modern else 'initialize'}", f"negotiated {negotiated}")
                return
            line("ok", f"{label} {'discover' if modern else 'initialize'}")
            await run(session, label)


async def main(versions):
    print(f"mcp {SDK} on Python {sys.version.split()[0]}, {len(PLAN['calls'])} calls per protocol", flush=True)
    for version in versions:
        await protocol(version)
    print(f"{failures} failure(s)" if failures else "every call passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:] or ["2025-11-25"])))
