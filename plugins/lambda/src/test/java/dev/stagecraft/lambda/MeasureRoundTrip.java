package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * A measurement, not part of the suite (its name is no Test*): {@code scripts/bench.sh lambda [rounds] [creates]} runs it
 * (through Maven: the emulator is the plugin's test classes). Against the emulator, in one run: a command's round trip
 * through the provider against a bare SDK {@code Invoke} of the same function with the same event (alternating, after
 * a warm-up), and the provider's create against a bare {@code CreateFunction} and the SDK's waiter for Active. It
 * prints medians and the ratios. The system properties {@code lambda.rounds} (40) and {@code lambda.creates} (5) set
 * how many of each.
 */
class MeasureRoundTrip {
    private static final int ROUNDS = Integer.getInteger("lambda.rounds", 40);
    private static final int CREATES = Integer.getInteger("lambda.creates", 5);

    @TempDir
    Path stateDir;

    @Test
    void providerAgainstBareSdk() throws Exception {
        try (LambdaEmulator emulator = LambdaFixtures.emulator(); LambdaProvider provider = LambdaFixtures.provider(emulator, stateDir)) {
            LambdaClient client = provider.api().client();
            ExecutionEnvironment env = provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder().build()));
            String function = ((LambdaEnvironment) env).functionName();
            Map<String, String> variables = new TreeMap<>(LambdaEnvironment.DEFAULT_ENV);
            byte[] event = CommandEvent.exec(List.of("true"), variables, new byte[0], "", 30_000, 1 << 20);
            ExecRequest request = ExecRequest.of("true");
            for (int i = 0; i < 5; i++) {
                env.execute(request);
                client.invoke(r -> r.functionName(function).payload(SdkBytes.fromByteArray(event)));
            }
            long[] viaProvider = new long[ROUNDS];
            long[] bare = new long[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                long t = System.nanoTime();
                assertThat(env.execute(request).exitCode()).isZero();
                viaProvider[i] = System.nanoTime() - t;
                t = System.nanoTime();
                String answer = client.invoke(r -> r.functionName(function).payload(SdkBytes.fromByteArray(event)))
                        .payload().asUtf8String();
                bare[i] = System.nanoTime() - t;
                assertThat(answer).startsWith("{\"exitCode\":0,");
            }
            env.destroy();

            List<Long> creates = new ArrayList<>();
            List<Long> bareCreates = new ArrayList<>();
            for (int i = 0; i < CREATES; i++) {
                long t = System.nanoTime();
                provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder().build())).destroy();
                creates.add(System.nanoTime() - t);
                String name = "bare-create-" + i;
                t = System.nanoTime();
                client.createFunction(r -> r.functionName(name).runtime("provided.al2023").role(LambdaEmulator.Options.ROLE)
                        .handler("stagecraft").memorySize(512).timeout(60)
                        .code(c -> c.zipFile(SdkBytes.fromByteArray(DeploymentPackage.withBootstrap()))));
                client.waiter().waitUntilFunctionActiveV2(r -> r.functionName(name));
                client.deleteFunction(r -> r.functionName(name));
                bareCreates.add(System.nanoTime() - t);
            }
            double p = median(viaProvider);
            double b = median(bare);
            System.out.printf("lambda round trip of `true` (median of %d): provider %.1f ms, bare SDK Invoke %.1f ms, %.2fx%n",
                    ROUNDS, p, b, p / b);
            double c = median(creates.stream().mapToLong(Long::longValue).toArray());
            double bc = median(bareCreates.stream().mapToLong(Long::longValue).toArray());
            System.out.printf("lambda create+destroy (median of %d): provider %.0f ms, bare CreateFunction + waiter + Delete"
                    + " %.0f ms, %.2fx%n", CREATES, c, bc, c / bc);
        }
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }
}
