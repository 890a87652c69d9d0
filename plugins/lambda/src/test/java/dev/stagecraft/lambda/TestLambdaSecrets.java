package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lambda gives the runtime the execution role's keys; the bootstrap starts again without them, so no process a
 * command can read holds them (nor anything of the host's environment).
 */
class TestLambdaSecrets {
    @TempDir
    Path stateDir;

    @Test
    void theRolesKeysAreInNoProcessACommandCanRead() {
        try (LambdaEmulator emulator = LambdaFixtures.emulator(); LambdaProvider provider = LambdaFixtures.provider(emulator, stateDir)) {
            ExecutionEnvironment env = provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder().build()));
            try {
                String every = env.execute(ExecRequest.of("sh", "-c",
                        "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done 2>/dev/null")).stdoutText();
                assertThat(every).as("the processes' variables").contains("STAGECRAFT_BOOTSTRAP=1")
                        .doesNotContain("AWS_SECRET_ACCESS_KEY").doesNotContain("AWS_SESSION_TOKEN")
                        .doesNotContain("AWS_ACCESS_KEY_ID");
                String host = System.getenv().keySet().stream().filter(k -> k.length() > 3 && !k.equals("PATH")
                        && !k.equals("HOME") && !k.equals("LANG")).findFirst().orElseThrow();
                assertThat(every).as("a variable of the host's (" + host + ")").doesNotContain(host + "=");
            } finally {
                env.destroy();
            }
        }
    }
}
