// The official MCP SDK's client (@modelcontextprotocol/sdk, installed under
// $SG_NPM by tests/e2e/run.sh) driving a gateway's MCP endpoint over
// streamable HTTP, for the mcp-* scenarios. One line of JSON on stdout per
// step, so that a scenario compares what a user of the SDK sees:
//
//   node mcp-client.mjs URL STEP...
//     tools               {"tools":[names, sorted]}
//     prompts             {"prompts":[names, sorted]}
//     call:NAME:JSON      {"call":NAME,"text":first text content,"isError":bool}
//                         or {"call":NAME,"error":code}
//     ping                {"ping":true}
//     session             {"session":true} when the server gave a session id
//     prompt:NAME         {"prompt":NAME,"messages":count} or {"prompt":NAME,"error":code}
//     end                 {"end":true} after DELETE ends the session
//     progress:NAME:JSON  tools/call with a progress token:
//                         {"call":NAME,"progress":notifications seen,"text":...}
//     logs:N:SECONDS      {"logs":count} once N logging notifications came
//                         since the start (or SECONDS passed)
// MCP_TRANSPORT=sse: the legacy HTTP+SSE transport (GET URL, then POSTs
// to the endpoint it names) instead of streamable HTTP ("end" then only
// closes the stream).
// MCP_CAPS=sampling,roots: the client offers them, and answers
// sampling/createMessage with the text "sampled by the e2e client" and
// roots/list with the root file:///e2e.
// A failure to connect prints {"connect":message} and exits 1.
// MCP_OAUTH=1: the SDK's own OAuth flow (the MCP authorization spec) when
// the server answers 401: protected-resource metadata, authorization-server
// metadata, dynamic registration, an authorization the server grants at
// once (its redirect's code taken without a browser), the token; then
// {"oauth":client_id} and a new connection with the token.
const sdk = `${process.env.SG_NPM}/node_modules/@modelcontextprotocol/sdk/dist/esm`;
const { Client } = await import(`${sdk}/client/index.js`);
const { StreamableHTTPClientTransport } = await import(`${sdk}/client/streamableHttp.js`);
const types = await import(`${sdk}/types.js`);

const [url, ...steps] = process.argv.slice(2);
const say = (o) => console.log(JSON.stringify(o));
const redirect = "http://localhost:1/callback";
const store = {};
let code = null;
const authProvider = {
	get redirectUrl() {
		return redirect;
	},
	get clientMetadata() {
		return {
			client_name: "splicegate-e2e",
			redirect_uris: [redirect],
			grant_types: ["authorization_code"],
			response_types: ["code"],
			token_endpoint_auth_method: "none",
		};
	},
	clientInformation: () => store.client,
	saveClientInformation: (c) => {
		store.client = c;
	},
	tokens: () => store.tokens,
	saveTokens: (t) => {
		store.tokens = t;
	},
	saveCodeVerifier: (v) => {
		store.verifier = v;
	},
	codeVerifier: () => store.verifier,
	// Redirects followed, as a browser would, until one names the code
	// (a gateway's authorize endpoint sends on to the provider's).
	redirectToAuthorization: async (at) => {
		for (let hop = 0, u = at; hop < 5 && !code; hop++) {
			const r = await fetch(u, { redirect: "manual" });
			const to = r.headers.get("location");
			if (!to) break;
			u = new URL(to, u);
			code = u.searchParams.get("code");
		}
	},
};
// MCP_BEARER: a token sent as "Authorization: Bearer ..." on every request.
const options = () =>
	process.env.MCP_OAUTH
		? { authProvider }
		: process.env.MCP_BEARER
			? { requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_BEARER}` } } }
			: undefined;
const legacy = process.env.MCP_TRANSPORT === "sse";
const SSEClientTransport = legacy ? (await import(`${sdk}/client/sse.js`)).SSEClientTransport : null;
const newTransport = () =>
	legacy
		? new SSEClientTransport(new URL(url), options())
		: new StreamableHTTPClientTransport(new URL(url), options());
const caps = (process.env.MCP_CAPS || "").split(",").filter((c) => c);
let logs = 0;
const newClient = () => {
	const c = new Client(
		{ name: "splicegate-e2e", version: "1.0.0" },
		{ capabilities: Object.fromEntries(caps.map((k) => [k, {}])) },
	);
	c.setNotificationHandler(types.LoggingMessageNotificationSchema, () => {
		logs++;
	});
	if (caps.includes("sampling"))
		c.setRequestHandler(types.CreateMessageRequestSchema, () => ({
			model: "e2e",
			role: "assistant",
			content: { type: "text", text: "sampled by the e2e client" },
		}));
	if (caps.includes("roots"))
		c.setRequestHandler(types.ListRootsRequestSchema, () => ({
			roots: [{ uri: "file:///e2e", name: "e2e" }],
		}));
	return c;
};
let transport = newTransport();
let client = newClient();

try {
	try {
		await client.connect(transport);
	} catch (e) {
		if (!process.env.MCP_OAUTH || !code) throw e;
		await transport.finishAuth(code);
		say({ oauth: store.client?.client_id ?? null });
		transport = newTransport();
		client = newClient();
		await client.connect(transport);
	}
} catch (e) {
	say({ connect: String(e.message || e) });
	process.exit(1);
}
say({ version: client.getServerVersion()?.name ?? null });
for (const step of steps) {
	const [op, name, ...rest] = step.split(":");
	try {
		if (op === "tools") {
			const r = await client.listTools();
			say({ tools: r.tools.map((t) => t.name).sort() });
		} else if (op === "prompts") {
			const r = await client.listPrompts();
			say({ prompts: r.prompts.map((p) => p.name).sort() });
		} else if (op === "call") {
			const args = rest.length ? JSON.parse(rest.join(":")) : {};
			const r = await client.callTool({ name, arguments: args });
			const text = (r.content || []).find((c) => c.type === "text");
			say({ call: name, text: text ? text.text : null, isError: !!r.isError });
		} else if (op === "progress") {
			let seen = 0;
			const args = rest.length ? JSON.parse(rest.join(":")) : {};
			const r = await client.callTool({ name, arguments: args }, undefined, {
				onprogress: () => seen++,
			});
			const text = (r.content || []).find((c) => c.type === "text");
			say({ call: name, progress: seen, text: text ? text.text : null });
		} else if (op === "logs") {
			const until = Date.now() + 1000 * Number(rest[0]);
			while (logs < Number(name) && Date.now() < until)
				await new Promise((r) => setTimeout(r, 50));
			say({ logs });
		} else if (op === "prompt") {
			const r = await client.getPrompt({ name, arguments: {} });
			say({ prompt: name, messages: (r.messages || []).length });
		} else if (op === "ping") {
			await client.ping();
			say({ ping: true });
		} else if (op === "session") {
			say({ session: !!transport.sessionId });
		} else if (op === "end") {
			if (legacy) await transport.close();
			else await transport.terminateSession();
			say({ end: true });
		}
	} catch (e) {
		say({ [op]: name ?? true, error: e.code ?? String(e.message || e) });
	}
}
await client.close();
