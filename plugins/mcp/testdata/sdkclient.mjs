// A third-party MCP client for the plugin's tests: the official TypeScript
// SDK (@modelcontextprotocol/sdk, found under $MCP_NODE_SDK/node_modules).
// Usage: node sdkclient.mjs <url> <http|sse>
// Prints one JSON line with what it read, then "changed" when the server
// announces a tools list change, and exits.
import path from 'node:path';

const sdk = (p) => import(path.join(process.env.MCP_NODE_SDK, 'node_modules/@modelcontextprotocol/sdk/dist/esm', p));
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const { SSEClientTransport } = await sdk('client/sse.js');
const { ToolListChangedNotificationSchema } = await sdk('types.js');

const [url, kind] = process.argv.slice(2);
const transport = kind === 'sse' ? new SSEClientTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url));
const client = new Client({ name: 'sdk-test', version: '1.0.0' });
let changed;
const changedOnce = new Promise((resolve) => { changed = resolve; });
client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed());
await client.connect(transport);

const tools = await client.listTools();
const paris = await client.callTool({ name: 'get_weather', arguments: { city: 'Paris' } });
const berlin = await client.callTool({ name: 'get_weather', arguments: { city: 'Berlin' } });
const resource = await client.readResource({ uri: 'config://app/settings' });
const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
console.log(JSON.stringify({
  protocol: transport.protocolVersion ?? null,
  tools: tools.tools.map((t) => ({ name: t.name, required: t.inputSchema.required ?? [] })),
  paris, berlin,
  resource: resource.contents[0].text,
  prompt: prompt.messages[0].content.text,
}));
const timer = setTimeout(() => { console.log('timeout'); process.exit(2); }, 30000);
await changedOnce;
clearTimeout(timer);
console.log('changed');
await client.close();
process.exit(0);
