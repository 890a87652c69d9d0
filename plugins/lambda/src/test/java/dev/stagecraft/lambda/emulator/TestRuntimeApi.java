package dev.stagecraft.lambda.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The emulator's runtime side with small shell runtimes (curl on the Runtime API): the headers an invocation comes
 * with, the init error, a runtime that exits during an invocation, an answer for another request id, a bootstrap the
 * zip does not mark executable.
 */
class TestRuntimeApi {
    private static final String API = "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime";
    private static LambdaEmulator emulator;
    private static LambdaClient client;

    @BeforeAll
    static void start() {
        if (!LambdaEmulator.available()) {
            dev.stagecraft.tck.BackendRequirement.missing("the Lambda emulator needs bubblewrap: apt-get install bubblewrap");
        }
        emulator = LambdaEmulator.start();
        client = LambdaClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                .endpointOverride(emulator.endpoint()).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(LambdaEmulator.Options.ACCESS_KEY, LambdaEmulator.Options.SECRET_KEY)))
                .build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    private static InvokeResponse run(String name, String script, boolean executable, String payload) throws Exception {
        byte[] zip = dev.stagecraft.lambda.DeploymentPackageForTests.zip(Map.of("bootstrap",
                ("#!/bin/sh\n" + script).getBytes(StandardCharsets.UTF_8)), executable);
        client.createFunction(r -> r.functionName(name).runtime("provided.al2023").role(LambdaEmulator.Options.ROLE)
                .handler("handler.name").timeout(20).code(c -> c.zipFile(SdkBytes.fromByteArray(zip))));
        client.waiter().waitUntilFunctionActiveV2(r -> r.functionName(name));
        return client.invoke(r -> r.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
    }

    private static JsonNode json(InvokeResponse response) {
        return Json.read(response.payload().asByteArray());
    }

    @Test
    void anInvocationComesWithLambdasHeadersAndTheEventAsSent() throws Exception {
        InvokeResponse response = run("headers", "set -e\nwhile :; do\n"
                + "  curl -sS -D /tmp/h -o /tmp/e " + API + "/invocation/next\n"
                + "  id=$(tr -d '\\r' < /tmp/h | sed -n 's/^Lambda-Runtime-Aws-Request-Id: //ip')\n"
                + "  { tr -d '\\r' < /tmp/h | grep -i '^lambda-runtime-' | sed 's/^/# /'; echo \"env $_HANDLER $AWS_LAMBDA_FUNCTION_NAME"
                + " $AWS_REGION $LAMBDA_TASK_ROOT $(pwd)\"; cat /tmp/e; } > /tmp/r\n"
                + "  curl -sS -X POST --data-binary @/tmp/r " + API + "/invocation/$id/response\n"
                + "done\n", true, "{\"a\": [1, 2]}");
        String text = response.payload().asUtf8String();
        assertThat(response.functionError()).as(text).isNull();
        assertThat(text).containsPattern("(?i)# Lambda-Runtime-Aws-Request-Id: [0-9a-f-]{36}")
                .containsPattern("(?i)# Lambda-Runtime-Deadline-Ms: [0-9]{13}")
                .containsPattern("(?i)# Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:headers")
                .containsPattern("(?i)# Lambda-Runtime-Trace-Id: Root=1-[0-9a-f]+-[0-9a-f]{24};Parent=[0-9a-f]+;Sampled=0")
                .contains("env handler.name headers us-east-1 /var/task /var/task")
                .endsWith("{\"a\": [1, 2]}");
        client.deleteFunction(r -> r.functionName("headers"));
    }

    @Test
    void anInitErrorAnswersTheInvocationAndEndsTheExecutionEnvironment() throws Exception {
        InvokeResponse response = run("init-error", "curl -sS -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.NoConfig'"
                + " --data '{\"errorMessage\":\"no configuration\",\"errorType\":\"Runtime.NoConfig\"}' " + API + "/init/error\n"
                + "sleep 30\n", true, "{}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        assertThat(json(response).path("errorType").asText()).isEqualTo("Runtime.NoConfig");
        assertThat(emulator.warmInstances("init-error")).isZero();
        client.deleteFunction(r -> r.functionName("init-error"));
    }

    @Test
    void aRuntimeThatExitsIsARuntimeExitError() throws Exception {
        InvokeResponse response = run("exits", "curl -sS -o /dev/null " + API + "/invocation/next\nexit 3\n", true, "{}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        assertThat(json(response).path("errorType").asText()).isEqualTo("Runtime.ExitError");
        assertThat(json(response).path("errorMessage").asText()).endsWith("Error: Runtime exited with error: exit status 3");
        client.deleteFunction(r -> r.functionName("exits"));
    }

    @Test
    void anAnswerForAnotherRequestIsRefused() throws Exception {
        InvokeResponse response = run("wrong-id", "curl -sS -D /tmp/h -o /dev/null " + API + "/invocation/next\n"
                + "code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data '{}' " + API + "/invocation/not-the-id/response)\n"
                + "id=$(tr -d '\\r' < /tmp/h | sed -n 's/^Lambda-Runtime-Aws-Request-Id: //ip')\n"
                + "curl -sS -X POST --data \"{\\\"wrongIdAnswered\\\":$code}\" " + API + "/invocation/$id/response\nsleep 30\n",
                true, "{}");
        assertThat(json(response).path("wrongIdAnswered").asInt()).isEqualTo(400);
        client.deleteFunction(r -> r.functionName("wrong-id"));
    }

    @Test
    void aBootstrapTheZipDoesNotMarkExecutableDoesNotRun() throws Exception {
        InvokeResponse response = run("not-executable", "exit 0\n", false, "{}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        assertThat(json(response).path("errorType").asText()).isEqualTo("Runtime.ExitError");
        assertThat(emulator.logs("not-executable")).contains("Permission denied");
        client.deleteFunction(r -> r.functionName("not-executable"));
    }
}
