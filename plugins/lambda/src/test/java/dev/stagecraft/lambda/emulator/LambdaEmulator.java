package dev.stagecraft.lambda.emulator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A Lambda on loopback for the tests: the control plane's REST API (functions, invocations, tags, account settings)
 * with AWS's paths, status codes and error shapes, every request's SigV4 signature checked against the test keys
 * ({@link SigV4}); and, behind Invoke, each function's runtime as a sandboxed child process served the Runtime API
 * ({@link ExecutionInstance}). AWS cannot be reached from the build machines; this is what the provider's SDK calls
 * and its bootstrap run against.
 */
public final class LambdaEmulator implements AutoCloseable {
    /**
     * @param region        the one region it serves (the signature's scope must name it)
     * @param account       the account id in ARNs
     * @param credentials   the keys requests must be signed with
     * @param roles         role ARNs that exist (CreateFunction with another fails as with a role Lambda cannot assume)
     * @param pending       how long a new function stays Pending
     * @param concurrency   the account's concurrent executions; past it Invoke is throttled
     * @param initTimeout   how long a new runtime may take to ask for its first invocation (Lambda's init phase: 10 s)
     * @param processes     processes and threads of one execution environment, the runtime's own included (Lambda's
     *                      quota: 1024)
     */
    public record Options(String region, String account, Credentials credentials, Set<String> roles, Duration pending,
                          int concurrency, Duration initTimeout, int processes) {
        /** Lambda's quota on processes and threads of one execution environment. */
        public static final int PROCESSES = 1024;
        public static final String ACCESS_KEY = "AKIAEMULATOR0EXAMPLE";
        public static final String SECRET_KEY = "emulator/secret/KEY0123456789EXAMPLEKEY";
        public static final String ROLE = "arn:aws:iam::123456789012:role/stagecraft-lambda";

        public static Options defaults() {
            return new Options("us-east-1", "123456789012", new Credentials(ACCESS_KEY, SECRET_KEY, null), Set.of(ROLE),
                    Duration.ofMillis(300), 10, Duration.ofSeconds(10), PROCESSES);
        }

        public Options withInitTimeout(Duration value) {
            return new Options(region, account, credentials, roles, pending, concurrency, value, processes);
        }

        /** Fewer processes than Lambda's 1024, for a test that fills them. */
        public Options withProcesses(int value) {
            return new Options(region, account, credentials, roles, pending, concurrency, initTimeout, value);
        }
    }

    final Options options;
    final Map<String, EmulatedFunction> functions = new ConcurrentHashMap<>();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger throttleNext = new AtomicInteger();
    final Path directory;
    final ExecutorService http = Executors.newCachedThreadPool(daemon("lambda-emulator-http"));
    /** One long-lived thread spawns every runtime: bubblewrap's --die-with-parent follows the spawning thread. */
    final ExecutorService launcher = Executors.newSingleThreadExecutor(daemon("lambda-emulator-launcher"));
    final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(daemon("lambda-emulator-timer"));
    private final HttpServer server;

    private LambdaEmulator(Options options, Path directory) throws IOException {
        this.options = options;
        this.directory = directory;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(http);
        server.createContext("/", new ControlPlane(this));
        server.start();
    }

    public static LambdaEmulator start() {
        return start(Options.defaults());
    }

    public static LambdaEmulator start(Options options) {
        if (!Sandbox.available()) {
            throw new IllegalStateException("the Lambda emulator runs functions under bubblewrap and prlimit, and " + Sandbox.BWRAP
                    + " or " + Sandbox.PRLIMIT + " is missing (apt-get install bubblewrap util-linux)");
        }
        if (!InstanceCgroup.available()) {
            throw new IllegalStateException("the Lambda emulator holds each execution environment to Lambda's memory and"
                    + " process quotas in a cgroup of its own, and cannot write /sys/fs/cgroup (run it as root)");
        }
        try {
            return new LambdaEmulator(options, Files.createTempDirectory("stagecraft-lambda-emulator-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean available() {
        return Sandbox.available() && InstanceCgroup.available();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public Options options() {
        return options;
    }

    /** The next {@code count} control-plane requests are answered 429 TooManyRequestsException, whatever they are. */
    public void throttleNext(int count) {
        throttleNext.set(count);
    }

    public Set<String> functionNames() {
        return Set.copyOf(functions.keySet());
    }

    /** Execution environments of the function alive now (0 for an unknown one). */
    public int warmInstances(String functionName) {
        EmulatedFunction f = functions.get(functionName);
        return f == null ? 0 : f.warmInstances();
    }

    /** The runtime's own output (what Lambda sends to CloudWatch Logs), all execution environments together. */
    public String logs(String functionName) {
        Path dir = directory.resolve("functions").resolve(functionName).resolve("instances");
        if (!Files.isDirectory(dir)) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path log : walk.filter(p -> p.getFileName().toString().equals("log")).sorted().toList()) {
                out.append(Files.readString(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** What a request to the emulator's region and account calls this function's ARN. */
    String arn(String name) {
        return "arn:aws:lambda:" + options.region() + ":" + options.account() + ":function:" + name;
    }

    static ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        server.stop(0);
        List.copyOf(functions.values()).forEach(EmulatedFunction::delete);
        functions.clear();
        http.shutdownNow();
        launcher.shutdownNow();
        timers.shutdownNow();
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
