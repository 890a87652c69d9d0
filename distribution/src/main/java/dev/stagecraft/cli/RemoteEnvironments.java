package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code env} commands through a server ({@code /v1/environments}): each answers with the document the local
 * command makes of the core's answer ({@link Json#environment}), which the command then prints the same way.
 */
final class RemoteEnvironments implements EnvCopyCommand.Workspace {
    private static final String ENVIRONMENTS = "/v1/environments";

    private final ServerClient server;

    RemoteEnvironments(ServerClient server) {
        this.server = server;
    }

    Map<String, Object> create(Map<String, Object> requirement) {
        return server.object("POST", ENVIRONMENTS, requirement);
    }

    List<Map<String, Object>> list(String kind, Map<String, String> labels) {
        List<String> query = new ArrayList<>();
        if (kind != null) {
            query.add("kind=" + ServerClient.segment(kind));
        }
        labels.forEach((key, value) -> query.add("label=" + ServerClient.segment(key + "=" + value)));
        return server.list(ENVIRONMENTS + (query.isEmpty() ? "" : "?" + String.join("&", query)));
    }

    /** The environment with a fresh usage sample. */
    Map<String, Object> status(String id) {
        return server.object("GET", of(id), null);
    }

    Map<String, Object> stop(String id) {
        return server.object("POST", of(id) + "/stop", null);
    }

    /** Whether there was such an environment to destroy. */
    boolean remove(String id) {
        try {
            server.call("DELETE", of(id));
            return true;
        } catch (StagecraftException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Runs a command, streamed as {@link ServerClient#execute} says. As {@code env exec} here, a stopped environment
     * is started first (the server refuses an exec on it with 409, before running anything, and has a start route).
     */
    ServerClient.Ran exec(String id, Map<String, Object> body, OutputListener live) {
        AtomicBoolean started = new AtomicBoolean();
        try {
            return server.execute(of(id) + "/exec", body, () -> started.set(true), live);
        } catch (StagecraftException e) {
            if (started.get() || e.code() != ErrorCode.ILLEGAL_STATE || !"STOPPED".equals(status(id).get("status"))) {
                throw e;
            }
        }
        server.object("POST", of(id) + "/start", null);
        return server.execute(of(id) + "/exec", body, () -> { }, live);
    }

    @Override
    public void put(String id, String path, byte[] content) {
        server.upload(of(id) + "/files/" + ServerClient.path(path), content);
    }

    /** The whole file: the server refuses one over its server.max-file-size itself. */
    @Override
    public byte[] get(String id, String path, long most) {
        return server.download(of(id) + "/files/" + ServerClient.path(path));
    }

    private static String of(String id) {
        return ENVIRONMENTS + "/" + ServerClient.segment(id);
    }
}
