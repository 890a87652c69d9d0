package dev.stagecraft.api;

import java.util.ArrayList;
import java.util.List;

/**
 * A path inside an environment's workspace, checked lexically: relative, no {@code ..}, no empty or
 * control-character segments. Providers must still refuse symlinks when they resolve it on the backend.
 */
public record WorkspacePath(List<String> segments) {
    public WorkspacePath {
        segments = List.copyOf(segments);
    }

    /** Parses and checks {@code path}, throwing {@link PathEscapeException} when it could leave the workspace. */
    public static WorkspacePath of(String path) {
        if (path == null || path.isBlank()) {
            throw new PathEscapeException(String.valueOf(path), "empty path");
        }
        if (path.startsWith("/")) {
            throw new PathEscapeException(path, "absolute paths are not allowed; give a path relative to the workspace");
        }
        if (path.chars().anyMatch(c -> c == 0 || Character.isISOControl(c))) {
            throw new PathEscapeException(path, "control characters are not allowed");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new PathEscapeException(path, "'..' is not allowed");
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            throw new PathEscapeException(path, "names the workspace itself, not a file in it");
        }
        return new WorkspacePath(parts);
    }

    /** Segments joined by '/'. */
    public String relative() {
        return String.join("/", segments);
    }

    @Override
    public String toString() {
        return relative();
    }
}
