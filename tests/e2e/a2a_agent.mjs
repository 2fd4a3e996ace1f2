// An A2A agent made with the official SDK (@a2a-js/sdk, v1.0 with its v0.3
// compatibility layer on): it answers each message with "echo: <text>".
// Its card, at /.well-known/agent-card.json, names its own address only:
// JSON-RPC at http://127.0.0.1:PORT/a2a/jsonrpc, for protocol 1.0 and 0.3
// (a request without A2A-Version gets the v0.3 card, with a top-level
// url). Prints "ready" when it listens.
//   node a2a_agent.mjs PORT
import express from 'express';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { UserBuilder, agentCardHandler, jsonRpcHandler } from '@a2a-js/sdk/server/express';

const port = Number(process.argv[2]);
const url = `http://127.0.0.1:${port}/a2a/jsonrpc`;
const card = {
  name: 'echo agent',
  description: 'Says back what it is told',
  supportedInterfaces: [
    { url, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
    { url, protocolBinding: 'JSONRPC', protocolVersion: '0.3', tenant: '' },
  ],
  provider: undefined,
  version: '1.0.0',
  capabilities: { streaming: true, pushNotifications: false, extensions: [] },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{ id: 'echo', name: 'echo', description: 'echo', tags: ['echo'], examples: [],
    inputModes: [], outputModes: [], securityRequirements: [] }],
  signatures: [],
};

const executor = {
  async execute(ctx, bus) {
    const part = ctx.userMessage.parts.find((p) => p.content?.$case === 'text');
    bus.publish(AgentEvent.message({
      messageId: `m-${Date.now()}`,
      contextId: ctx.contextId,
      taskId: '',
      role: 2, // ROLE_AGENT
      parts: [{ content: { $case: 'text', value: `echo: ${part ? part.content.value : ''}` } }],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    }));
    bus.finished();
  },
  async cancelTask() {},
};

const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
const app = express();
app.use('/.well-known/agent-card.json',
  agentCardHandler({ agentCardProvider: handler, legacyCompat: { enabled: true } }));
app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler,
  userBuilder: UserBuilder.noAuthentication, legacyCompat: { enabled: true } }));
app.listen(port, '127.0.0.1', () => console.log('ready'));
