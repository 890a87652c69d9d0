package dev.stagecraft.lambda;

import dev.stagecraft.api.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The lambda provider's section of the configuration, {@code providers.lambda}, read once and checked, so a bad value
 * fails with one line naming the key.
 *
 * @param region            the AWS region; empty: AWS_REGION, aws.region or the profile's region
 * @param endpoint          a Lambda endpoint other than the region's ({@code endpoint}, e.g. the test emulator's)
 * @param profile           a named profile of the shared credentials and config files; empty: the credential chain
 * @param credentialsFile   a shared credentials file other than ~/.aws/credentials (with {@code profile}, or "default")
 * @param instanceMetadata  whether the EC2/ECS instance metadata service may be asked for credentials and region
 *                          (off by default: off AWS it is a link-local address no one answers)
 * @param role              the execution role every function gets (an IAM role ARN Lambda may assume)
 * @param architecture      {@code x86_64} or {@code arm64}
 * @param runtime           the Lambda runtime of the functions (an OS-only runtime: the provider's own bootstrap)
 * @param memoryBytes       memory of a function whose requirement names none (128m to 10g)
 * @param ephemeralBytes    /tmp of a function whose requirement names no disk size (512m to 10g)
 * @param functionTimeout   the function timeout: no command runs longer (at most 15m)
 * @param functionPrefix    what every function name starts with; discover looks only at these
 * @param activeTimeout     how long create waits for a function to leave Pending
 * @param costPerGbSecond   what one GB-second of function time costs (selection's cost, per hour of the default memory)
 * @param startupEstimate   reported to selection
 * @param executionEfficiency reported to selection (0-10)
 */
record LambdaSettings(Optional<String> region, Optional<URI> endpoint, Optional<String> profile,
                      Optional<Path> credentialsFile, boolean instanceMetadata, String role, String architecture,
                      String runtime, long memoryBytes, long ephemeralBytes, Duration functionTimeout,
                      String functionPrefix, Duration activeTimeout, double costPerGbSecond, Duration startupEstimate,
                      int executionEfficiency) {
    static final long MIN_MEMORY = 128L << 20;
    static final long MAX_MEMORY = 10240L << 20;
    static final long MIN_EPHEMERAL = 512L << 20;
    static final long MAX_EPHEMERAL = 10240L << 20;
    static final Duration MAX_FUNCTION_TIMEOUT = Duration.ofMinutes(15);
    /** Lambda's price of one GB-second on x86_64 and on arm64 (us-east-1, first tier). */
    static final double X86_GB_SECOND = 0.0000166667;
    static final double ARM_GB_SECOND = 0.0000133334;
    private static final String ROLE_ARN = "arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}";

    boolean roleConfigured() {
        return !role.isEmpty();
    }

    /** Selection's relative cost of one environment-hour: the default memory busy for an hour. */
    double costPerHour() {
        return costPerGbSecond * (memoryBytes / (double) (1L << 30)) * 3600;
    }

    static LambdaSettings from(Settings s) {
        Optional<String> region = optional(s, "region");
        region.ifPresent(r -> {
            if (!r.matches("[a-z]{2}(-[a-z]+)+-[0-9]+")) {
                throw s.invalid("region", "'" + r + "' is not a region name such as eu-west-1");
            }
        });
        Optional<URI> endpoint = optional(s, "endpoint").map(text -> endpoint(s, text));
        String role = s.string("role", "").trim();
        if (!role.isEmpty() && !role.matches(ROLE_ARN)) {
            throw s.invalid("role", "'" + role + "' is not a role ARN such as arn:aws:iam::123456789012:role/stagecraft-lambda");
        }
        String architecture = s.string("architecture", "x86_64");
        if (!architecture.equals("x86_64") && !architecture.equals("arm64")) {
            throw s.invalid("architecture", "'" + architecture + "' must be x86_64 or arm64");
        }
        String runtime = s.string("runtime", "provided.al2023");
        if (!runtime.startsWith("provided")) {
            throw s.invalid("runtime", "'" + runtime + "' is not an OS-only runtime (provided.al2023 or provided.al2):"
                    + " the functions run the provider's own bootstrap");
        }
        long memory = s.bytes("memory", 512L << 20);
        if (memory < MIN_MEMORY || memory > MAX_MEMORY) {
            throw s.invalid("memory", "must be from 128m to 10g (Lambda's range)");
        }
        long ephemeral = s.bytes("ephemeral-storage", MIN_EPHEMERAL);
        if (ephemeral < MIN_EPHEMERAL || ephemeral > MAX_EPHEMERAL) {
            throw s.invalid("ephemeral-storage", "must be from 512m to 10g (Lambda's range)");
        }
        Duration timeout = s.duration("function-timeout", MAX_FUNCTION_TIMEOUT);
        if (timeout.toSeconds() < 1 || timeout.compareTo(MAX_FUNCTION_TIMEOUT) > 0) {
            throw s.invalid("function-timeout", "must be from 1s to 15m (Lambda's range)");
        }
        String prefix = s.string("function-prefix", "stagecraft-");
        if (!prefix.matches("[A-Za-z0-9_-]{1,20}")) {
            throw s.invalid("function-prefix", "'" + prefix + "' must be 1-20 letters, digits, '-' or '_'");
        }
        Duration active = s.duration("active-timeout", Duration.ofMinutes(2));
        if (active.isNegative() || active.isZero()) {
            throw s.invalid("active-timeout", "must be positive");
        }
        double cost = s.number("cost-per-gb-second", architecture.equals("arm64") ? ARM_GB_SECOND : X86_GB_SECOND);
        if (cost < 0) {
            throw s.invalid("cost-per-gb-second", "must not be negative");
        }
        return new LambdaSettings(region, endpoint, optional(s, "profile"), optional(s, "credentials-file").map(Path::of),
                s.bool("instance-metadata", false), role, architecture, runtime, memory, ephemeral, timeout, prefix, active,
                cost, s.duration("startup-estimate", Duration.ofMillis(100)),
                (int) s.integer("execution-efficiency", 7, 0, 10));
    }

    private static Optional<String> optional(Settings s, String key) {
        String value = s.string(key, "").trim();
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    private static URI endpoint(Settings s, String text) {
        try {
            URI uri = URI.create(text);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // the one message below
        }
        throw s.invalid("endpoint", "'" + text + "' is not an address such as https://lambda.eu-west-1.amazonaws.com");
    }
}
