package dev.stagecraft.cli;

import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.WorkspacePath;
import dev.stagecraft.core.manager.EnvironmentManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "cp", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Copy one file into or out of an environment's workspace: LOCAL ID:PATH or ID:PATH LOCAL.",
                "PATH is relative to the workspace; ending it with / (or leaving it empty) keeps the file's name. "
                        + "A LOCAL folder gets the file under its own name. A local path with ':' is written ./a:b.",
                "Links are not followed: neither in the workspace nor a LOCAL file that is a link, which is refused; "
                        + "the file is written whole or not at all."},
        footer = {"", "Examples:", "  stagecraft env cp data.csv sc-1a2b3c:in/", "  stagecraft env cp sc-1a2b3c:out/report.txt ."})
final class EnvCopyCommand implements Callable<Integer> {
    /** Copying happens in memory; this keeps one copy well inside a default heap. */
    static final long MOST = 1L << 30;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "LOCAL or ID:PATH.")
    String source;
    @Parameters(index = "1", paramLabel = "DEST", description = "ID:PATH or LOCAL.")
    String destination;
    @Option(names = "--max-size", paramLabel = "SIZE", defaultValue = "64m",
            description = "Refuse a file larger than this, at most 1g (default: ${DEFAULT-VALUE}).")
    String maxSize;
    @Mixin GlobalOptions global;

    private final Cli cli;

    EnvCopyCommand(Cli cli) {
        this.cli = cli;
    }

    /** {@code ID:PATH}: an id before the first colon, which has no '/' in it (as {@code docker cp} tells them apart). */
    record Remote(String id, String path) {
        static Remote parse(String argument) {
            int colon = argument.indexOf(':');
            if (colon <= 0 || argument.substring(0, colon).contains("/")) {
                return null;
            }
            return new Remote(argument.substring(0, colon), argument.substring(colon + 1));
        }

        @Override
        public String toString() {
            return id + ":" + path;
        }
    }

    @Override
    public Integer call() {
        long most = Quantities.parseBytes("--max-size", maxSize);
        if (most > MOST) {
            throw StagecraftException.invalidRequirement("--max-size: at most 1g; a file is copied in memory");
        }
        Remote from = Remote.parse(source);
        Remote to = Remote.parse(destination);
        if ((from == null) == (to == null)) {
            throw StagecraftException.invalidRequirement("give one side as ID:PATH and the other as a local path, "
                    + "e.g. env cp notes.txt sc-1a2b3c:notes.txt");
        }
        LocalFile local = new LocalFile(from == null ? source : destination, most);
        Copied done = EnvCommand.answer(cli, global, remote -> copy(remote, from, to, local, most), stagecraft -> {
            EnvironmentManager manager = stagecraft.manager();
            return copy(new Workspace() {
                @Override
                public void put(String id, String path, byte[] content) {
                    manager.putFile(id, path, content);
                }

                @Override
                public byte[] get(String id, String path, long most) {
                    return manager.getFile(id, path, most);
                }
            }, from, to, local, most);
        });
        String fromText = to != null ? local.toString() : done.remote().toString();
        String toText = to != null ? done.remote().toString() : local.toString();
        if (global.json) {
            Map<String, Object> copied = new LinkedHashMap<>();
            copied.put("from", fromText);
            copied.put("to", toText);
            copied.put("bytes", done.bytes());
            cli.printJson(Map.of("copied", copied));
        } else {
            cli.out.println("copied " + done.bytes() + " bytes: " + fromText + " -> " + toText);
        }
        return 0;
    }

    /** Where the files of environments are: the core here, or a server. */
    interface Workspace {
        void put(String id, String path, byte[] content);

        /** The file, or at least its first {@code most} bytes. */
        byte[] get(String id, String path, long most);
    }

    private record Copied(Remote remote, long bytes) {
    }

    /** Copies to {@code to}, or else from {@code from}; a download over {@code most} bytes is refused, nothing written. */
    private static Copied copy(Workspace workspace, Remote from, Remote to, LocalFile local, long most) {
        if (to != null) {
            byte[] content = local.read();
            Remote remote = new Remote(to.id(), inWorkspace(to.path(), local.name()).relative());
            workspace.put(remote.id(), remote.path(), content);
            return new Copied(remote, content.length);
        }
        WorkspacePath path = WorkspacePath.of(from.path());
        Remote remote = new Remote(from.id(), path.relative());
        byte[] content = workspace.get(remote.id(), remote.path(), most + 1);
        if (content.length > most) {
            throw LocalFile.tooLarge(remote.toString(), most);
        }
        local.write(path.segments().get(path.segments().size() - 1), content);
        return new Copied(remote, content.length);
    }

    /** The workspace path to write: {@code path}, or {@code path/name} when it names a folder (empty or ending in '/'). */
    private static WorkspacePath inWorkspace(String path, String name) {
        return WorkspacePath.of(path.isEmpty() || path.endsWith("/") ? path + name : path);
    }
}
