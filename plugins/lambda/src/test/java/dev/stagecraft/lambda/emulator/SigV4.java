package dev.stagecraft.lambda.emulator;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signature Version 4, recomputed from the request as the emulator received it, written from AWS's description of
 * the algorithm (not the SDK's signer): canonical request, string to sign, the HMAC-SHA256 key chain. A request whose
 * signature differs, whose key is unknown, whose scope names another region or service, or whose date is more than
 * 15 minutes off is refused as Lambda refuses it.
 */
final class SigV4 {
    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/,\\s]+)/(\\d{8})/([^/,\\s]+)/([^/,\\s]+)/aws4_request,\\s*"
                    + "SignedHeaders=([a-z0-9;._-]+),\\s*Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration SKEW = Duration.ofMinutes(15);

    /** What a refused request gets: Lambda's error type and message (403). */
    record Refusal(String errorType, String message) {
    }

    /** A request as received: method, raw path and query (still percent-encoded), headers by lower-case name, body. */
    record Request(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {
        Optional<String> header(String lowerName) {
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                if (h.getKey().equalsIgnoreCase(lowerName)) {
                    return Optional.of(String.join(",", h.getValue()));
                }
            }
            return Optional.empty();
        }
    }

    private SigV4() {
    }

    static Optional<Refusal> verify(Request request, Credentials known, String region, String service, Instant now) {
        Optional<String> authorization = request.header("authorization");
        if (authorization.isEmpty()) {
            return Optional.of(new Refusal("MissingAuthenticationTokenException", "Missing Authentication Token"));
        }
        Matcher m = AUTHORIZATION.matcher(authorization.get().trim());
        if (!m.matches()) {
            return Optional.of(new Refusal("IncompleteSignatureException", "Authorization header requires 'Credential',"
                    + " 'Signature' and 'SignedHeaders' parameters of algorithm " + ALGORITHM));
        }
        String keyId = m.group(1);
        String scopeDate = m.group(2);
        String scopeRegion = m.group(3);
        String scopeService = m.group(4);
        List<String> signedHeaders = List.of(m.group(5).split(";"));
        String signature = m.group(6);
        if (!keyId.equals(known.accessKeyId())) {
            return Optional.of(new Refusal("UnrecognizedClientException", "The security token included in the request is invalid."));
        }
        if (known.sessionToken() != null && !known.sessionToken().equals(request.header("x-amz-security-token").orElse(null))) {
            return Optional.of(new Refusal("UnrecognizedClientException", "The security token included in the request is invalid."));
        }
        if (!scopeRegion.equals(region) || !scopeService.equals(service)) {
            return Optional.of(new Refusal("InvalidSignatureException", "Credential should be scoped to a valid region"
                    + " and service: '" + scopeRegion + "/" + scopeService + "' is not '" + region + "/" + service + "'."));
        }
        if (!signedHeaders.contains("host") || !signedHeaders.contains("x-amz-date")) {
            return Optional.of(new Refusal("InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers."));
        }
        String amzDate = request.header("x-amz-date").orElse("");
        Instant signedAt;
        try {
            signedAt = Instant.from(AMZ_DATE.parse(amzDate));
        } catch (DateTimeParseException e) {
            return Optional.of(new Refusal("IncompleteSignatureException", "X-Amz-Date '" + amzDate + "' is not a basic ISO 8601 time"));
        }
        if (!amzDate.startsWith(scopeDate)) {
            return Optional.of(new Refusal("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."));
        }
        if (Duration.between(signedAt, now).abs().compareTo(SKEW) > 0) {
            return Optional.of(new Refusal("InvalidSignatureException", "Signature expired: " + amzDate + " is now earlier than "
                    + AMZ_DATE.format(now.minus(SKEW)) + " (" + AMZ_DATE.format(now) + " - 15 min.)"));
        }
        String canonical = canonicalRequest(request, signedHeaders);
        String scope = scopeDate + "/" + scopeRegion + "/" + scopeService + "/aws4_request";
        String stringToSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + known.secretAccessKey()).getBytes(StandardCharsets.UTF_8), scopeDate);
        key = hmac(key, scopeRegion);
        key = hmac(key, scopeService);
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, stringToSign));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), signature.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.of(new Refusal("InvalidSignatureException", "The request signature we calculated does not match"
                    + " the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service"
                    + " documentation for details."));
        }
        return Optional.empty();
    }

    static String canonicalRequest(Request request, List<String> signedHeaders) {
        StringBuilder headers = new StringBuilder();
        for (String name : signedHeaders) {
            headers.append(name).append(':').append(request.header(name).map(SigV4::trimValue).orElse("")).append('\n');
        }
        String payloadHash = request.header("x-amz-content-sha256").filter("UNSIGNED-PAYLOAD"::equals)
                .orElseGet(() -> hex(sha256(request.body())));
        return request.method() + "\n" + canonicalUri(request.rawPath()) + "\n" + canonicalQuery(request.rawQuery()) + "\n"
                + headers + "\n" + String.join(";", signedHeaders) + "\n" + payloadHash;
    }

    /** The path as sent (encoded once by the client) encoded again: every service but S3 signs it twice encoded. */
    static String canonicalUri(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        return encode(rawPath, false);
    }

    static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            pairs.add(new String[] {encode(percentDecode(name), true), encode(percentDecode(value), true)});
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        List<String> joined = new ArrayList<>();
        for (String[] pair : pairs) {
            joined.add(pair[0] + "=" + pair[1]);
        }
        return String.join("&", joined);
    }

    /** RFC 3986 encoding of everything but A-Z a-z 0-9 - _ . ~ (and '/' in a path), upper-case hex. */
    static String encode(String text, boolean slash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~' || (c == '/' && !slash)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static String percentDecode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '%' && i + 2 < bytes.length) {
                out.write(Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String trimValue(String value) {
        return value.trim().replaceAll("\\s+", " ");
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
