package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import dev.stagecraft.lambda.ric.GreetingHandler;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The emulator's Runtime API against AWS's own runtime interface client
 * ({@code com.amazonaws:aws-lambda-java-runtime-interface-client}, with its JNI library): a function whose bootstrap
 * starts this machine's JDK on the client's main class with a Java handler is created, invoked and answered through
 * the SDK, as it would be on Lambda's {@code provided.al2023}.
 */
class TestRuntimeInterfaceClient {
    private static final String RIC_MAIN = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";
    private static final List<String> LIBRARIES = List.of("aws-lambda-java-runtime-interface-client",
            "aws-lambda-java-core", "aws-lambda-java-serialization", "utils-lite");
    private static LambdaEmulator emulator;

    @TempDir
    Path stateDir;

    /** A JVM's start on a busy two-core build machine can pass Lambda's 10 s init phase: this emulator allows 60. */
    @BeforeAll
    static void start() {
        emulator = LambdaFixtures.emulator(LambdaEmulator.Options.defaults().withInitTimeout(java.time.Duration.ofSeconds(60)));
    }

    @AfterAll
    static void stop() {
        if (emulator != null) {
            emulator.close();
        }
    }

    /** The handler's class, the client and its libraries under lib/, and a bootstrap that runs the JDK of this test. */
    private static byte[] javaFunction() throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        String classFile = GreetingHandler.class.getName().replace('.', '/') + ".class";
        try (InputStream in = GreetingHandler.class.getClassLoader().getResourceAsStream(classFile)) {
            files.put(classFile, in.readAllBytes());
        }
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.endsWith(".jar") && LIBRARIES.stream().anyMatch(name::startsWith)) {
                files.put("lib/" + name, Files.readAllBytes(Path.of(entry)));
            }
        }
        assertThat(files.keySet()).as("the client and its libraries on the test class path").hasSize(1 + LIBRARIES.size());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        files.put("bootstrap", ("#!/bin/sh\nexec " + java + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp"
                + " '/var/task:/var/task/lib/*' " + RIC_MAIN + " \"$_HANDLER\"\n").getBytes(StandardCharsets.UTF_8));
        return DeploymentPackage.zip(files, "bootstrap");
    }

    private static void create(LambdaClient client, String name, String handler, byte[] zip) {
        client.createFunction(r -> r.functionName(name).runtime("provided.al2023").role(LambdaEmulator.Options.ROLE)
                .handler(handler).timeout(60).memorySize(512).code(c -> c.zipFile(SdkBytes.fromByteArray(zip))));
        client.waiter().waitUntilFunctionActiveV2(r -> r.functionName(name));
    }

    private static InvokeResponse invoke(LambdaClient client, String name, String payload) {
        return client.invoke(r -> r.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
    }

    @Test
    void awsRuntimeClientRunsAJavaHandlerInTheEmulator() throws Exception {
        try (LambdaProvider provider = LambdaFixtures.provider(emulator, stateDir)) {
            LambdaClient client = provider.api().client();
            create(client, "ric-greeting", GreetingHandler.class.getName() + "::handleRequest", javaFunction());
            try {
                ObjectMapper json = new ObjectMapper();
                InvokeResponse first = invoke(client, "ric-greeting", "{\"name\":\"lambda\"}");
                assertThat(first.functionError()).as(first.payload().asUtf8String() + "\n" + emulator.logs("ric-greeting")).isNull();
                JsonNode answer = json.readTree(first.payload().asUtf8String());
                assertThat(answer.path("greeting").asText()).isEqualTo("hello lambda");
                assertThat(answer.path("functionArn").asText()).isEqualTo("arn:aws:lambda:us-east-1:123456789012:function:ric-greeting");
                assertThat(answer.path("functionName").asText()).isEqualTo("ric-greeting");
                assertThat(answer.path("requestId").asText()).matches("[0-9a-f-]{36}");
                assertThat(answer.path("remainingMillis").asLong()).as("from Lambda-Runtime-Deadline-Ms").isBetween(1L, 60_000L);

                InvokeResponse second = invoke(client, "ric-greeting", "{\"name\":\"again\"}");
                JsonNode again = json.readTree(second.payload().asUtf8String());
                assertThat(again.path("greeting").asText()).isEqualTo("hello again");
                assertThat(again.path("requestId").asText()).isNotEqualTo(answer.path("requestId").asText());
                assertThat(emulator.warmInstances("ric-greeting")).as("the same warm JVM answered both").isEqualTo(1);

                InvokeResponse failed = invoke(client, "ric-greeting", "{\"fail\":\"asked to fail\"}");
                assertThat(failed.functionError()).isEqualTo("Unhandled");
                JsonNode error = json.readTree(failed.payload().asUtf8String());
                assertThat(error.path("errorType").asText()).isEqualTo("java.lang.IllegalStateException");
                assertThat(error.path("errorMessage").asText()).isEqualTo("asked to fail");
            } finally {
                client.deleteFunction(r -> r.functionName("ric-greeting"));
            }
        }
    }

    /** The client asks for the invocation, then reports the class it cannot load as that invocation's error, and stays. */
    @Test
    void aHandlerTheClientCannotLoadIsReportedAsTheInvocationsError() throws Exception {
        try (LambdaProvider provider = LambdaFixtures.provider(emulator, stateDir)) {
            LambdaClient client = provider.api().client();
            create(client, "ric-missing", "dev.stagecraft.NoSuchHandler::handleRequest", javaFunction());
            try {
                InvokeResponse response = invoke(client, "ric-missing", "{}");
                assertThat(response.functionError()).isEqualTo("Unhandled");
                JsonNode error = new ObjectMapper().readTree(response.payload().asUtf8String());
                assertThat(error.path("errorType").asText()).isEqualTo("java.lang.ClassNotFoundException");
                assertThat(error.path("errorMessage").asText()).isEqualTo("Class not found: dev.stagecraft.NoSuchHandler");
                assertThat(emulator.logs("ric-missing")).contains("[runtime api] GET /2018-06-01/runtime/invocation/next")
                        .containsPattern("\\[runtime api\\] POST /2018-06-01/runtime/invocation/[0-9a-f-]{36}/error");
            } finally {
                client.deleteFunction(r -> r.functionName("ric-missing"));
            }
        }
    }
}
