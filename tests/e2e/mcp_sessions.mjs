// A lean MCP client for mcp-sessions.sh: many streamable-HTTP sessions at
// once, each request a POST of its own on a connection of its own
// (node:http, no keep-alive), every request bounded at 60 s (the
// gateway's own bound on a call). One line of
// JSON on stdout per result.
//
//   node mcp_sessions.mjs open URL N      N sessions at once: initialize,
//                                         notifications/initialized, tools/call
//                                         pid; a line {"sid":ID,"pid":PID} each,
//                                         or {"failed":why}. Session i begins
//                                         from 127.0.0.(1 + i % 8) (the gateway
//                                         gives one client address 32 sessions),
//                                         or all from FROM when given:
//   node mcp_sessions.mjs open URL N FROM
//   node mcp_sessions.mjs kill URL FILE PID
//                                         FILE holds open's lines: the session
//                                         whose target is PID calls tools/call
//                                         wait, PID is killed (SIGKILL) 300 ms
//                                         later, then {"waited":ANSWER,"ms":ms from
//                                         the kill to the answer}; then every
//                                         session calls hello at once:
//                                         {"hello":N answered "hello","errors":[ANSWER
//                                         of each other answer],"ms":slowest}
//   node mcp_sessions.mjs end URL FILE    DELETE each: {"ended":N answered 200}
import fs from "node:fs";
import http from "node:http";

const [mode, url, ...rest] = process.argv.slice(2);
const say = (o) => console.log(JSON.stringify(o));
const u = new URL(url);

// One request (from the loopback address `from`, else the system's
// choice): {status, sid, body}; rejects after 60 s or on a failure.
function request(method, sid, msg, from) {
	const body = msg ? JSON.stringify(msg) : "";
	const headers = { accept: "application/json, text/event-stream" };
	if (msg) headers["content-type"] = "application/json";
	if (sid) headers["mcp-session-id"] = sid;
	return new Promise((resolve, reject) => {
		const req = http.request(
			{
				host: u.hostname,
				port: u.port,
				path: u.pathname,
				method,
				headers,
				agent: false,
				localAddress: from,
			},
			(res) => {
				let text = "";
				res.setEncoding("utf8");
				res.on("data", (d) => (text += d));
				res.on("end", () =>
					resolve({ status: res.statusCode, sid: res.headers["mcp-session-id"], body: text }),
				);
			},
		);
		req.setTimeout(60000, () => req.destroy(new Error("no answer in 60 s")));
		req.on("error", reject);
		req.end(body);
	});
}

// A JSON-RPC answer's message: from a JSON body, or an event stream's last
// message event.
function answer(r) {
	const data = r.body.split("\n").filter((l) => l.startsWith("data: "));
	return JSON.parse(data.length ? data[data.length - 1].slice(6) : r.body);
}

let next = 1;
const call = async (sid, name) =>
	answer(
		await request("POST", sid, {
			jsonrpc: "2.0",
			id: next++,
			method: "tools/call",
			params: { name, arguments: {} },
		}),
	);

// A step of open1: its failure names it.
const step = (name, p) =>
	p.catch((e) => {
		throw new Error(`${name}: ${e.message}`);
	});

async function open1(_, i) {
	const init = await step(
		"initialize",
		request("POST", null, {
			jsonrpc: "2.0",
			id: 0,
			method: "initialize",
			params: {
				protocolVersion: "2025-06-18",
				capabilities: {},
				clientInfo: { name: "e2e", version: "1" },
			},
		}, rest[1] || `127.0.0.${1 + (i % 8)}`),
	);
	if (init.status !== 200 || !init.sid) throw new Error(`initialize: ${init.status} ${init.body}`);
	await step(
		"notifications/initialized",
		request("POST", init.sid, { jsonrpc: "2.0", method: "notifications/initialized" }),
	);
	const pid = await step("tools/call pid", call(init.sid, "pid"));
	return { sid: init.sid, pid: Number(pid.result.content[0].text) };
}

const sessions = (file) =>
	fs
		.readFileSync(file, "utf8")
		.split("\n")
		.filter((l) => l.includes('"sid"'))
		.map((l) => JSON.parse(l));

const text = (a) => (a.result ? a.result.content[0].text : JSON.stringify(a.error));

if (mode === "open") {
	const all = await Promise.allSettled(Array.from({ length: Number(rest[0]) }, open1));
	for (const r of all) say(r.status === "fulfilled" ? r.value : { failed: String(r.reason) });
} else if (mode === "kill") {
	const all = sessions(rest[0]);
	const pid = Number(rest[1]);
	const victim = all.find((s) => s.pid === pid);
	const waited = call(victim.sid, "wait");
	await new Promise((r) => setTimeout(r, 300));
	const t0 = performance.now();
	process.kill(pid, "SIGKILL");
	const a = await waited;
	say({ waited: a.error || a.result, ms: Math.round(performance.now() - t0) });
	const t1 = performance.now();
	const got = await Promise.all(all.map((s) => call(s.sid, "hello").then(text, String)));
	say({
		hello: got.filter((t) => t === "hello").length,
		errors: got.filter((t) => t !== "hello"),
		ms: Math.round(performance.now() - t1),
	});
} else if (mode === "end") {
	const got = await Promise.all(sessions(rest[0]).map((s) => request("DELETE", s.sid)));
	say({ ended: got.filter((r) => r.status === 200).length });
}
