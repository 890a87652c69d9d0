package dev.stagecraft.lambda.ric;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Java handler as any Lambda user writes one, run by AWS's runtime interface client inside the emulator. It answers
 * with what the client read from the Runtime API (request id, ARN, deadline), and fails when asked to.
 */
public class GreetingHandler implements RequestHandler<Map<String, String>, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Map<String, String> input, Context context) {
        if (input.containsKey("fail")) {
            throw new IllegalStateException(input.get("fail"));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("greeting", "hello " + input.get("name"));
        out.put("requestId", context.getAwsRequestId());
        out.put("functionArn", context.getInvokedFunctionArn());
        out.put("functionName", context.getFunctionName());
        out.put("remainingMillis", context.getRemainingTimeInMillis());
        return out;
    }
}
