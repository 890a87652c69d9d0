package dev.stagecraft.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.core.Stagecraft;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code stagecraft mcp}: the MCP tools over standard input and output, for an agent that spawns its tools. Every
 * environment made here carries {@code tenant}, and only that tenant's environments are seen; critical-level work is
 * audited with that tenant and no key id.
 */
public final class McpStdio {
    private McpStdio() {
    }

    /** Serves one client on {@code in} and {@code out} until {@code in} ends (the client closed it or went away). */
    public static void serve(Stagecraft stagecraft, ServerSettings settings, String tenant, InputStream in,
                             OutputStream out) throws InterruptedException {
        ObjectMapper json = new ObjectMapper();
        Clock clock = Clock.systemUTC();
        AuditTrail audit = AuditTrail.open(stagecraft.config().stateDirectory(), settings, clock, System.err);
        McpTools tools = new McpTools(stagecraft.manager(), new Tenants(stagecraft.manager(), settings, clock),
                new RequestBodies(json), settings, audit);
        Caller caller = new Caller(tenant, "", false);
        CountDownLatch ended = new CountDownLatch(1);
        ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "stagecraft-mcp-progress");
            thread.setDaemon(true);
            return thread;
        });
        McpSyncServer server = McpServer.sync(new StdioServerTransportProvider(new JacksonMcpJsonMapper(json),
                        new EndWatching(in, ended), out))
                .serverInfo("stagecraft", Stagecraft.version())
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .validateToolInputs(false)
                .tools(tools.all().stream().map(definition -> new McpServerFeatures.SyncToolSpecification(definition.tool(),
                        (exchange, request) -> call(definition, caller, exchange, request, ticks))).toList())
                .build();
        ended.await();
        server.closeGracefully();
        ticks.shutdownNow();
    }

    /** Calls a tool; where the request asked for progress, notifications go out while it runs, none after its result. */
    private static McpSchema.CallToolResult call(McpTools.Definition definition, Caller caller, McpSyncServerExchange exchange,
                                                McpSchema.CallToolRequest request, ScheduledExecutorService ticks) {
        Optional<Object> token = McpProgress.token(request.meta());
        if (token.isEmpty()) {
            return definition.call(caller, request.arguments(), null);
        }
        McpProgress progress = new McpProgress(token.get(), System.nanoTime());
        AtomicBoolean running = new AtomicBoolean(true);
        ScheduledFuture<?> ticking = ticks.scheduleWithFixedDelay(() -> {
            synchronized (running) {
                if (running.get()) {
                    try {
                        progress.due(System.nanoTime()).ifPresent(exchange::progressNotification);
                    } catch (RuntimeException e) {
                        // the client went away: its result will not reach it either
                    }
                }
            }
        }, 250, 250, TimeUnit.MILLISECONDS);
        try {
            return definition.call(caller, request.arguments(), progress);
        } finally {
            synchronized (running) {
                running.set(false);
            }
            ticking.cancel(false);
        }
    }

    /** The transport notices the end of its input but tells nobody: this stream does. */
    private static final class EndWatching extends FilterInputStream {
        private final CountDownLatch ended;

        EndWatching(InputStream in, CountDownLatch ended) {
            super(in);
            this.ended = ended;
        }

        @Override
        public int read() throws IOException {
            try {
                return seen(super.read());
            } catch (IOException e) {
                ended.countDown();
                throw e;
            }
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                return seen(super.read(buffer, offset, length));
            } catch (IOException e) {
                ended.countDown();
                throw e;
            }
        }

        private int seen(int count) {
            if (count < 0) {
                ended.countDown();
            }
            return count;
        }
    }
}
