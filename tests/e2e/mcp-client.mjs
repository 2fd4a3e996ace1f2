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
// A failure to connect prints {"connect":message} and exits 1.
// MCP_OAUTH=1: the SDK's own OAuth flow (the MCP authorization spec) when
// the server answers 401: protected-resource metadata, authorization-server
// metadata, dynamic registration, an authorization the server grants at
// once (its redirect's code taken without a browser), the token; then
// {"oauth":client_id} and a new connection with the token.
const sdk = `${process.env.SG_NPM}/node_modules/@modelcontextprotocol/sdk/dist/esm`;
const { Client } = await import(`${sdk}/client/index.js`);
const { StreamableHTTPClientTransport } = await import(`${sdk}/client/streamableHttp.js`);

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
	redirectToAuthorization: async (at) => {
		const r = await fetch(at, { redirect: "manual" });
		code = new URL(r.headers.get("location")).searchParams.get("code");
	},
};
// MCP_BEARER: a token sent as "Authorization: Bearer ..." on every request.
const options = () =>
	process.env.MCP_OAUTH
		? { authProvider }
		: process.env.MCP_BEARER
			? { requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_BEARER}` } } }
			: undefined;
let transport = new StreamableHTTPClientTransport(new URL(url), options());
let client = new Client({ name: "splicegate-e2e", version: "1.0.0" });

try {
	try {
		await client.connect(transport);
	} catch (e) {
		if (!process.env.MCP_OAUTH || !code) throw e;
		await transport.finishAuth(code);
		say({ oauth: store.client?.client_id ?? null });
		transport = new StreamableHTTPClientTransport(new URL(url), options());
		client = new Client({ name: "splicegate-e2e", version: "1.0.0" });
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
		} else if (op === "prompt") {
			const r = await client.getPrompt({ name, arguments: {} });
			say({ prompt: name, messages: (r.messages || []).length });
		} else if (op === "ping") {
			await client.ping();
			say({ ping: true });
		} else if (op === "session") {
			say({ session: !!transport.sessionId });
		} else if (op === "end") {
			await transport.terminateSession();
			say({ end: true });
		}
	} catch (e) {
		say({ [op]: name ?? true, error: e.code ?? String(e.message || e) });
	}
}
await client.close();
