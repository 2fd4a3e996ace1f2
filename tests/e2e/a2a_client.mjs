// An A2A client made with the official SDK (@a2a-js/sdk): it reads the
// agent card at BASE (through the gateway), prints the JSON-RPC URL it
// chose from it, then sends TEXT and prints the answer's text, then sends
// it again as a stream and prints each text it gets.
//   node a2a_client.mjs BASE TEXT
import { ClientFactory } from '@a2a-js/sdk/client';

const [base, text] = process.argv.slice(2);
const factory = new ClientFactory();
const client = await factory.createFromUrl(base);
const card = await client.getAgentCard();
console.log(`card: ${card.supportedInterfaces.map((i) => `${i.protocolVersion} ${i.url}`).join(', ')}`);
const msg = (t) => ({
  message: {
    messageId: `c-${Date.now()}-${t}`, contextId: '', taskId: '', role: 1,
    parts: [{ content: { $case: 'text', value: t } }],
    metadata: undefined, extensions: [], referenceTaskIds: [],
  },
});
const textOf = (m) => m?.parts?.map((p) => p.content?.value).join('') ?? JSON.stringify(m);
const r = await client.sendMessage(msg(text));
console.log(`send: ${textOf(r.payload?.value ?? r)}`);
for await (const ev of client.sendMessageStream(msg(`${text} (stream)`))) {
  console.log(`stream: ${textOf(ev.payload?.value ?? ev)}`);
}
