package dev.stagecraft.lambda.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The emulator's signature check against AWS's own Signature Version 4 test suite (the requests and signatures AWS
 * published for example.amazonaws.com, key AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service"): what
 * AWS signed is accepted, and each kind of wrong request is refused as Lambda refuses it.
 */
class TestSigV4 {
    private static final Credentials SUITE = new Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
    private static final Instant SIGNED_AT = Instant.parse("2015-08-30T12:36:00Z");
    private static final String SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

    private static SigV4.Request request(String method, String query, Map<String, String> extra, String signed,
                                         String signature, String body) {
        Map<String, List<String>> headers = new TreeMap<>();
        headers.put("Host", List.of("example.amazonaws.com"));
        headers.put("X-Amz-Date", List.of("20150830T123600Z"));
        extra.forEach((k, v) -> headers.put(k, List.of(v)));
        headers.put("Authorization", List.of(SCOPE + "SignedHeaders=" + signed + ", Signature=" + signature));
        return new SigV4.Request(method, "/", query, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private static Optional<SigV4.Refusal> verify(SigV4.Request request, Credentials keys, Instant now) {
        return SigV4.verify(request, keys, "us-east-1", "service", now);
    }

    @Test
    void acceptsTheRequestsOfAwsTestSuite() {
        assertThat(verify(request("GET", null, Map.of(), "host;x-amz-date",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ""), SUITE, SIGNED_AT))
                .as("get-vanilla").isEmpty();
        assertThat(verify(request("POST", null, Map.of(), "host;x-amz-date",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", ""), SUITE, SIGNED_AT))
                .as("post-vanilla").isEmpty();
        assertThat(verify(request("GET", "Param2=value2&Param1=value1", Map.of(), "host;x-amz-date",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", ""), SUITE, SIGNED_AT))
                .as("get-vanilla-query-order-key-case: parameters sorted").isEmpty();
        assertThat(verify(request("POST", null, Map.of("My-Header1", "VALUE1"), "host;my-header1;x-amz-date",
                "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d", ""), SUITE, SIGNED_AT))
                .as("post-header-value-case: a signed header's value kept as sent").isEmpty();
    }

    @Test
    void refusesWhatWasNotSignedSo() {
        String vanilla = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        Credentials wrongSecret = new Credentials("AKIDEXAMPLE", "not-the-secret", null);
        assertThat(verify(request("GET", null, Map.of(), "host;x-amz-date", vanilla, ""), wrongSecret, SIGNED_AT))
                .get().extracting(SigV4.Refusal::errorType).isEqualTo("InvalidSignatureException");
        assertThat(verify(request("GET", null, Map.of(), "host;x-amz-date", vanilla, "a body the signer never saw"), SUITE,
                SIGNED_AT)).as("the payload is part of the signature").get().extracting(SigV4.Refusal::errorType)
                .isEqualTo("InvalidSignatureException");
        assertThat(verify(request("GET", "Param1=value1", Map.of(), "host;x-amz-date", vanilla, ""), SUITE, SIGNED_AT))
                .as("so is the query").isPresent();
        assertThat(verify(request("POST", null, Map.of("My-Header1", "value1"), "host;my-header1;x-amz-date",
                "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d", ""), SUITE, SIGNED_AT))
                .as("and a signed header's value").isPresent();
        assertThat(verify(request("GET", null, Map.of(), "host;x-amz-date", vanilla, ""), SUITE,
                SIGNED_AT.plus(Duration.ofMinutes(16)))).get().extracting(SigV4.Refusal::message).asString()
                .startsWith("Signature expired");
        assertThat(verify(request("GET", null, Map.of(), "host;x-amz-date", vanilla, ""),
                new Credentials("AKIDOTHER", SUITE.secretAccessKey(), null), SIGNED_AT)).get()
                .extracting(SigV4.Refusal::errorType).isEqualTo("UnrecognizedClientException");
        assertThat(SigV4.verify(request("GET", null, Map.of(), "host;x-amz-date", vanilla, ""), SUITE, "eu-west-1", "service",
                SIGNED_AT)).as("a scope of another region").get().extracting(SigV4.Refusal::errorType)
                .isEqualTo("InvalidSignatureException");
        SigV4.Request unsigned = new SigV4.Request("GET", "/", null, Map.of("Host", List.of("example.amazonaws.com")), new byte[0]);
        assertThat(verify(unsigned, SUITE, SIGNED_AT)).get().extracting(SigV4.Refusal::errorType)
                .isEqualTo("MissingAuthenticationTokenException");
    }

    @Test
    void aPathIsSignedTwiceEncodedAsEveryServiceButS3SignsIt() {
        assertThat(SigV4.canonicalUri("/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ax"))
                .isEqualTo("/2017-03-31/tags/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Ax");
        assertThat(SigV4.canonicalQuery("tagKeys=dev.stagecraft.lambda-stopped&a=%20b"))
                .isEqualTo("a=%20b&tagKeys=dev.stagecraft.lambda-stopped");
    }
}
