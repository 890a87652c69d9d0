package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The API keys of {@code <state dir>/server/keys.json}. A key is {@code sc_<id>_<secret>}: its secret (32 bytes from
 * {@link SecureRandom}) is shown once and never stored; the file keeps the SHA-256 of the whole key, its id, tenant,
 * creation time and whether it is an operator's (a key stored without {@code operator} is not), is mode 0600 and is
 * replaced atomically. The server reads it again whenever it changed, so
 * {@code keys revoke} takes effect on the next request without a restart.
 */
public final class ApiKeys {
    /** One stored key: never its secret. An {@code operator} key also opens the status page, which shows every tenant. */
    public record Key(String id, String tenant, Instant created, String sha256, boolean operator) {
    }

    /** A key just made: {@code secret} is the whole key, to be shown this once. */
    public record Created(Key key, String secret) {
    }

    private static final String TENANT_PATTERN = "[a-z0-9][a-z0-9._-]{0,62}";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private List<Key> cached = List.of();
    private Object cachedVersion;

    public ApiKeys(Path stateDirectory, Clock clock) {
        this.file = stateDirectory.resolve("server").resolve("keys.json");
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    public Created create(String tenant) {
        return create(tenant, false);
    }

    public synchronized Created create(String tenant, boolean operator) {
        if (tenant == null || !tenant.matches(TENANT_PATTERN)) {
            throw StagecraftException.invalidRequirement("tenant '" + tenant + "' must be 1-63 lower-case letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit");
        }
        byte[] idBytes = new byte[6];
        random.nextBytes(idBytes);
        byte[] secretBytes = new byte[32];
        random.nextBytes(secretBytes);
        String id = HexFormat.of().formatHex(idBytes);
        String secret = "sc_" + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        Key key = new Key(id, tenant, clock.instant(), sha256(secret), operator);
        List<Key> keys = new ArrayList<>(list());
        keys.add(key);
        write(keys);
        return new Created(key, secret);
    }

    /** Every stored key, oldest first. */
    public synchronized List<Key> list() {
        Object version = version();
        if (!Objects.equals(version, cachedVersion)) {
            cached = version == null ? List.of() : read();
            cachedVersion = version;
        }
        return cached;
    }

    /** Removes the key; false when there is none with that id. */
    public synchronized boolean revoke(String id) {
        List<Key> keys = new ArrayList<>(list());
        if (!keys.removeIf(key -> key.id().equals(id))) {
            return false;
        }
        write(keys);
        return true;
    }

    /** The stored key {@code presented} is, comparing hashes in constant time; empty for anything else. */
    public Optional<Key> authenticate(String presented) {
        if (presented == null || !presented.startsWith("sc_")) {
            return Optional.empty();
        }
        int end = presented.indexOf('_', 3);
        if (end < 0) {
            return Optional.empty();
        }
        String id = presented.substring(3, end);
        byte[] hash = HexFormat.of().parseHex(sha256(presented));
        for (Key key : list()) {
            if (key.id().equals(id) && MessageDigest.isEqual(hash, HexFormat.of().parseHex(key.sha256()))) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    /** What tells a changed file from the one read last: replaced files get a new inode, edits a new time. */
    private Object version() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(String.valueOf(attributes.fileKey()), attributes.lastModifiedTime(), attributes.size());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw failure("cannot read", e);
        }
    }

    private List<Key> read() {
        try {
            List<Key> keys = new ArrayList<>();
            for (JsonNode node : JSON.readTree(file.toFile()).path("keys")) {
                keys.add(new Key(node.path("id").asText(), node.path("tenant").asText(),
                        Instant.parse(node.path("created").asText()), node.path("sha256").asText(),
                        node.path("operator").asBoolean(false)));
            }
            return List.copyOf(keys);
        } catch (IOException | RuntimeException e) {
            throw failure("cannot read", e);
        }
    }

    private void write(List<Key> keys) {
        ObjectNode document = JSON.createObjectNode();
        ArrayNode array = document.putArray("keys");
        for (Key key : keys) {
            array.addObject().put("id", key.id()).put("tenant", key.tenant()).put("created", key.created().toString())
                    .put("sha256", key.sha256()).put("operator", key.operator());
        }
        try {
            Path directory = Files.createDirectories(file.getParent());
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            Path temporary = Files.createTempFile(directory, "keys", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(temporary, JSON.writeValueAsBytes(document));
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw failure("cannot replace atomically", e);
        } catch (IOException e) {
            throw failure("cannot write", e);
        }
        cachedVersion = null;
    }

    private StagecraftException failure(String what, Exception e) {
        return new StagecraftException(ErrorCode.INTERNAL, what + " " + file + ": " + e.getMessage(), e);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
