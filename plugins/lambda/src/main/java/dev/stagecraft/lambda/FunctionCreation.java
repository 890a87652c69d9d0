package dev.stagecraft.lambda;

import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;
import java.time.Duration;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.lambda.model.CreateFunctionRequest;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationResponse;
import software.amazon.awssdk.services.lambda.model.State;

/**
 * {@code CreateFunction} with the bootstrap's zip, the labels as tags, memory and /tmp from the requirement; then
 * {@code GetFunctionConfiguration} until the function leaves Pending. Whatever fails after the function exists
 * deletes it again.
 */
final class FunctionCreation {
    private static final Duration FIRST_POLL = Duration.ofMillis(50);
    private static final Duration LONGEST_POLL = Duration.ofSeconds(1);

    private FunctionCreation() {
    }

    static LambdaEnvironment create(EnvironmentSpec spec, LambdaSettings settings, LambdaApi api, FunctionGate gate) {
        if (!settings.roleConfigured()) {
            throw new ProvisioningException("providers.lambda.role is not set: create the functions' execution role"
                    + " (docs/providers/lambda.md) and set its ARN there");
        }
        if (spec.requirement().securityLevel() == SecurityLevel.CRITICAL) {
            // Level critical allows no network (docs/security-model.md), and a function always has it. Selection drops
            // the kind (describe() says alwaysNetworked); this holds where selection was set to allow it.
            throw new ProvisioningException("level critical allows no network, and a Lambda function always has it:"
                    + " choose a VM kind (--provider kvm)");
        }
        FunctionSizing sizing = FunctionSizing.of(spec.requirement(), settings);
        String name = FunctionNames.of(settings.functionPrefix(), spec.id());
        CreateFunctionRequest request = CreateFunctionRequest.builder().functionName(name)
                .description("Stagecraft environment " + spec.id()).runtime(settings.runtime()).handler("stagecraft")
                .role(settings.role()).architecturesWithStrings(settings.architecture())
                .code(c -> c.zipFile(SdkBytes.fromByteArrayUnsafe(DeploymentPackage.withBootstrap())))
                .memorySize(sizing.memoryMb()).ephemeralStorage(e -> e.size(sizing.ephemeralMb()))
                .timeout((int) settings.functionTimeout().toSeconds()).tags(FunctionTags.of(spec.labels())).build();
        CreateFunctionResponse created;
        try {
            created = api.client().createFunction(request);
        } catch (SdkException e) {
            throw new ProvisioningException(api.describe("create function " + name, e), e);
        }
        try {
            awaitActive(name, StateReading.of(created), settings.activeTimeout(), api);
        } catch (RuntimeException e) {
            deleteQuietly(name, api);
            throw e instanceof ProvisioningException ? e : new ProvisioningException(e.getMessage(), e);
        }
        return new LambdaEnvironment(name, created.functionArn(), spec.labels(), sizing.memoryBytes(),
                settings.functionTimeout(), api, gate, false, false);
    }

    private static void awaitActive(String name, StateReading created, Duration timeout, LambdaApi api) {
        long deadline = System.nanoTime() + timeout.toNanos();
        StateReading now = created;
        Duration pause = FIRST_POLL;
        while (now.state() == State.PENDING || now.state() == null) {
            if (System.nanoTime() > deadline) {
                throw new ProvisioningException("function " + name + " was still Pending after " + timeout.toSeconds()
                        + "s (providers.lambda.active-timeout); it was deleted");
            }
            sleep(pause);
            pause = pause.multipliedBy(2).compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : pause.multipliedBy(2);
            now = StateReading.of(api.call(ErrorCode.PROVISIONING_FAILED, "read the state of function " + name,
                    () -> api.client().getFunctionConfiguration(r -> r.functionName(name))));
        }
        if (now.state() != State.ACTIVE) {
            throw new ProvisioningException("function " + name + " became " + now.stateText() + " instead of Active ("
                    + now.reasonCode() + ": " + now.reason() + "); it was deleted");
        }
    }

    /** The state fields that CreateFunction's and GetFunctionConfiguration's answers share. */
    private record StateReading(State state, String stateText, String reasonCode, String reason) {
        static StateReading of(CreateFunctionResponse r) {
            return new StateReading(r.state(), r.stateAsString(), r.stateReasonCodeAsString(), r.stateReason());
        }

        static StateReading of(GetFunctionConfigurationResponse r) {
            return new StateReading(r.state(), r.stateAsString(), r.stateReasonCodeAsString(), r.stateReason());
        }
    }

    private static void deleteQuietly(String name, LambdaApi api) {
        try {
            api.client().deleteFunction(r -> r.functionName(name));
        } catch (SdkException | StagecraftException ignored) {
            // the creation's own failure is what the caller needs to read
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("interrupted while waiting for the function to become Active");
        }
    }
}
