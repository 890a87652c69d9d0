package dev.stagecraft.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * {@code stagecraft serve}: the HTTP/JSON API over one {@link Stagecraft}, on the JDK's HTTP server with a fixed
 * number of handler threads. Every {@code /v1} call needs {@code Authorization: Bearer <key>} ({@link ApiKeys}) and
 * passes the key's rate limit; the status page ({@link StatusRoutes}) needs an operator key, which a browser may send
 * as the password of Basic authentication; every failure is {@code {"error":{"code","message"}}} with the status of
 * {@link HttpStatuses}; each request is one JSON line in the request log and is counted at {@code GET /metrics}, and
 * critical-level work is one line in the {@link AuditTrail} before the client has its whole answer. Closing stops
 * accepting, lets running requests finish for the configured grace, and leaves the {@link Stagecraft} to its owner.
 */
public final class StagecraftServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService handlers;
    private final ServerSettings settings;
    private final ApiKeys keys;
    private final RateLimiter rates;
    private final RequestLog log;
    private final ServerMetrics metrics;
    private final AuditTrail audit;
    /** What a 401 from an operator route asks for, so that a browser prompts for the key. */
    static final String BASIC_CHALLENGE = "Basic realm=\"stagecraft\", charset=\"UTF-8\"";

    private final ObjectMapper json = new ObjectMapper();
    private final List<Route> routes = new ArrayList<>();
    /** Requests being handled; a stopping server waits for it to reach zero. */
    private final Phaser running = new Phaser(1);
    private volatile boolean stopping;

    private StagecraftServer(HttpServer http, ExecutorService handlers, ServerSettings settings, ApiKeys keys,
                             RequestLog log, ServerMetrics metrics, AuditTrail audit) {
        this.http = http;
        this.handlers = handlers;
        this.settings = settings;
        this.keys = keys;
        this.rates = new RateLimiter(settings.requestsPerSecond(), settings.burst(), System::nanoTime);
        this.log = log;
        this.metrics = metrics;
        this.audit = audit;
    }

    /** Listens on {@code address} (port 0: any free port) and serves until {@link #close()}. */
    public static StagecraftServer start(Stagecraft stagecraft, ServerSettings settings, InetSocketAddress address,
                                         PrintStream requestLog) throws IOException {
        // streamed output is many small writes: each goes out at once, not after the peer's delayed ACK
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        Clock clock = Clock.systemUTC();
        AuditTrail audit = AuditTrail.open(stagecraft.config().stateDirectory(), settings, clock, requestLog);
        HttpServer http;
        if (settings.tls().isPresent()) {
            HttpsServer https = HttpsServer.create(address, 0);
            RequestLog events = new RequestLog(requestLog, clock);
            ServerTls tls = settings.tls().get();
            SSLContext context = tls.context(events::event);
            https.setHttpsConfigurator(new HttpsConfigurator(context) {
                @Override
                public void configure(HttpsParameters parameters) {
                    SSLParameters ssl = context.getDefaultSSLParameters();
                    ssl.setNeedClientAuth(tls.asksClientCertificates());
                    parameters.setSSLParameters(ssl);
                }
            });
            http = https;
        } else {
            http = HttpServer.create(address, 0);
        }
        AtomicInteger count = new AtomicInteger();
        ExecutorService handlers = Executors.newFixedThreadPool(settings.threads(), runnable -> {
            Thread thread = new Thread(runnable, "stagecraft-http-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        StagecraftServer server = new StagecraftServer(http, handlers, settings,
                new ApiKeys(stagecraft.config().stateDirectory(), clock), new RequestLog(requestLog, clock),
                new ServerMetrics(stagecraft.manager()), audit);
        RequestBodies bodies = new RequestBodies(server.json);
        Tenants tenants = new Tenants(stagecraft.manager(), settings, clock);
        server.routes.addAll(new EnvironmentRoutes(stagecraft.manager(), tenants, bodies, settings).routes());
        server.routes.addAll(new ServiceRoutes(stagecraft, tenants, bodies, settings).routes());
        server.routes.addAll(new StatusRoutes(stagecraft, tenants.recentSelections(), clock).routes());
        server.routes.add(server.metrics.route());
        server.routes.add(OpenApiRoute.route());
        server.routes.add(McpHttp.route(new McpTools(stagecraft.manager(), tenants, bodies, settings, audit), settings));
        http.createContext("/", server::handle);
        http.setExecutor(handlers);
        http.start();
        return server;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** Every route this server answers, in the order they are matched (the OpenAPI document must name each). */
    List<Route> routes() {
        return List.copyOf(routes);
    }

    private void handle(HttpExchange exchange) {
        running.register();
        try {
            answer(exchange);
        } finally {
            running.arriveAndDeregister();
        }
    }

    private void answer(HttpExchange exchange) {
        long started = System.nanoTime();
        Caller caller = Caller.NOBODY;
        String template = "unmatched";
        Call call = null;
        Response response = null;
        StagecraftException failure = null;
        Route.Access access = Route.Access.OPEN;
        try {
            if (stopping) {
                throw new ApiException(503, ErrorCode.PROVIDER_UNAVAILABLE, "the server is stopping");
            }
            String path = exchange.getRequestURI().getRawPath();
            Route route = route(exchange.getRequestMethod(), path);
            template = route.template();
            access = route.access();
            if (access != Route.Access.OPEN) {
                caller = authenticate(exchange, access);
            }
            Optional<List<String>> parameters = route.match(path);
            call = new Call(exchange, caller, parameters.orElseThrow(), json);
            response = route.handler().handle(call);
        } catch (StagecraftException e) {
            failure = e;
        } catch (IOException e) {
            failure = new StagecraftException(ErrorCode.INTERNAL, "cannot read the request: " + e.getMessage());
        } catch (RuntimeException e) {
            failure = new StagecraftException(ErrorCode.INTERNAL, "internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        if (failure != null) {
            response = failure(failure);
            if (call != null) {
                call.audit().failed(failure.code());
            }
        }
        if (response.status() == 401 && access == Route.Access.OPERATOR) {
            response = response.withHeader("WWW-Authenticate", BASIC_CHALLENGE);
        }
        // counted before the answer leaves: a client that scrapes next sees its own request
        metrics.request(exchange.getRequestMethod(), template, response.status());
        Runnable audited = audited(call, caller, exchange.getRequestMethod() + " " + template, response.status());
        try {
            send(exchange, response, audited);
        } catch (IOException e) {
            // the client went away: nothing left to tell it
        } finally {
            audited.run();
            exchange.close();
            log.record(caller, exchange.getRequestMethod(), template, response.status(), started);
        }
    }

    /** Writes the request's audit line once (when its record is critical), before the client has the whole answer. */
    private Runnable audited(Call call, Caller caller, String route, int status) {
        AtomicBoolean written = new AtomicBoolean(call == null);
        return () -> {
            if (!written.getAndSet(true)) {
                audit.write(caller, Map.of("route", route), call.audit(), status);
            }
        };
    }

    /** The route for this method and path: 404 when no template fits the path, 405 when only other methods do. */
    private Route route(String method, String path) {
        List<String> allowed = new ArrayList<>();
        for (Route route : routes) {
            if (route.match(path).isPresent()) {
                if (route.method().equals(method)) {
                    return route;
                }
                allowed.add(route.method());
            }
        }
        if (allowed.isEmpty()) {
            throw new ApiException(404, ErrorCode.NOT_FOUND, "no route " + path);
        }
        throw new ApiException(405, ErrorCode.UNSUPPORTED_OPERATION, method + " is not allowed on " + path
                + " (allowed: " + String.join(", ", allowed) + ")");
    }

    private Caller authenticate(HttpExchange exchange, Route.Access access) {
        boolean operatorRoute = access == Route.Access.OPERATOR;
        ApiKeys.Key key = keys.authenticate(presentedKey(exchange.getRequestHeaders().getFirst("Authorization"), operatorRoute))
                .orElseThrow(() -> new ApiException(401, ErrorCode.UNAUTHENTICATED, "unknown or revoked API key"));
        long wait = rates.take(key.id());
        if (wait > 0) {
            throw new ApiException(429, ErrorCode.RATE_LIMITED, "key " + key.id() + " is over its rate limit of "
                    + settings.requestsPerSecond() + " requests per second", wait);
        }
        if (operatorRoute && !key.operator()) {
            throw new ApiException(403, ErrorCode.FORBIDDEN, "key " + key.id() + " is not an operator key: the status page "
                    + "shows every tenant; make one with stagecraft keys create --tenant NAME --operator");
        }
        return new Caller(key.tenant(), key.id(), key.operator());
    }

    /** The key a request presents: a bearer token, or on an operator route also the password of Basic authentication. */
    private static String presentedKey(String header, boolean basicToo) {
        if (header != null && header.startsWith("Bearer ")) {
            return header.substring("Bearer ".length()).trim();
        }
        if (basicToo && header != null && header.startsWith("Basic ")) {
            try {
                String credentials = new String(Base64.getDecoder().decode(header.substring("Basic ".length()).trim()),
                        StandardCharsets.UTF_8);
                int colon = credentials.indexOf(':');
                if (colon >= 0) {
                    return credentials.substring(colon + 1);
                }
            } catch (IllegalArgumentException e) {
                // not base64: answered below
            }
            throw new ApiException(401, ErrorCode.UNAUTHENTICATED, "malformed Basic credentials: send user:key in base64");
        }
        throw new ApiException(401, ErrorCode.UNAUTHENTICATED, basicToo
                ? "missing API key: send an operator key as Authorization: Bearer <key> or as the Basic password"
                : "missing API key: send Authorization: Bearer <key>");
    }

    private Response failure(StagecraftException e) {
        metrics.error(e.code());
        int status = e instanceof ApiException ? ((ApiException) e).status() : HttpStatuses.of(e.code());
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code().name());
        error.put("message", e.getMessage());
        Response response = Response.json(status, Map.of("error", error));
        if (e instanceof ApiException && ((ApiException) e).retryAfterSeconds() > 0) {
            response = response.withHeader("Retry-After", String.valueOf(((ApiException) e).retryAfterSeconds()));
        }
        return response;
    }

    /** Sends the answer; {@code beforeEnd} runs before its last byte (a stream's, after its body is written). */
    private void send(HttpExchange exchange, Response response, Runnable beforeEnd) throws IOException {
        response.headers().forEach(exchange.getResponseHeaders()::set);
        if (response.streamed() != null) {
            try (Response.Streamed body = response.streamed()) {
                exchange.sendResponseHeaders(response.status(), 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    body.write(out);
                    beforeEnd.run();
                }
            }
            return;
        }
        beforeEnd.run();
        byte[] body = response.json() != null ? json.writeValueAsBytes(response.json()) : response.bytes();
        if (response.json() != null) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
        } else if (body != null && !response.headers().containsKey("Content-Type")) {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        }
        if (body == null) {
            exchange.sendResponseHeaders(response.status(), -1);
            return;
        }
        exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * Stops taking requests (those still arriving get 503), waits up to the configured grace for running ones, then
     * closes the socket and the handler threads. The {@link Stagecraft} is its owner's to close.
     */
    @Override
    public synchronized void close() {
        if (stopping) {
            return;
        }
        stopping = true;
        // HttpServer.stop(delay) on JDK 17 waits out the whole delay while any client holds a connection open,
        // even an idle one: the requests in flight are counted here instead, and the socket closed without delay.
        int phase = running.arrive();
        try {
            running.awaitAdvanceInterruptibly(phase, settings.stopGrace().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the grace is over: what still runs is cut off below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.stop(0);
        handlers.shutdownNow();
    }
}
