package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.State;

/**
 * Lambda's answers that are not a plain success, as the emulator gives them in AWS's shapes and the provider reads
 * them: a missing function, a role Lambda cannot assume, a name taken, throttling, a call while Pending, a function
 * error, the function timeout, and an event over the payload limit.
 */
class TestLambdaErrors {
    private static LambdaEmulator emulator;

    @TempDir
    Path stateDir;

    private final List<ExecutionEnvironment> made = new ArrayList<>();
    private final List<LambdaProvider> providers = new ArrayList<>();

    @BeforeAll
    static void start() {
        emulator = LambdaFixtures.emulator();
    }

    @AfterAll
    static void stop() {
        if (emulator != null) {
            emulator.close();
        }
    }

    @AfterEach
    void cleanUp() {
        made.forEach(ExecutionEnvironment::destroy);
        providers.forEach(LambdaProvider::close);
    }

    private LambdaProvider provider(Map<String, Object> overrides) {
        Map<String, Object> settings = LambdaFixtures.settings(emulator, stateDir, LambdaEmulator.Options.SECRET_KEY);
        settings.putAll(overrides);
        LambdaProvider provider = LambdaFixtures.provider(settings, stateDir);
        providers.add(provider);
        return provider;
    }

    private ExecutionEnvironment create(LambdaProvider provider) {
        ExecutionEnvironment env = provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder().build()));
        made.add(env);
        return env;
    }

    @Test
    void aMissingFunctionIsLambdasResourceNotFoundAndTheProvidersNotFound() {
        LambdaProvider provider = provider(Map.of());
        Throwable direct = catchThrowable(() -> provider.api().client().getFunction(r -> r.functionName("stagecraft-absent")));
        assertThat(direct).isInstanceOf(ResourceNotFoundException.class);
        ResourceNotFoundException notFound = (ResourceNotFoundException) direct;
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.awsErrorDetails().errorCode()).isEqualTo("ResourceNotFoundException");
        assertThat(notFound.awsErrorDetails().errorMessage())
                .isEqualTo("Function not found: arn:aws:lambda:us-east-1:123456789012:function:stagecraft-absent");

        ExecutionEnvironment env = create(provider);
        String function = ((LambdaEnvironment) env).functionName();
        provider.api().client().deleteFunction(r -> r.functionName(function));
        Throwable gone = catchThrowable(() -> env.execute(ExecRequest.of("true")));
        assertThat(gone).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) gone).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(gone.getMessage()).isEqualTo("environment '" + env.id() + "' is gone: its function " + function
                + " no longer exists");
        env.destroy();
        env.destroy();
    }

    @Test
    void aRoleLambdaCannotAssumeFailsCreateInOneLineAndLeavesNothing() {
        LambdaProvider provider = provider(Map.of("role", "arn:aws:iam::123456789012:role/no-such-role"));
        int before = emulator.functionNames().size();
        Throwable thrown = catchThrowable(() -> create(provider));
        assertThat(thrown).isInstanceOf(ProvisioningException.class);
        assertThat(thrown.getMessage()).contains("InvalidParameterValueException (HTTP 400): The role defined for the"
                + " function cannot be assumed by Lambda.").doesNotContain("\n");
        assertThat(emulator.functionNames()).hasSize(before);

        Map<String, Object> noRole = LambdaFixtures.settings(emulator, stateDir, LambdaEmulator.Options.SECRET_KEY);
        noRole.remove("role");
        LambdaProvider unset = LambdaFixtures.provider(noRole, stateDir);
        providers.add(unset);
        assertThat(unset.probe().available()).isFalse();
        assertThat(unset.probe().reason()).isEqualTo("providers.lambda.role is not set (the functions' execution role)");
        assertThat(catchThrowable(() -> create(unset))).isInstanceOf(ProvisioningException.class)
                .hasMessageStartingWith("providers.lambda.role is not set");
    }

    @Test
    void levelCriticalIsRefusedBeforeAnythingIsMade() {
        LambdaProvider provider = provider(Map.of());
        int before = emulator.functionNames().size();
        Throwable thrown = catchThrowable(() -> provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder()
                .securityLevel(dev.stagecraft.api.SecurityLevel.CRITICAL).build())));
        assertThat(thrown).isInstanceOf(ProvisioningException.class).hasMessage("level critical allows no network, and a"
                + " Lambda function always has it: choose a VM kind (--provider kvm)");
        assertThat(emulator.functionNames()).hasSize(before);
    }

    @Test
    void aTakenNameIsAConflictAndAPendingFunctionTakesNoInvocation() {
        LambdaProvider provider = provider(Map.of());
        ExecutionEnvironment env = create(provider);
        String function = ((LambdaEnvironment) env).functionName();
        var client = provider.api().client();
        Throwable taken = catchThrowable(() -> client.createFunction(r -> r.functionName(function).runtime("provided.al2023")
                .role(LambdaEmulator.Options.ROLE).handler("x")
                .code(c -> c.zipFile(SdkBytes.fromByteArray(DeploymentPackage.withBootstrap())))));
        assertThat(taken).isInstanceOf(ResourceConflictException.class).hasMessageContaining("Function already exist: " + function);

        var created = client.createFunction(r -> r.functionName("stagecraft-pending-check").runtime("provided.al2023")
                .role(LambdaEmulator.Options.ROLE).handler("x")
                .code(c -> c.zipFile(SdkBytes.fromByteArray(DeploymentPackage.withBootstrap()))));
        try {
            assertThat(created.state()).isEqualTo(State.PENDING);
            assertThat(created.stateReasonCodeAsString()).isEqualTo("Creating");
            Throwable early = catchThrowable(() -> client.invoke(r -> r.functionName("stagecraft-pending-check")
                    .payload(SdkBytes.fromUtf8String("{}"))));
            assertThat(early).isInstanceOf(ResourceConflictException.class)
                    .hasMessageContaining("The function is currently in the following state: Pending");
            client.waiter().waitUntilFunctionActiveV2(r -> r.functionName("stagecraft-pending-check"));
            assertThat(client.getFunctionConfiguration(r -> r.functionName("stagecraft-pending-check")).state())
                    .isEqualTo(State.ACTIVE);
        } finally {
            client.deleteFunction(r -> r.functionName("stagecraft-pending-check"));
        }
    }

    @Test
    void throttlingIsRetriedWithBackoffThenOneLine() {
        LambdaProvider provider = provider(Map.of());
        emulator.throttleNext(2);
        assertThat(provider.discover()).as("two 429s, then the SDK's third attempt").isNotNull();
        emulator.throttleNext(10);
        try {
            Throwable thrown = catchThrowable(provider::discover);
            assertThat(thrown).isInstanceOf(StagecraftException.class);
            assertThat(thrown.getMessage()).isEqualTo("cannot list the functions: TooManyRequestsException (HTTP 429): Rate Exceeded.");
        } finally {
            emulator.throttleNext(0);
        }
    }

    @Test
    void aFunctionErrorReachesTheCallerAsLambdaReportsIt() {
        LambdaProvider provider = provider(Map.of());
        ExecutionEnvironment env = create(provider);
        InvokeResponse response = provider.api().client().invoke(r -> r.functionName(((LambdaEnvironment) env).functionName())
                .payload(SdkBytes.fromUtf8String("{\"op\":\"unknown\"}")));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isEqualTo("Unhandled");
        assertThat(response.payload().asUtf8String()).contains("\"errorType\":\"Stagecraft.BadEvent\"");
        assertThat(env.execute(ExecRequest.of("echo", "still", "warm")).stdoutText()).isEqualTo("still warm\n");
    }

    /**
     * A command the bootstrap cannot outwait (a child in a session of its own keeps the output open) ends at the
     * function timeout: the emulator kills the execution environment, Lambda's answer is a timeout, the provider reports
     * 124; the next command gets a fresh execution environment, its /tmp empty. A command that merely runs long is
     * ended by the bootstrap itself before the function's deadline, which keeps the environment warm.
     */
    @Test
    void theFunctionTimeoutEndsWhatTheBootstrapCannot() {
        LambdaProvider provider = provider(Map.of("function-timeout", "4s"));
        ExecutionEnvironment env = create(provider);
        env.putFile("kept.txt", "x".getBytes(StandardCharsets.UTF_8));
        ExecResult capped = env.execute(ExecRequest.builder("sleep", "30").timeout(Duration.ofSeconds(30)).build());
        assertThat(capped.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(capped.detail()).contains("the function timeout 4s came first");
        assertThat(env.getFile("kept.txt", 10)).as("the bootstrap answered in time: still warm").hasSize(1);

        ExecResult detached = env.execute(ExecRequest.builder("sh", "-c", "setsid sleep 60 & sleep 1; echo started")
                .timeout(Duration.ofSeconds(30)).build());
        assertThat(detached.termination()).as("a child that left the session holding the output is killed, not waited for: %s %s",
                        detached.detail(), detached.stderrText())
                .isEqualTo(Termination.EXITED);
        assertThat(detached.stdoutText()).isEqualTo("started\n");
        assertThat(env.getFile("kept.txt", 10)).as("still warm").hasSize(1);

        // The command stops the bootstrap itself (the parent of its timeout, and of the same user): only Lambda ends that.
        ExecResult killed = env.execute(ExecRequest.builder("sh", "-c", "kill -STOP $(cut -d' ' -f4 /proc/$PPID/stat); sleep 30")
                .timeout(Duration.ofSeconds(30)).build());
        assertThat(killed.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(killed.exitCode()).isEqualTo(ExecResult.TIMEOUT_EXIT_CODE);
        assertThat(killed.detail()).isEqualTo("killed: the function timeout 4s passed (Lambda ended the invocation)");
        assertThat(env.execute(ExecRequest.of("echo", "again")).stdoutText()).isEqualTo("again\n");
        Throwable lost = catchThrowable(() -> env.getFile("kept.txt", 10));
        assertThat(lost).as("a new execution environment has a new /tmp").isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) lost).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void aRuntimeTheOomKillerEndsIsAMemoryLimitKillAndAFreshEnvironment() {
        ExecutionEnvironment env = create(provider(Map.of("memory", "128m")));
        env.putFile("kept.txt", "x".getBytes(StandardCharsets.UTF_8));
        // The command makes the bootstrap (the parent of its timeout) the OOM killer's first choice, then fills memory
        // in two shells, each under the bootstrap's score (1000 adds 32 pages per 1000 of the limit's).
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "echo 1000 > /proc/$(cut -d' ' -f4 /proc/$PPID/stat)"
                + "/oom_score_adj && f() { x=$(head -c 100663296 /dev/zero | tr '\\000' a); }; f & f; wait; echo filled")
                .timeout(Duration.ofSeconds(50)).build());
        assertThat(result.termination()).as(result.detail()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).startsWith("killed: memory limit 128m (the runtime was killed: signal: killed");
        assertThat(env.execute(ExecRequest.of("echo", "again")).stdoutText()).isEqualTo("again\n");
        Throwable lost = catchThrowable(() -> env.getFile("kept.txt", 10));
        assertThat(((StagecraftException) lost).code()).as("a new execution environment").isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void anEventOverTheInvocationPayloadIsRefusedBeforeItIsSent() {
        ExecutionEnvironment env = create(provider(Map.of()));
        Throwable thrown = catchThrowable(() -> env.putFile("big.bin", new byte[5 << 20]));
        assertThat(thrown).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.TOO_LARGE);
        assertThat(thrown.getMessage()).contains("over the 6 MB of one Lambda invocation").doesNotContain("\n");
    }
}
