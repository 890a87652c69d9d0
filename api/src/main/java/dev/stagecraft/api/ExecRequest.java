package dev.stagecraft.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One command to run inside an environment. The environment of the command holds only what is set here
 * (nothing is inherited from the manager's process).
 *
 * @param argv        the program and its arguments; argv[0] is looked up on the environment's PATH
 * @param stdin       bytes fed to standard input, then closed (empty: stdin is closed at once)
 * @param env         environment variables of the command
 * @param workingDir  a directory relative to the workspace, or empty for the workspace itself
 * @param timeout     wall-clock limit; when it passes the command's whole process tree is killed
 * @param outputLimit most bytes kept of stdout and of stderr each; the rest is read and dropped
 */
public record ExecRequest(List<String> argv, byte[] stdin, Map<String, String> env, Optional<String> workingDir,
                          Duration timeout, long outputLimit) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_OUTPUT_LIMIT = 1L << 20;

    public ExecRequest {
        argv = List.copyOf(requireNonNull(argv, "argv is null"));
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw StagecraftException.invalidRequirement("a command is required (argv is empty)");
        }
        stdin = requireNonNull(stdin, "stdin is null").clone();
        env = SortedCopy.of(requireNonNull(env, "env is null"), "env");
        for (String name : env.keySet()) {
            if (name.isEmpty() || name.contains("=") || name.indexOf('\0') >= 0) {
                throw StagecraftException.invalidRequirement("environment variable name '" + name + "' is invalid");
            }
        }
        requireNonNull(workingDir, "workingDir is null");
        requireNonNull(timeout, "timeout is null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw StagecraftException.invalidRequirement("timeout must be positive, got " + timeout);
        }
        if (outputLimit <= 0) {
            throw StagecraftException.invalidRequirement("output limit must be positive, got " + outputLimit);
        }
    }

    public static ExecRequest of(String... argv) {
        return builder(argv).build();
    }

    public static Builder builder(String... argv) {
        return new Builder(List.of(argv));
    }

    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    @Override
    public byte[] stdin() {
        return stdin.clone();
    }

    public static final class Builder {
        private final List<String> argv;
        private byte[] stdin = new byte[0];
        private final Map<String, String> env = new TreeMap<>();
        private String workingDir;
        private Duration timeout = DEFAULT_TIMEOUT;
        private long outputLimit = DEFAULT_OUTPUT_LIMIT;

        private Builder(List<String> argv) {
            this.argv = argv;
        }

        public Builder stdin(byte[] value) { this.stdin = value; return this; }
        public Builder stdin(String value) { this.stdin = value.getBytes(java.nio.charset.StandardCharsets.UTF_8); return this; }
        public Builder env(String name, String value) { this.env.put(name, value); return this; }
        public Builder env(Map<String, String> values) { this.env.putAll(values); return this; }
        public Builder workingDir(String value) { this.workingDir = value; return this; }
        public Builder timeout(Duration value) { this.timeout = value; return this; }
        public Builder outputLimit(long value) { this.outputLimit = value; return this; }

        public ExecRequest build() {
            return new ExecRequest(argv, stdin, env, Optional.ofNullable(workingDir), timeout, outputLimit);
        }
    }
}
