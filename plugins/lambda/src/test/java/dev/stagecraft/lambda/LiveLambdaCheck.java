package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Termination;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider against real AWS Lambda, for a person with an account; never in CI (its name is no Test*, so the
 * suite does not run it). Run it with {@code STAGECRAFT_LAMBDA_LIVE=1 STAGECRAFT_LAMBDA_ROLE=arn:aws:iam::...:role/...
 * AWS_REGION=... mvn -o -pl plugins/provider-tck,plugins/lambda verify -Dtest=LiveLambdaCheck
 * -Dsurefire.failIfNoSpecifiedTests=false} and the usual AWS credentials. It creates one function, runs commands and
 * file calls in it, and deletes it.
 */
class LiveLambdaCheck {
    @TempDir
    Path stateDir;

    @Test
    void createRunAndDestroyOnAws() {
        Assumptions.assumeTrue("1".equals(System.getenv("STAGECRAFT_LAMBDA_LIVE")),
                "skipped: set STAGECRAFT_LAMBDA_LIVE=1, STAGECRAFT_LAMBDA_ROLE and AWS credentials to run against AWS");
        Map<String, Object> settings = new HashMap<>();
        settings.put("role", System.getenv("STAGECRAFT_LAMBDA_ROLE"));
        settings.put("function-timeout", "60s");
        LambdaProvider provider = LambdaFixtures.provider(settings, stateDir);
        try {
            ProviderHealth health = provider.probe();
            assertThat(health.available()).as(health.reason()).isTrue();
            ExecutionEnvironment env = provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder().build()));
            try {
                ExecResult hi = env.execute(ExecRequest.of("sh", "-c", "echo hi; echo err >&2; exit 3"));
                assertThat(hi.stdoutText()).isEqualTo("hi\n");
                assertThat(hi.stderrText()).isEqualTo("err\n");
                assertThat(hi.exitCode()).isEqualTo(3);
                env.putFile("a/b.txt", "live".getBytes(StandardCharsets.UTF_8));
                assertThat(env.execute(ExecRequest.of("cat", "a/b.txt")).stdoutText()).isEqualTo("live");
                assertThat(env.getFile("a/b.txt", 100)).isEqualTo("live".getBytes(StandardCharsets.UTF_8));
                ExecResult slow = env.execute(ExecRequest.builder("sleep", "10").timeout(Duration.ofSeconds(1)).build());
                assertThat(slow.termination()).isEqualTo(Termination.TIMEOUT);
                ExecResult keys = env.execute(ExecRequest.of("sh", "-c", "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"
                        + " | grep -c AWS_SECRET_ACCESS_KEY || true"));
                assertThat(keys.stdoutText().trim()).as("the role's keys in no readable process").isEqualTo("0");
                assertThat(provider.discover()).anyMatch(e -> e.id().equals(env.id()));
            } finally {
                env.destroy();
            }
            assertThat(provider.discover()).noneMatch(e -> e.labels().environmentId().startsWith("test-")
                    && e.labels().owner().equals("test") && e.id().equals(env.id()));
        } finally {
            provider.close();
        }
    }
}
