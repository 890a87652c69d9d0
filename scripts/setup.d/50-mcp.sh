# The MCP tests' second client, one nobody here wrote (TestMcpTypeScriptClient): the official TypeScript SDK from
# npm, pinned, installed once into a cache outside the checkout (STAGECRAFT_NPM_CACHE, default
# ~/.cache/stagecraft-npm) that the test finds again. Node 18+ runs it; Debian's nodejs and npm when there is none.
mcp_sdk_version=1.32.2
npm_cache=${STAGECRAFT_NPM_CACHE:-$HOME/.cache/stagecraft-npm}
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
installed=$(node -p "try { require('$npm_cache/node_modules/@modelcontextprotocol/sdk/package.json').version } catch (e) { '' }")
if [ "$installed" != "$mcp_sdk_version" ]; then
  mkdir -p "$npm_cache"
  echo "stagecraft setup: installing @modelcontextprotocol/sdk@$mcp_sdk_version into $npm_cache" >&2
  npm install --prefix "$npm_cache" --no-audit --no-fund --loglevel=error "@modelcontextprotocol/sdk@$mcp_sdk_version" >&2
fi
echo "stagecraft setup: node $(node --version), @modelcontextprotocol/sdk $mcp_sdk_version in $npm_cache" >&2
