// The official TypeScript MCP client against `stagecraft mcp` (stdio): lists the tools, runs code (a long run kept
// alive by progress notifications), prints one JSON
// document for TestMcpTypeScriptClient to check. The server's command line comes as JSON in argv[2].
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, ...args] = JSON.parse(process.argv[2]);
const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
const client = new Client({ name: "stagecraft-test-typescript", version: "1.0.0" });
await client.connect(transport);
const server = client.getServerVersion();
const { tools } = await client.listTools();
const run = await client.callTool({ name: "run_code", arguments: { language: "python", code: "print(6*7)" } });
const bad = await client.callTool({ name: "run_code", arguments: { language: "cobol", code: "x" } });
// 15 s of work under a 7 s timeout that starts again at each progress notification: three lines 2 s apart, then 9 s
// of silence that only the server's beats cover
const progress = [];
const slow = await client.callTool(
  { name: "run_code", arguments: { language: "python",
    code: "import time\nfor i in range(3):\n    print('step', i, flush=True)\n    time.sleep(2)\ntime.sleep(9)\nprint('done')" } },
  undefined,
  { onprogress: (update) => progress.push(update), timeout: 7000, resetTimeoutOnProgress: true });
await client.close();
console.log(JSON.stringify({
  server,
  tools: tools.map((tool) => ({ name: tool.name, schemaType: tool.inputSchema?.type })),
  run: { isError: run.isError ?? false, text: run.content.map((part) => part.text).join(""), structured: run.structuredContent },
  bad: { isError: bad.isError ?? false, text: bad.content.map((part) => part.text).join("") },
  slow: { isError: slow.isError ?? false, text: slow.content.map((part) => part.text).join(""), progress },
}));
