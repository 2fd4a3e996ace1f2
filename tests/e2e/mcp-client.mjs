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
const sdk = `${process.env.SG_NPM}/node_modules/@modelcontextprotocol/sdk/dist/esm`;
const { Client } = await import(`${sdk}/client/index.js`);
const { StreamableHTTPClientTransport } = await import(`${sdk}/client/streamableHttp.js`);

const [url, ...steps] = process.argv.slice(2);
// MCP_BEARER: a token sent as "Authorization: Bearer ..." on every request.
const transport = new StreamableHTTPClientTransport(
	new URL(url),
	process.env.MCP_BEARER
		? { requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_BEARER}` } } }
		: undefined,
);
const client = new Client({ name: "splicegate-e2e", version: "1.0.0" });
const say = (o) => console.log(JSON.stringify(o));

try {
	await client.connect(transport);
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
