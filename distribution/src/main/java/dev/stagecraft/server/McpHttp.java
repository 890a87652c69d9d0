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
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * MCP's streamable HTTP transport at {@code POST /mcp}, on the server's own HTTP stack rather than the SDK's servlet
 * transports: the SDK's stateless server answers each JSON-RPC request with one {@code application/json} reply (no
 * session: every tool is one request and one answer), so {@code GET} and {@code DELETE} are 405. A {@code tools/call}
 * that asks for progress ({@code _meta.progressToken}) from a client that accepts {@code text/event-stream} is
 * answered as a server-sent stream instead: {@code notifications/progress} events while the tool runs
 * ({@link McpProgress}), then the response, then the stream ends. The route is authenticated like {@code /v1}; the caller (the key's tenant and id) reaches the tools through the transport context.
 * Origin and Host are checked by the SDK's validator: loopback ones and the configured lists pass.
 */
final class McpHttp implements McpStatelessServerTransport {
    private static final String CALLER = "dev.stagecraft.caller";
    private static final String PROGRESS = "dev.stagecraft.progress";
    private static final String EVENT_STREAM = "text/event-stream";
    private static final long POLL_MILLIS = 250;
    private static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "[::1]");

    private final McpJsonMapper mapper;
    private final DefaultServerTransportSecurityValidator validator;
    private final ServerSettings settings;
    private final ExecutorService streamedCalls;
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
        AtomicInteger count = new AtomicInteger();
        // a client that goes away stops the stream, not the tool: at most as many tools run on as the server has threads
        this.streamedCalls = new ThreadPoolExecutor(0, settings.threads(), 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                runnable -> {
                    Thread thread = new Thread(runnable, "stagecraft-mcp-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
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
                        request.arguments(), (McpProgress) context.get(PROGRESS)))).toList())
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
            Optional<Object> token = progressToken(request);
            if (token.isPresent() && accepts(call, EVENT_STREAM)) {
                return withProgress(call.caller(), request, new McpProgress(token.get(), System.nanoTime()));
            }
            McpSchema.JSONRPCResponse response = answer(context, request);
            return new Response(200, null, mapper.writeValueAsBytes(response), Map.of("Content-Type", "application/json"), null);
        }
        if (message instanceof McpSchema.JSONRPCNotification notification) {
            handler.handleNotification(context, notification)
                    .contextWrite(reactor -> reactor.put(McpTransportContext.KEY, context)).block();
        }
        return new Response(202, null, null, Map.of(), null);
    }

    private McpSchema.JSONRPCResponse answer(McpTransportContext context, McpSchema.JSONRPCRequest request) {
        return handler.handleRequest(context, request).contextWrite(reactor -> reactor.put(McpTransportContext.KEY, context)).block();
    }

    private static Optional<Object> progressToken(McpSchema.JSONRPCRequest request) {
        if (!McpSchema.METHOD_TOOLS_CALL.equals(request.method()) || !(request.params() instanceof Map<?, ?> params)
                || !(params.get("_meta") instanceof Map<?, ?> meta)) {
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) meta;
        return McpProgress.token(fields);
    }

    private static boolean accepts(Call call, String type) {
        return call.headers().getOrDefault("Accept", List.of()).stream().anyMatch(accept -> accept.contains(type));
    }

    /** The tool runs on its own thread; this one writes its progress, then its response, as server-sent events. */
    private Response withProgress(Caller caller, McpSchema.JSONRPCRequest request, McpProgress progress) {
        McpTransportContext context = McpTransportContext.create(Map.of(CALLER, caller, PROGRESS, progress));
        CompletableFuture<McpSchema.JSONRPCResponse> answer;
        try {
            answer = CompletableFuture.supplyAsync(() -> answer(context, request), streamedCalls);
        } catch (RejectedExecutionException e) {
            throw new ApiException(503, ErrorCode.PROVIDER_UNAVAILABLE, "too many tool calls with progress at once: "
                    + "try again, or call without a progressToken", 1);
        }
        return Response.streamed(EVENT_STREAM, out -> {
            while (true) {
                try {
                    event(out, answer.get(POLL_MILLIS, TimeUnit.MILLISECONDS));
                    return;
                } catch (TimeoutException e) {
                    Optional<McpSchema.ProgressNotification> due = progress.due(System.nanoTime());
                    if (due.isPresent()) {
                        event(out, new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION,
                                McpSchema.METHOD_NOTIFICATION_PROGRESS, due.get()));
                    }
                } catch (ExecutionException e) {
                    event(out, new McpSchema.JSONRPCResponse(McpSchema.JSONRPC_VERSION, request.id(), null,
                            new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INTERNAL_ERROR,
                                    "internal error: " + e.getCause().getClass().getSimpleName())));
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("stopped while a tool ran");
                }
            }
        });
    }

    private void event(OutputStream out, McpSchema.JSONRPCMessage message) throws IOException {
        out.write("event: message\ndata: ".getBytes(StandardCharsets.UTF_8));
        out.write(mapper.writeValueAsBytes(message));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
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
