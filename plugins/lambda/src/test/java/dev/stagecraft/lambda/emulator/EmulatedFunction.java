package dev.stagecraft.lambda.emulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One function: its configuration as CreateFunction gave it, its state (Pending, then Active), its tags, its unpacked
 * code, and its execution environments (idle ones are reused, one invocation each at a time).
 */
final class EmulatedFunction {
    /** What CreateFunction fixed. */
    record Config(String name, String arn, String runtime, String role, String handler, String description, int memoryMb,
                  int timeoutSeconds, int ephemeralMb, String architecture, Map<String, String> variables, long codeSize,
                  String codeSha256, String lastModified, String revisionId) {
    }

    private final Config config;
    private final Path directory;
    private final Map<String, String> tags = new TreeMap<>();
    private final Deque<ExecutionInstance> idle = new ArrayDeque<>();
    private final List<ExecutionInstance> all = new ArrayList<>();
    private volatile String state = "Pending";
    private volatile boolean deleted;
    private int started;

    EmulatedFunction(Config config, Path directory, Map<String, String> tags) {
        this.config = config;
        this.directory = directory;
        this.tags.putAll(tags);
    }

    Config config() {
        return config;
    }

    String name() {
        return config.name();
    }

    String arn() {
        return config.arn();
    }

    Path codeDirectory() {
        return directory.resolve("code");
    }

    String state() {
        return state;
    }

    void activate() {
        if (!deleted) {
            state = "Active";
        }
    }

    synchronized Map<String, String> tags() {
        return new TreeMap<>(tags);
    }

    synchronized void tag(Map<String, String> more) {
        tags.putAll(more);
    }

    synchronized void untag(List<String> keys) {
        keys.forEach(tags::remove);
    }

    /** FunctionConfiguration, as GetFunctionConfiguration and ListFunctions answer it. */
    Map<String, Object> configuration() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("FunctionName", config.name());
        c.put("FunctionArn", config.arn());
        c.put("Runtime", config.runtime());
        c.put("Role", config.role());
        c.put("Handler", config.handler());
        c.put("CodeSize", config.codeSize());
        c.put("Description", config.description());
        c.put("Timeout", config.timeoutSeconds());
        c.put("MemorySize", config.memoryMb());
        c.put("LastModified", config.lastModified());
        c.put("CodeSha256", config.codeSha256());
        c.put("Version", "$LATEST");
        if (!config.variables().isEmpty()) {
            c.put("Environment", Map.of("Variables", config.variables()));
        }
        c.put("RevisionId", config.revisionId());
        c.put("State", state);
        if (state.equals("Pending")) {
            c.put("StateReason", "The function is being created.");
            c.put("StateReasonCode", "Creating");
        }
        c.put("LastUpdateStatus", "Successful");
        c.put("PackageType", "Zip");
        c.put("Architectures", List.of(config.architecture()));
        c.put("EphemeralStorage", Map.of("Size", config.ephemeralMb()));
        return c;
    }

    /** An idle execution environment, or a new one. */
    ExecutionInstance acquire(Map<String, String> lambdaEnv, int processes, java.util.concurrent.ExecutorService launcher,
                              java.util.concurrent.ExecutorService http) throws IOException {
        synchronized (this) {
            while (!idle.isEmpty()) {
                ExecutionInstance warm = idle.pop();
                if (!warm.dead()) {
                    return warm;
                }
                all.remove(warm);
                warm.close();
            }
            started++;
        }
        Path dir = Files.createDirectories(directory.resolve("instances").resolve(Integer.toString(started)));
        ExecutionInstance instance = ExecutionInstance.start(this, dir, lambdaEnv, processes, launcher, http);
        synchronized (this) {
            all.add(instance);
            if (deleted) {
                instance.close();
            }
        }
        return instance;
    }

    synchronized void release(ExecutionInstance instance) {
        if (instance.dead() || deleted) {
            all.remove(instance);
            instance.close();
        } else {
            idle.push(instance);
        }
    }

    /** Execution environments alive now. */
    synchronized int warmInstances() {
        return (int) all.stream().filter(i -> !i.dead()).count();
    }

    Duration timeout() {
        return Duration.ofSeconds(config.timeoutSeconds());
    }

    /** Kills every execution environment and removes the code. */
    void delete() {
        List<ExecutionInstance> instances;
        synchronized (this) {
            deleted = true;
            instances = new ArrayList<>(all);
            all.clear();
            idle.clear();
        }
        instances.forEach(ExecutionInstance::close);
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
