package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.core.Stagecraft;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.ServerTransportSecurityException;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * MCP's streamable HTTP transport at {@code POST /mcp}, on the server's own HTTP stack rather than the SDK's servlet
 * transports: the SDK's stateless server answers each JSON-RPC request with one {@code application/json} reply (no
 * session, no server-sent stream: every tool is one request and one answer), so {@code GET} and {@code DELETE} are
 * 405. The route is authenticated like {@code /v1}; the caller (the key's tenant and id) reaches the tools through the transport context.
 * Origin and Host are checked by the SDK's validator: loopback ones and the configured lists pass.
 */
final class McpHttp implements McpStatelessServerTransport {
    private static final String CALLER = "dev.stagecraft.caller";
    private static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "[::1]");

    private final McpJsonMapper mapper;
    private final DefaultServerTransportSecurityValidator validator;
    private final ServerSettings settings;
    private volatile McpStatelessServerHandler handler;

    private McpHttp(McpJsonMapper mapper, ServerSettings settings) {
        this.mapper = mapper;
        this.settings = settings;
        List<String> origins = new ArrayList<>(settings.mcpAllowedOrigins());
        List<String> hosts = new ArrayList<>(settings.mcpAllowedHosts());
        for (String host : LOOPBACK) {
            origins.add("http://" + host + ":*");
            origins.add("https://" + host + ":*");
            hosts.add(host + ":*");
        }
        this.validator = DefaultServerTransportSecurityValidator.builder().allowedOrigins(origins).allowedHosts(hosts).build();
    }

    /** The {@code /mcp} route serving {@code tools}. */
    static Route route(McpTools tools, ServerSettings settings) {
        McpHttp transport = new McpHttp(new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper()), settings);
        McpServer.sync(transport)
                .serverInfo("stagecraft", Stagecraft.version())
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .validateToolInputs(false)
                .immediateExecution(true)
                .tools(tools.all().stream().map(definition -> new McpStatelessServerFeatures.SyncToolSpecification(
                        definition.tool(), (context, request) -> definition.call((Caller) context.get(CALLER),
                        request.arguments()))).toList())
                .build();
        return Route.of("POST", "/mcp", transport::post);
    }

    private Response post(Call call) throws IOException {
        check(call);
        McpSchema.JSONRPCMessage message;
        try {
            message = McpSchema.deserializeJsonRpcMessage(mapper,
                    new String(call.body(settings.maxRequestBytes(), "the request body"), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw ApiException.badRequest("request body: not one JSON-RPC request, notification or response");
        }
        McpTransportContext context = McpTransportContext.create(Map.of(CALLER, call.caller()));
        if (message instanceof McpSchema.JSONRPCRequest request) {
            McpSchema.JSONRPCResponse response = handler.handleRequest(context, request)
                    .contextWrite(reactor -> reactor.put(McpTransportContext.KEY, context)).block();
            return new Response(200, null, mapper.writeValueAsBytes(response), Map.of("Content-Type", "application/json"), null);
        }
        if (message instanceof McpSchema.JSONRPCNotification notification) {
            handler.handleNotification(context, notification)
                    .contextWrite(reactor -> reactor.put(McpTransportContext.KEY, context)).block();
        }
        return new Response(202, null, null, Map.of(), null);
    }

    /** DNS rebinding: a page in a browser must not reach this server through a name that resolves to loopback. */
    private void check(Call call) {
        try {
            validator.validateHeaders(call.headers());
        } catch (ServerTransportSecurityException e) {
            boolean origin = e.getStatusCode() == 403;
            String value = call.headers().getOrDefault(origin ? "Origin" : "Host", List.of("")).stream().findFirst().orElse("");
            throw new ApiException(e.getStatusCode(), ErrorCode.FORBIDDEN, (origin ? "origin" : "host") + " '" + value
                    + "' may not use /mcp: allow it with server.mcp.allowed-" + (origin ? "origins" : "hosts"));
        }
    }

    @Override
    public void setMcpHandler(McpStatelessServerHandler handler) {
        this.handler = handler;
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.empty();
    }
}
