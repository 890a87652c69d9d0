package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration, the selection numbers, and what the provider computes without AWS. */
class TestLambdaSettings {
    private static LambdaSettings parse(Map<String, ?> values) {
        return LambdaSettings.from(new Settings("conf/stagecraft.yaml", "providers.lambda", values));
    }

    private static String problem(Map<String, ?> values) {
        Throwable thrown = catchThrowable(() -> parse(values));
        assertThat(thrown).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
        assertThat(thrown.getMessage()).doesNotContain("\n");
        return thrown.getMessage();
    }

    @Test
    void defaultsAreTheSeedsServerlessNumbers() {
        LambdaSettings s = parse(Map.of());
        assertThat(s.runtime()).isEqualTo("provided.al2023");
        assertThat(s.architecture()).isEqualTo("x86_64");
        assertThat(s.functionTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.functionPrefix()).isEqualTo("stagecraft-");
        assertThat(s.instanceMetadata()).isFalse();
        LambdaProvider provider = new LambdaProvider();
        ProviderCapabilities c = provider.describe();
        assertThat(c.kind()).isEqualTo("lambda");
        assertThat(c.isolationLevels()).containsExactly(IsolationLevel.VM);
        assertThat(c.startupEstimate()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.executionEfficiency()).isEqualTo(7);
        assertThat(c.network()).isTrue();
        assertThat(c.alwaysNetworked()).as("a function always has network: selection drops it at critical").isTrue();
        assertThat(c.persistentStorage()).isFalse();
        assertThat(c.gpu()).isFalse();
        assertThat(c.diskLimit()).as("the requirement's disk is the function's /tmp").isTrue();
        assertThat(c.costPerHour()).as("512 MB for an hour at x86's price").isCloseTo(0.0300, org.assertj.core.data.Offset.offset(0.0001));
        assertThat(parse(Map.of("architecture", "arm64")).costPerGbSecond()).isEqualTo(LambdaSettings.ARM_GB_SECOND);
    }

    @Test
    void badValuesFailInOneLineNamingTheKey() {
        assertThat(problem(Map.of("region", "Europe"))).isEqualTo("conf/stagecraft.yaml: providers.lambda.region: 'Europe'"
                + " is not a region name such as eu-west-1");
        assertThat(problem(Map.of("role", "stagecraft"))).startsWith("conf/stagecraft.yaml: providers.lambda.role: 'stagecraft'"
                + " is not a role ARN");
        assertThat(problem(Map.of("architecture", "riscv"))).contains("must be x86_64 or arm64");
        assertThat(problem(Map.of("runtime", "python3.12"))).contains("is not an OS-only runtime");
        assertThat(problem(Map.of("memory", "64m"))).contains("providers.lambda.memory: must be from 128m to 10g");
        assertThat(problem(Map.of("function-timeout", "1h"))).contains("must be from 1s to 15m");
        assertThat(problem(Map.of("endpoint", "ftp://x"))).contains("providers.lambda.endpoint: 'ftp://x' is not an address");
        assertThat(problem(Map.of("cost-per-gb-second", "-1"))).contains("must not be negative");
    }

    @Test
    void theRequirementSizesTheFunction() {
        LambdaSettings s = parse(Map.of());
        assertThat(FunctionSizing.of(EnvironmentRequirement.builder().build(), s)).isEqualTo(new FunctionSizing(512, 512));
        assertThat(FunctionSizing.of(EnvironmentRequirement.builder().memoryBytes(100L << 20).diskBytes(2L << 30).build(), s))
                .isEqualTo(new FunctionSizing(128, 2048));
        assertThat(FunctionSizing.of(EnvironmentRequirement.builder().cpus(2).build(), s).memoryMb())
                .as("two vCPUs come with 3538 MB").isEqualTo(3538);
        assertThat(catchThrowable(() -> FunctionSizing.of(EnvironmentRequirement.builder().cpus(8).build(), s)))
                .isInstanceOf(ProvisioningException.class).hasMessageContaining("at most 10g of memory and 6 vCPUs");
        assertThat(catchThrowable(() -> FunctionSizing.of(EnvironmentRequirement.builder().gpus(1).build(), s)))
                .isInstanceOf(ProvisioningException.class).hasMessageContaining("no GPUs");
    }

    @Test
    void labelsRoundTripThroughTagsAndNamesFitLambda() {
        Labels labels = Labels.of("me", "env-1", java.time.Instant.parse("2026-01-02T03:04:05.678Z"), Duration.ofMinutes(10))
                .with(Labels.USER_PREFIX + "note", "quotes \"and\" commas, fine");
        Map<String, String> tags = FunctionTags.of(labels);
        assertThat(tags).containsEntry(Labels.OWNER, "me").containsEntry(Labels.CREATED_AT, "2026-01-02T03:04:05.678Z")
                .containsEntry(Labels.TTL, "PT10M");
        assertThat(tags.get(Labels.USER_PREFIX + "note")).startsWith("b64:");
        assertThat(FunctionTags.labels(tags)).isEqualTo(labels);
        assertThat(FunctionNames.of("stagecraft-", "sc-1234")).isEqualTo("stagecraft-sc-1234");
        String longId = "a".repeat(63);
        assertThat(FunctionNames.of("stagecraft-", longId)).hasSize(64).startsWith("stagecraft-aaaa")
                .isNotEqualTo(FunctionNames.of("stagecraft-", "a".repeat(62) + "b"));
    }
}
