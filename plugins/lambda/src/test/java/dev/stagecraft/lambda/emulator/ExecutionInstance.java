package dev.stagecraft.lambda.emulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One execution environment: the function's runtime as a sandboxed child process ({@link Sandbox}) and the Lambda
 * Runtime API it polls, on a loopback port of its own ({@code AWS_LAMBDA_RUNTIME_API}). It takes one invocation at a
 * time and stays warm between them (so its /tmp persists), until the function timeout passes during an invocation, the
 * runtime reports an init error or exits: then it is killed and a later invocation starts a fresh one.
 */
final class ExecutionInstance implements AutoCloseable {
    static final String RUNTIME = "/2018-06-01/runtime";
    /** Lambda's limit on a response payload. */
    static final int RESPONSE_LIMIT = 6 * 1024 * 1024;
    private static final Pattern INVOCATION = Pattern.compile(RUNTIME + "/invocation/([^/]+)/(response|error)");

    /** What an invocation came to: the payload, and the function error ({@code Unhandled}) or null. */
    record Outcome(byte[] payload, String functionError) {
        static Outcome error(String type, String message) {
            return new Outcome(("{\"errorMessage\":" + Json.quote(message) + ",\"errorType\":" + Json.quote(type) + "}")
                    .getBytes(StandardCharsets.UTF_8), "Unhandled");
        }
    }

    private static final class Invocation {
        final String id = UUID.randomUUID().toString();
        final String traceId = "Root=1-" + Long.toHexString(System.currentTimeMillis() / 1000) + "-"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 24) + ";Parent=" + Long.toHexString(System.nanoTime())
                + ";Sampled=0";
        final byte[] payload;
        final Duration timeout;
        final CountDownLatch pickedUp = new CountDownLatch(1);
        final CompletableFuture<Outcome> result = new CompletableFuture<>();
        volatile long deadlineMillis;

        Invocation(byte[] payload, Duration timeout) {
            this.payload = payload;
            this.timeout = timeout;
        }
    }

    private final EmulatedFunction function;
    private final Path requestLog;
    private final HttpServer runtimeApi;
    private final Process process;
    private final InstanceCgroup cgroup;
    private final BlockingQueue<Invocation> inbox = new LinkedBlockingQueue<>();
    private volatile Invocation current;
    private volatile boolean dead;

    private ExecutionInstance(EmulatedFunction function, Path dir, HttpServer runtimeApi, Process process,
                              InstanceCgroup cgroup) {
        this.function = function;
        this.cgroup = cgroup;
        this.requestLog = dir.resolve("log");
        this.runtimeApi = runtimeApi;
        this.process = process;
    }

    /** Starts the runtime; the process is spawned from {@code launcher}, a thread that lives as long as the emulator. */
    static ExecutionInstance start(EmulatedFunction function, Path dir, Map<String, String> lambdaEnv, int processes,
                                   ExecutorService launcher, ExecutorService http) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(http);
        Map<String, String> env = new java.util.TreeMap<>(lambdaEnv);
        env.put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + server.getAddress().getPort());
        EmulatedFunction.Config config = function.config();
        InstanceCgroup cgroup = InstanceCgroup.create(cgroupName(dir), (long) config.memoryMb() << 20, processes);
        List<String> command = cgroup.enterAndExec(Sandbox.command(function.codeDirectory(),
                (long) config.ephemeralMb() << 20, processes, env, "/var/task/bootstrap"));
        Process process;
        try {
            process = launcher.submit(() -> {
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("log").toFile()));
                // bubblewrap stays in the sandbox as its pid 1, readable there: it gets none of this JVM's variables.
                builder.environment().clear();
                return builder.start();
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the runtime", e);
        } catch (ExecutionException e) {
            server.stop(0);
            cgroup.close();
            throw new IOException("cannot start the runtime: " + e.getCause().getMessage(), e.getCause());
        }
        ExecutionInstance instance = new ExecutionInstance(function, dir, server, process, cgroup);
        server.createContext("/", instance::handle);
        server.start();
        process.onExit().thenRun(() -> instance.exited(process.exitValue()));
        return instance;
    }

    /** The emulator's directory, the function and the instance number: unique, and found by the emulator's name. */
    private static String cgroupName(Path dir) {
        Path function = dir.getParent().getParent();
        return function.getParent().getParent().getFileName() + "-" + function.getFileName() + "-" + dir.getFileName();
    }

    boolean dead() {
        return dead;
    }

    /** Runs one invocation to its outcome: at most {@code init} to be picked up, then the function timeout. */
    Outcome invoke(byte[] payload, Duration timeout, Duration init) {
        Invocation invocation = new Invocation(payload, timeout);
        inbox.add(invocation);
        if (dead) {
            exited(process.isAlive() ? -1 : process.exitValue());
        }
        try {
            if (!invocation.pickedUp.await(init.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                return Outcome.error("Runtime.Unknown", "RequestId: " + invocation.id + " Error: the runtime did not ask"
                        + " for the invocation within the " + init.toSeconds() + " s init phase");
            }
            if (invocation.result.isDone()) {
                return invocation.result.join();
            }
            long left = Math.max(1, invocation.deadlineMillis - System.currentTimeMillis());
            return invocation.result.get(left, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            kill();
            return invocation.result.isDone() ? invocation.result.join() : Outcome.error("Sandbox.Timedout",
                    Instant.now() + " " + invocation.id + " Task timed out after "
                            + String.format(java.util.Locale.ROOT, "%.2f", timeout.toMillis() / 1000.0) + " seconds");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            return Outcome.error("Runtime.Unknown", "the emulator was interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            byte[] body = exchange.getRequestBody().readAllBytes();
            Files.writeString(requestLog, "[runtime api] " + method + " " + path + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.CREATE);
            if (method.equals("GET") && path.equals(RUNTIME + "/invocation/next")) {
                next(exchange);
                return;
            }
            if (method.equals("POST") && path.equals(RUNTIME + "/init/error")) {
                Invocation waiting = current != null ? current : inbox.peek();
                String type = exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type");
                dead = true;   // before the invocation is answered: this execution environment takes no other
                if (waiting != null) {
                    waiting.result.complete(new Outcome(body.length > 0 ? body
                            : Outcome.error(type == null ? "Runtime.Unknown" : type, "init error").payload(), "Unhandled"));
                    waiting.pickedUp.countDown();
                }
                send(exchange, 202, "{\"status\":\"OK\"}");
                kill();
                return;
            }
            Matcher m = INVOCATION.matcher(path);
            if (method.equals("POST") && m.matches()) {
                Invocation invocation = current;
                if (invocation == null || !invocation.id.equals(m.group(1))) {
                    send(exchange, 400, "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}");
                    return;
                }
                if (m.group(2).equals("response") && body.length > RESPONSE_LIMIT) {
                    invocation.result.complete(Outcome.error("Function.ResponseSizeTooLarge", "Response payload size exceeded"
                            + " maximum allowed payload size (" + RESPONSE_LIMIT + " bytes)."));
                    current = null;
                    send(exchange, 413, "{\"errorMessage\":\"Exceeded maximum allowed payload size (" + RESPONSE_LIMIT
                            + " bytes).\",\"errorType\":\"RequestEntityTooLarge\"}");
                    return;
                }
                current = null;
                invocation.result.complete(m.group(2).equals("response") ? new Outcome(body, null)
                        : new Outcome(body, "Unhandled"));
                send(exchange, 202, "{\"status\":\"OK\"}");
                return;
            }
            send(exchange, 404, "{\"errorMessage\":\"unknown Runtime API path " + Json.escape(path)
                    + "\",\"errorType\":\"InvalidPath\"}");
        }
    }

    /** Blocks until an invocation comes (or the instance dies), then hands it over with Lambda's headers. */
    private void next(HttpExchange exchange) throws IOException {
        Invocation invocation = null;
        while (invocation == null && !dead) {
            try {
                invocation = inbox.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (invocation == null) {
            return;
        }
        invocation.deadlineMillis = System.currentTimeMillis() + invocation.timeout.toMillis();
        current = invocation;
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", "application/json");
        headers.set("Lambda-Runtime-Aws-Request-Id", invocation.id);
        headers.set("Lambda-Runtime-Deadline-Ms", Long.toString(invocation.deadlineMillis));
        headers.set("Lambda-Runtime-Invoked-Function-Arn", function.arn());
        headers.set("Lambda-Runtime-Trace-Id", invocation.traceId);
        invocation.pickedUp.countDown();
        exchange.sendResponseHeaders(200, invocation.payload.length == 0 ? -1 : invocation.payload.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(invocation.payload);
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** The runtime exited: whatever it had not answered ends as Lambda reports a runtime exit. */
    private void exited(int status) {
        dead = true;
        List<Invocation> open = new ArrayList<>();
        Invocation running = current;
        if (running != null) {
            open.add(running);
        }
        inbox.drainTo(open);
        for (Invocation invocation : open) {
            invocation.result.complete(Outcome.error("Runtime.ExitError", "RequestId: " + invocation.id
                    + " Error: Runtime exited with error: " + exitText(status)));
            invocation.pickedUp.countDown();
        }
        runtimeApi.stop(0);
    }

    /** How Lambda words a runtime's end: {@code exit status 2}, or {@code signal: killed} (the OOM killer's SIGKILL). */
    private static String exitText(int status) {
        return status == 137 ? "signal: killed" : status > 128 ? "signal: " + (status - 128) : "exit status " + status;
    }

    /** Kills the runtime and everything it started (bubblewrap's pid namespace goes with it). */
    void kill() {
        dead = true;
        process.destroyForcibly();
    }

    @Override
    public void close() {
        kill();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            cgroup.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
