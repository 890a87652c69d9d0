package dev.stagecraft.lambda;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.StagecraftException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.State;

/** Every function whose name has the prefix and whose tags carry Stagecraft labels: {@code ListFunctions}, then {@code ListTags}. */
final class FunctionDiscovery {
    private FunctionDiscovery() {
    }

    static List<ExecutionEnvironment> discover(LambdaSettings settings, LambdaApi api, Function<String, FunctionGate> gates) {
        List<FunctionConfiguration> functions = api.call(ErrorCode.INTERNAL, "list the functions",
                () -> api.client().listFunctionsPaginator(r -> r.maxItems(50)).functions().stream()
                        .filter(f -> f.functionName().startsWith(settings.functionPrefix())).toList());
        List<ExecutionEnvironment> found = new ArrayList<>();
        for (FunctionConfiguration function : functions) {
            Map<String, String> tags;
            try {
                tags = api.client().listTags(r -> r.resource(function.functionArn())).tags();
            } catch (SdkException e) {
                if (LambdaApi.isNotFound(e)) {
                    continue;   // deleted since the listing
                }
                throw new StagecraftException(ErrorCode.INTERNAL,
                        api.describe("read the tags of function " + function.functionName(), e), e);
            }
            Labels labels = FunctionTags.labels(tags);
            if (!labels.isStagecraft()) {
                continue;
            }
            long memory = function.memorySize() == null ? -1 : (long) function.memorySize() << 20;
            Duration timeout = Duration.ofSeconds(function.timeout() == null ? 0 : function.timeout());
            found.add(new LambdaEnvironment(function.functionName(), function.functionArn(), labels, memory, timeout, api,
                    gates.apply(function.functionName()), FunctionTags.stopped(tags), function.state() == State.FAILED));
        }
        return found;
    }
}
