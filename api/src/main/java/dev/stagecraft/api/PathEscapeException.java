package dev.stagecraft.api;

/** A file path given to put/get would leave the workspace (absolute, {@code ..}, or through a symlink). */
public class PathEscapeException extends StagecraftException {
    public PathEscapeException(String path, String why) {
        super(ErrorCode.PATH_ESCAPE, "path '" + path + "' refused: " + why);
    }
}
