package com.example.stagecraft.firejail;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code firejail} kind: process-class isolation ({@link IsolationLevel#PROCESS}) on Debian's firejail. Each
 * command runs in a fresh firejail sandbox (own mount, pid, network and IPC namespaces, seccomp, no capabilities,
 * no network, private /tmp, /dev and home) whose home is the environment's workspace. Firejail makes no cgroup:
 * as root the provider gives each environment one of its own ({@link EnvironmentCgroup}) for memory, CPU and process
 * limits. It shares the host's kernel with only firejail's namespaces and filter in between, which is why it offers
 * the weakest class and nothing above it.
 */
public final class FirejailProvider implements EnvironmentProvider {
    static final String KIND = "firejail";

    private Path stateDirectory;
    private FirejailSettings settings = FirejailSettings.from(Settings.empty("providers.firejail"));

    public FirejailProvider() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void initialize(ProviderContext context) {
        stateDirectory = context.stateDirectory();
        settings = FirejailSettings.from(context.settings());
    }

    @Override
    public ProviderCapabilities describe() {
        return new ProviderCapabilities(KIND, Set.of(IsolationLevel.PROCESS), Duration.ofMillis(100), 9, 0.0,
                false, false, false, Resources.NONE, EgressControl.NONE, false);
    }

    @Override
    public ProviderHealth probe() {
        if (!Files.isExecutable(Path.of(settings.binary()))) {
            return ProviderHealth.unavailable(settings.binary() + " is not installed",
                    List.of("apt-get install firejail"), Map.of());
        }
        if (SandboxUser.hostIsRoot() && user().isEmpty()) {
            return ProviderHealth.unavailable("running as root, and the account '" + settings.user()
                            + "' that commands run as does not exist",
                    List.of("useradd --system --create-home --shell /bin/sh " + settings.user()), Map.of());
        }
        return ProviderHealth.available("firejail found", Map.of("binary", settings.binary(),
                "user", user().map(SandboxUser::name).orElse("?"),
                "cgroup", EnvironmentCgroup.available() ? "v1, " + EnvironmentCgroup.PARENT + "/<id>"
                        : "none (not root, or no v1 memory and pids hierarchies): no memory, CPU or per-environment process limit"));
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        SandboxUser user = user().orElseThrow(() -> new ProvisioningException(probe().reason()));
        EnvironmentState state = EnvironmentState.of(stateDirectory, spec.id());
        Path workspace = workspaceOf(user, spec.id());
        Optional<EnvironmentCgroup> cgroup = EnvironmentCgroup.of(spec.id());
        try {
            if (cgroup.isPresent()) {
                cgroup.get().create(spec.requirement().resources().memoryBytes(), spec.requirement().resources().cpus(),
                        settings.processes());
            }
            Files.createDirectories(workspace.getParent());
            Files.createDirectory(workspace);
            new WorkspaceFiles(workspace, user).giveToUser(workspace);
            state.write(spec.labels());
        } catch (IOException e) {
            try {
                if (cgroup.isPresent()) {
                    cgroup.get().remove();
                }
                EnvironmentState.deleteTree(state.directory());
                EnvironmentState.deleteTree(workspace);
            } catch (IOException ignored) {
                // the first failure is the one to report
            }
            throw new ProvisioningException("cannot create firejail environment " + spec.id() + ": " + e.getMessage(), e);
        }
        return new FirejailEnvironment(state, spec.labels(), workspace, settings, user, cgroup);
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        Optional<SandboxUser> user = user();
        if (user.isEmpty()) {
            return List.of();
        }
        try {
            return EnvironmentState.all(stateDirectory)
                    .<ExecutionEnvironment>map(s -> new FirejailEnvironment(s, s.labels(), workspaceOf(user.get(), s.id()),
                            settings, user.get(), EnvironmentCgroup.of(s.id())))
                    .filter(e -> e.labels().isStagecraft())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + EnvironmentState.root(stateDirectory), e);
        }
    }

    /**
     * Where an environment's workspace lives. As root, under the sandbox account's home (the account must reach it,
     * and a root state directory such as /root/... is closed to it); otherwise in the state directory.
     */
    private Path workspaceOf(SandboxUser user, String id) {
        return SandboxUser.hostIsRoot()
                ? user.home().resolve("workspaces").resolve(id)
                : stateDirectory.resolve("workspaces").resolve(id);
    }

    private Optional<SandboxUser> user() {
        return SandboxUser.lookUp(SandboxUser.hostIsRoot() ? settings.user() : System.getProperty("user.name"));
    }
}
