package dev.stagecraft.lambda;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import dev.stagecraft.api.WorkspacePath;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * One function: every command and file call is a synchronous Invoke that the bootstrap answers (one at a time, see
 * {@link FunctionGate}). The workspace is /tmp/workspace of the warm execution environment: it lasts as long as
 * Lambda keeps that environment, which is why the kind declares no persistent storage. Stop and start only mark the
 * function (tag {@link FunctionTags#STOPPED}); a stopped function takes no command.
 */
final class LambdaEnvironment implements ExecutionEnvironment {
    /** Lambda's limit on a synchronous invocation's request and its response. */
    static final int PAYLOAD_LIMIT = 6 * 1024 * 1024;
    /** The most kept of stdout and of stderr each: both, in base64, fit one response. */
    static final long MAX_STREAM_BYTES = 2L << 20;
    /** The most of a file one get reads: its base64 fits one response. */
    static final long MAX_FILE_BYTES = 4L << 20;
    /** What every command gets unless its request sets it. */
    static final Map<String, String> DEFAULT_ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp/workspace",
            "LANG", "C.UTF-8");
    private static final long FILE_CALL_MILLIS = 60_000;

    private final String id;
    private final String functionName;
    private final String functionArn;
    private final Labels labels;
    private final long memoryBytes;
    private final Duration functionTimeout;
    private final LambdaApi api;
    private final FunctionGate gate;
    private volatile boolean stopped;
    private volatile boolean failed;
    private volatile boolean destroyed;

    LambdaEnvironment(String functionName, String functionArn, Labels labels, long memoryBytes, Duration functionTimeout,
                      LambdaApi api, FunctionGate gate, boolean stopped, boolean failed) {
        this.id = labels.environmentId();
        this.functionName = functionName;
        this.functionArn = functionArn;
        this.labels = labels;
        this.memoryBytes = memoryBytes;
        this.functionTimeout = functionTimeout;
        this.api = api;
        this.gate = gate;
        this.stopped = stopped;
        this.failed = failed;
    }

    String functionName() {
        return functionName;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String kind() {
        return LambdaProvider.KIND;
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.VM;
    }

    @Override
    public Labels labels() {
        return labels;
    }

    @Override
    public EnvironmentStatus status() {
        if (destroyed || stopped) {
            return EnvironmentStatus.STOPPED;
        }
        if (failed) {
            return EnvironmentStatus.ERROR;
        }
        return gate.busy() ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
    }

    @Override
    public void start() {
        requireNotDestroyed("start");
        if (stopped) {
            api.call(ErrorCode.ILLEGAL_STATE, "start function " + functionName,
                    () -> api.client().untagResource(r -> r.resource(functionArn).tagKeys(FunctionTags.STOPPED)));
            stopped = false;
        }
    }

    @Override
    public void stop() {
        if (destroyed || stopped) {
            return;
        }
        api.call(ErrorCode.ILLEGAL_STATE, "stop function " + functionName,
                () -> api.client().tagResource(r -> r.resource(functionArn).tags(Map.of(FunctionTags.STOPPED, "true"))));
        stopped = true;
    }

    @Override
    public void destroy() {
        destroyed = true;
        try {
            api.client().deleteFunction(r -> r.functionName(functionName));
        } catch (SdkException e) {
            if (!LambdaApi.isNotFound(e)) {
                throw new StagecraftException(ErrorCode.INTERNAL, api.describe("delete function " + functionName, e), e);
            }
        }
    }

    @Override
    public ExecResult execute(ExecRequest request) {
        requireRunnable();
        String workingDir = request.workingDir().filter(d -> !d.isEmpty() && !d.equals("."))
                .map(d -> WorkspacePath.of(d).relative()).orElse("");
        Map<String, String> env = new TreeMap<>(DEFAULT_ENV);
        env.putAll(request.env());
        long cap = Math.min(request.outputLimit(), MAX_STREAM_BYTES);
        byte[] event = CommandEvent.exec(request.argv(), env, request.stdin(), workingDir, request.timeout().toMillis(), cap);
        requireFits(event, "the command and its stdin");
        long started = System.nanoTime();
        Answer answer = invoke(event, "run " + request.argv().get(0));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        if (answer.functionTimedOut()) {
            return new ExecResult(ExecResult.TIMEOUT_EXIT_CODE, new byte[0], new byte[0], took, Termination.TIMEOUT, false,
                    "killed: the function timeout " + functionTimeout.toSeconds() + "s passed (Lambda ended the invocation)");
        }
        if (answer.runtimeKilled()) {
            return new ExecResult(Terminations.exitCodeOf(9), new byte[0], new byte[0], took, Termination.LIMIT_KILLED, false,
                    Terminations.memoryLimit(memoryBytes) + " (the runtime was killed: signal: killed, how Lambda ends"
                            + " a function over its memory; the execution environment was reset)");
        }
        CommandOutcome outcome = answer.outcome();
        refused(outcome, workingDir);
        if (outcome.timedOut()) {
            ExecResult result = Terminations.timedOut(request.timeout(), outcome.stdout(), outcome.stderr(), took,
                    outcome.truncated());
            return outcome.detail().isEmpty() ? result
                    : result.withNote("the function timeout " + functionTimeout.toSeconds() + "s came first");
        }
        if (outcome.processLimitKilled()) {
            return new ExecResult(outcome.exitCode(), outcome.stdout(), outcome.stderr(), took, Termination.LIMIT_KILLED,
                    outcome.truncated(), Terminations.processLimit(Long.parseLong(outcome.detail().trim()))
                    + "; its processes held the limit and were killed");
        }
        if (outcome.memoryKilled()) {
            return new ExecResult(outcome.exitCode(), outcome.stdout(), outcome.stderr(), took, Termination.LIMIT_KILLED,
                    outcome.truncated(), Terminations.memoryLimit(memoryBytes));
        }
        return Terminations.ended(outcome.exitCode(), outcome.stdout(), outcome.stderr(), took, outcome.truncated());
    }

    @Override
    public ResourceUsage usage() {
        return new ResourceUsage(-1, -1, memoryBytes, -1, -1, -1, Instant.now());
    }

    @Override
    public void putFile(String path, byte[] content) {
        WorkspacePath checked = WorkspacePath.of(path);
        requireRunnable();
        byte[] event = CommandEvent.put(checked.relative(), content, FILE_CALL_MILLIS);
        requireFits(event, "the file '" + checked + "'");
        Answer answer = invoke(event, "write '" + checked + "'");
        refused(answer.requireOutcome(), checked.relative());
    }

    @Override
    public byte[] getFile(String path, long maxBytes) {
        WorkspacePath checked = WorkspacePath.of(path);
        requireRunnable();
        long limit = Math.min(Math.max(maxBytes, 0), MAX_FILE_BYTES);
        Answer answer = invoke(CommandEvent.get(checked.relative(), limit, FILE_CALL_MILLIS), "read '" + checked + "'");
        CommandOutcome outcome = answer.requireOutcome();
        refused(outcome, checked.relative());
        if (outcome.truncated() && maxBytes > limit) {
            throw new StagecraftException(ErrorCode.TOO_LARGE, "'" + checked + "' is larger than "
                    + Quantities.formatBytes(MAX_FILE_BYTES) + ", the most one Lambda invocation returns");
        }
        return outcome.stdout();
    }

    private void requireNotDestroyed(String doing) {
        if (destroyed) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "cannot " + doing + ": environment '" + id + "' is destroyed");
        }
    }

    private void requireRunnable() {
        requireNotDestroyed("run in it");
        if (stopped) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' is stopped: start it first");
        }
    }

    private static void requireFits(byte[] event, String what) {
        if (event.length > PAYLOAD_LIMIT) {
            throw new StagecraftException(ErrorCode.TOO_LARGE, what + " take " + event.length + " bytes as an event, over the"
                    + " 6 MB of one Lambda invocation (about 4.5m of stdin or file content after base64)");
        }
    }

    /** Throws for an answer that says the call was refused before anything ran. */
    private static void refused(CommandOutcome outcome, String path) {
        switch (outcome.error()) {
            case "":
                return;
            case "escape":
                throw new PathEscapeException(path, outcome.detail());
            case "missing":
                throw new StagecraftException(ErrorCode.NOT_FOUND, outcome.detail());
            case "notfile":
                throw StagecraftException.invalidRequirement(outcome.detail());
            default:
                throw new StagecraftException(ErrorCode.EXEC_FAILED, outcome.detail());
        }
    }

    /** A synchronous Invoke, one at a time; a gone function is NOT_FOUND, a function error a clear EXEC_FAILED. */
    private Answer invoke(byte[] event, String doing) {
        InvokeResponse response = gate.pass(() -> {
            try {
                return api.client().invoke(r -> r.functionName(functionName).payload(SdkBytes.fromByteArrayUnsafe(event)));
            } catch (SdkException e) {
                if (LambdaApi.isNotFound(e)) {
                    throw new StagecraftException(ErrorCode.NOT_FOUND, "environment '" + id + "' is gone: its function "
                            + functionName + " no longer exists");
                }
                throw new StagecraftException(ErrorCode.EXEC_FAILED, api.describe(doing + " in function " + functionName, e), e);
            }
        });
        byte[] payload = response.payload() == null ? new byte[0] : response.payload().asByteArray();
        if (response.functionError() != null) {
            FunctionError error = FunctionError.parse(payload);
            if (error.timedOut()) {
                return new Answer(null, true, false);
            }
            if (error.runtimeKilled()) {
                return new Answer(null, false, true);
            }
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot " + doing + ": function " + functionName + " failed ("
                    + response.functionError() + "): " + error);
        }
        try {
            return new Answer(CommandOutcome.parse(payload), false, false);
        } catch (RuntimeException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot " + doing + ": function " + functionName
                    + " answered what its bootstrap does not write: "
                    + LambdaApi.firstLine(new String(payload, 0, Math.min(payload.length, 200), StandardCharsets.UTF_8)), e);
        }
    }

    private record Answer(CommandOutcome outcome, boolean functionTimedOut, boolean runtimeKilled) {
        CommandOutcome requireOutcome() {
            if (functionTimedOut) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the function timeout passed during a file call");
            }
            if (runtimeKilled) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the runtime was killed (signal: killed, the memory"
                        + " limit) during a file call");
            }
            return outcome;
        }
    }

    /** The payload of a function error: {@code {"errorMessage": ..., "errorType": ...}}. */
    private record FunctionError(String type, String message) {
        static FunctionError parse(byte[] payload) {
            try {
                JsonNode root = JsonNode.parser().parse(payload);
                return new FunctionError(field(root, "errorType"), field(root, "errorMessage"));
            } catch (RuntimeException e) {
                return new FunctionError("", new String(payload, StandardCharsets.UTF_8));
            }
        }

        private static String field(JsonNode root, String name) {
            return root.isObject() ? root.field(name).filter(JsonNode::isString).map(JsonNode::asString).orElse("") : "";
        }

        boolean timedOut() {
            return type.equals("Sandbox.Timedout") || message.contains("Task timed out");
        }

        /** Lambda's words for a runtime that SIGKILL ended: the OOM killer's, at the function's memory limit. */
        boolean runtimeKilled() {
            return type.equals("Runtime.ExitError") && message.contains("Runtime exited with error: signal: killed");
        }

        @Override
        public String toString() {
            String text = LambdaApi.firstLine(message);
            return type.isEmpty() ? text : type + ": " + text;
        }
    }
}
