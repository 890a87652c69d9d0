package dev.stagecraft.cli;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.StagecraftException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test provider (kind {@code failing}, on the test class path) that fails where its setting {@code fail-at} says:
 * {@code create} (PROVISIONING_FAILED), {@code discover} (it cannot list its environments) or {@code destroy} (it
 * cannot remove one). Every command fails with EXEC_FAILED, except {@code bug}, which throws an unexpected
 * exception. Without the setting its probe says it is off, so selection never picks it.
 */
public final class FailingProvider implements EnvironmentProvider {
    static final String FAIL_AT = "STAGECRAFT_PROVIDERS__FAILING__FAIL_AT";

    /** What this test JVM created, so that the next command line (a new core, in process) finds it again. */
    private static final Map<String, EnvironmentSpec> CREATED = new ConcurrentHashMap<>();

    private String failAt = "";

    @Override
    public String kind() {
        return "failing";
    }

    @Override
    public void initialize(ProviderContext context) {
        failAt = context.settings().string("fail-at", "");
    }

    @Override
    public ProviderCapabilities describe() {
        return new ProviderCapabilities(kind(), Set.of(IsolationLevel.CONTAINER), Duration.ZERO, 10, 0, false, false,
                false, Resources.NONE);
    }

    @Override
    public ProviderHealth probe() {
        return failAt.isEmpty() ? ProviderHealth.unavailable("test provider, off: set " + FAIL_AT, List.of(), Map.of())
                : ProviderHealth.available("fails at " + failAt, Map.of());
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        if (failAt.equals("create")) {
            throw new StagecraftException(ErrorCode.PROVISIONING_FAILED, "failing: create refused, as configured");
        }
        CREATED.put(spec.id(), spec);
        return new Broken(spec, failAt);
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        if (failAt.equals("discover")) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "failing: discover refused, as configured");
        }
        return CREATED.values().stream().<ExecutionEnvironment>map(spec -> new Broken(spec, failAt)).toList();
    }

    private static final class Broken implements ExecutionEnvironment {
        private final EnvironmentSpec spec;
        private final boolean refuseDestroy;
        private EnvironmentStatus status = EnvironmentStatus.READY;

        Broken(EnvironmentSpec spec, String failAt) {
            this.spec = spec;
            this.refuseDestroy = failAt.equals("destroy");
        }

        @Override public String id() { return spec.id(); }
        @Override public String kind() { return "failing"; }
        @Override public IsolationLevel isolation() { return spec.isolation(); }
        @Override public Labels labels() { return spec.labels(); }
        @Override public EnvironmentStatus status() { return status; }
        @Override public void start() { status = EnvironmentStatus.READY; }
        @Override public void stop() { status = EnvironmentStatus.STOPPED; }
        @Override
        public void destroy() {
            if (refuseDestroy) {
                throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "failing: destroy refused, as configured");
            }
            status = EnvironmentStatus.STOPPED;
            CREATED.remove(spec.id());
        }
        @Override public ResourceUsage usage() { return ResourceUsage.unknown(Instant.now()); }
        @Override public void putFile(String path, byte[] content) { }
        @Override public byte[] getFile(String path, long maxBytes) { return new byte[0]; }

        @Override
        public ExecResult execute(ExecRequest request) {
            if (request.argv().get(0).equals("bug")) {
                throw new IllegalStateException("failing: a bug, as configured");
            }
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "failing: cannot start '" + request.argv().get(0) + "', as configured");
        }
    }
}
