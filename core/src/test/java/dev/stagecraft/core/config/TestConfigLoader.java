package dev.stagecraft.core.config;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TestConfigLoader {
    @TempDir
    Path dir;

    @Test
    void defaultsWithoutAFile() {
        StagecraftConfig config = new ConfigLoader(dir, Map.of()).defaults();
        assertDefaults(config);
        assertThat(config.source()).isEqualTo("defaults");
    }

    @Test
    void missingOrEmptyFileMeansDefaults() throws IOException {
        StagecraftConfig missing = new ConfigLoader(dir, Map.of()).load(dir.resolve("absent.yaml"));
        assertDefaults(missing);
        assertThat(missing.source()).isEqualTo(dir.resolve("absent.yaml").toString());
        Path empty = Files.writeString(dir.resolve("empty.yaml"), "# nothing set\n");
        assertDefaults(new ConfigLoader(dir, Map.of()).load(empty));
    }

    private void assertDefaults(StagecraftConfig config) {
        assertThat(config.owner()).isEqualTo("local");
        assertThat(config.stateDirectory()).isEqualTo(Path.of("/var/lib/stagecraft"));
        assertThat(config.pluginsDirectory()).as("no plugins folder in the installation: the class path only").isNull();
        assertThat(config.auditEnabled()).isTrue();
        assertThat(config.auditPath()).isEqualTo(Path.of("/var/lib/stagecraft/audit.jsonl"));
        assertThat(config.defaultTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.reapInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.disabledProviders()).isEmpty();
        assertThat(config.selection().keys()).isEmpty();
        assertThat(config.providers().keys()).isEmpty();
        assertThat(config.selection().prefix()).isEqualTo("selection");
        assertThat(config.provider("sandbox").prefix()).isEqualTo("providers.sandbox");
    }

    @Test
    void everyKeyFromAFile() throws IOException {
        Path file = write("""
                owner: team-a
                state-dir: /srv/stagecraft
                plugins-dir: /opt/stagecraft/plugins
                disabled-providers: [docker, kvm]
                audit:
                  enabled: false
                  path: /var/log/stagecraft/audit.jsonl
                environments:
                  default-ttl: 2h
                  idle-timeout: 0s
                  reap-interval: 250ms
                selection:
                  startup:
                    short-job-weight: 3
                    estimates:
                      sandbox: 50ms
                providers:
                  sandbox:
                    tmp-size: 64m
                    bwrap: /usr/bin/bwrap
                """);
        StagecraftConfig config = new ConfigLoader(dir, Map.of()).load(file);
        assertThat(config.source()).isEqualTo(file.toString());
        assertThat(config.owner()).isEqualTo("team-a");
        assertThat(config.stateDirectory()).isEqualTo(Path.of("/srv/stagecraft"));
        assertThat(config.pluginsDirectory()).isEqualTo(Path.of("/opt/stagecraft/plugins"));
        assertThat(config.disabledProviders()).containsExactlyInAnyOrder("docker", "kvm");
        assertThat(config.auditEnabled()).isFalse();
        assertThat(config.auditPath()).isEqualTo(Path.of("/var/log/stagecraft/audit.jsonl"));
        assertThat(config.defaultTtl()).isEqualTo(Duration.ofHours(2));
        assertThat(config.idleTimeout()).isZero();
        assertThat(config.reapInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.selection().section("startup").number("short-job-weight", 0)).isEqualTo(3);
        assertThat(config.selection().section("startup").section("estimates").duration("sandbox", null))
                .isEqualTo(Duration.ofMillis(50));
        assertThat(config.provider("sandbox").bytes("tmp-size", 0)).isEqualTo(64L << 20);
        assertThat(config.provider("sandbox").string("bwrap", null)).isEqualTo("/usr/bin/bwrap");
        assertThat(config.provider("docker").keys()).isEmpty();
    }

    @Test
    void auditPathFollowsTheStateDirectoryUnlessSet() throws IOException {
        StagecraftConfig config = new ConfigLoader(dir, Map.of()).load(write("state-dir: /srv/sc\n"));
        assertThat(config.auditPath()).isEqualTo(Path.of("/srv/sc/audit.jsonl"));
    }

    @Test
    void relativePathsResolveAgainstHome() throws IOException {
        Path home = dir.resolve("dist");
        StagecraftConfig config = new ConfigLoader(home, Map.of()).load(write("""
                state-dir: var/state
                plugins-dir: ./plugins
                audit:
                  path: ../logs/audit.jsonl
                """));
        assertThat(config.stateDirectory()).isEqualTo(home.resolve("var/state"));
        assertThat(config.pluginsDirectory()).isEqualTo(home.resolve("plugins"));
        assertThat(config.auditPath()).isEqualTo(dir.resolve("logs/audit.jsonl"));
        assertThat(config.stateDirectory()).isAbsolute();
    }

    @Test
    void theInstallationsPluginsFolderIsTheDefault() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        assertThat(new ConfigLoader(dir, Map.of()).load(write("owner: someone\n")).pluginsDirectory()).isEqualTo(plugins);
        assertThat(new ConfigLoader(dir, Map.of()).load(write("plugins-dir: /opt/other\n")).pluginsDirectory())
                .isEqualTo(Path.of("/opt/other"));
    }

    @Test
    void relativePathsStayRelativeWithoutHome() throws IOException {
        StagecraftConfig config = new ConfigLoader(null, Map.of()).load(write("state-dir: state\n"));
        assertThat(config.stateDirectory()).isEqualTo(Path.of("state"));
        assertThat(config.pluginsDirectory()).as("embedded without a home: the class path only").isNull();
    }

    @Test
    void environmentOverridesWinOverTheFile() throws IOException {
        Path file = write("""
                state-dir: /from/file
                audit:
                  enabled: true
                providers:
                  sandbox:
                    tmp-size: 64m
                    memory: 1g
                """);
        Map<String, String> env = Map.of(
                "STAGECRAFT_STATE_DIR", "/from/env",
                "STAGECRAFT_AUDIT__ENABLED", "false",
                "STAGECRAFT_ENVIRONMENTS__DEFAULT_TTL", "5m",
                "STAGECRAFT_PROVIDERS__SANDBOX__TMP_SIZE", "128m",
                "STAGECRAFT_SELECTION__STARTUP__SHORT_JOB_WEIGHT", "4");
        StagecraftConfig config = new ConfigLoader(dir, env).load(file);
        assertThat(config.stateDirectory()).isEqualTo(Path.of("/from/env"));
        assertThat(config.auditPath()).isEqualTo(Path.of("/from/env/audit.jsonl"));
        assertThat(config.auditEnabled()).isFalse();
        assertThat(config.defaultTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.provider("sandbox").asMap()).containsEntry("tmp-size", "128m").containsEntry("memory", "1g");
        assertThat(config.provider("sandbox").bytes("tmp-size", 0)).isEqualTo(128L << 20);
        assertThat(config.selection().section("startup").number("short-job-weight", 0)).isEqualTo(4);
    }

    @Test
    void overridesApplyWithoutAFileAndRelativeToHome() {
        StagecraftConfig config = new ConfigLoader(dir, Map.of("STAGECRAFT_STATE_DIR", "state",
                "STAGECRAFT_OWNER", "ci-runner")).defaults();
        assertThat(config.stateDirectory()).isEqualTo(dir.resolve("state"));
        assertThat(config.owner()).isEqualTo("ci-runner");
    }

    @Test
    void launcherAndForeignVariablesAreIgnored() {
        Map<String, String> env = Map.of(
                "STAGECRAFT_HOME", "/opt/stagecraft",
                "STAGECRAFT_CONFIG", "/etc/stagecraft.yaml",
                "STAGECRAFT_OPTS", "-Xmx1g",
                "STAGECRAFT_JAVA", "/usr/bin/java",
                "STAGECRAFT_DEBUG", "1",
                "STAGECRAFT_SERVER", "http://127.0.0.1:8700",
                "STAGECRAFT_API_KEY", "sc_id_secret",
                "PATH", "/usr/bin",
                "STAGECRAFTX", "not ours",
                "stagecraft_state_dir", "/lowercase/is/not/ours");
        assertDefaults(new ConfigLoader(dir, env).defaults());
    }

    // ---- errors: INVALID_CONFIGURATION naming the file and the key ----

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', textBlock = """
            environments:\\n  default-tll: 1h                | environments.default-tll: unknown key (known here: allow-cidrs, allow-hosts, default-ttl, idle-timeout, reap-interval)
            colour: blue                                       | colour: unknown key (known here: audit, disabled-providers, environments, owner, plugins-dir, pools, providers, selection, server, state-dir)
            audit:\\n  enabld: true                           | audit.enabld: unknown key (known here: enabled, path)
            environments:\\n  default-ttl: forever           | environments.default-ttl: 'forever' is not a duration (e.g. 30s, 5m)
            environments:\\n  idle-timeout: -5m              | environments.idle-timeout: '-5m' is not a duration
            environments:\\n  reap-interval: 0s              | environments.reap-interval: must be positive
            audit:\\n  enabled: sometimes                     | audit.enabled: 'sometimes' is not true or false
            owner: 'bad owner!'                               | owner: 'bad owner!' must be 1-63 letters, digits, '.', '_' or '-'
            state-dir: ''                                     | state-dir: must be a path
            disabled-providers: docker                        | disabled-providers: must be a list
            audit: true                                       | audit: must be a mapping of keys to values
            environments:\\n  allow-cidrs: [10.0.0.0/33]      | environments.allow-cidrs: '10.0.0.0/33' is not an address range
            """)
    void badFileValue(String yaml, String keyAndProblem) throws IOException {
        Path file = write(yaml.replace("\\n", "\n") + "\n");
        StagecraftException e = loadFails(new ConfigLoader(dir, Map.of()), file);
        assertThat(e.getMessage()).startsWith(file + ": " + keyAndProblem);
    }

    @Test
    void aDefaultAllowlistGoesToNetworkedRequirementsThatStateNone() throws IOException {
        StagecraftConfig config = new ConfigLoader(dir, Map.of()).load(write(
                "environments:\n  allow-cidrs: [203.0.113.0/24]\n"));
        EnvironmentRequirement networked = EnvironmentRequirement.builder().network(true).build();
        assertThat(config.withDefaults(networked).egress().allowCidrs()).containsExactly("203.0.113.0/24");
        EnvironmentRequirement own = EnvironmentRequirement.builder().network(true).allowCidr("198.51.100.0/24").build();
        assertThat(config.withDefaults(own)).isEqualTo(own);
        EnvironmentRequirement offline = EnvironmentRequirement.builder().build();
        assertThat(config.withDefaults(offline)).isEqualTo(offline);
        assertThat(new ConfigLoader(dir, Map.of()).defaults().withDefaults(networked)).isEqualTo(networked);
    }

    @Test
    void selectionErrorsSurfaceWhenThePipelineIsBuilt() throws IOException {
        Path file = write("selection:\n  startup:\n    short-job-weight: heavy\n");
        StagecraftConfig config = new ConfigLoader(dir, Map.of()).load(file);
        StagecraftException e = catchThrowableOfType(StagecraftException.class,
                () -> dev.stagecraft.core.selection.SelectionPipeline.defaults(config.selection()));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
        assertThat(e.getMessage()).isEqualTo(file + ": selection.startup.short-job-weight: 'heavy' is not a number");
    }

    @Test
    void badOverrideNamesTheKeyAndTheVariable() throws IOException {
        Path file = write("owner: a\n");
        StagecraftException e = loadFails(new ConfigLoader(dir, Map.of("STAGECRAFT_AUDIT__ENABLED", "yes")), file);
        assertThat(e.getMessage()).startsWith(file + ": audit.enabled: 'yes' is not true or false")
                .contains("STAGECRAFT_AUDIT__ENABLED");
        StagecraftException unknown = loadFails(new ConfigLoader(dir, Map.of("STAGECRAFT_STATEDIR", "/x")), file);
        assertThat(unknown.getMessage()).startsWith(file + ": statedir: unknown key").contains("STAGECRAFT_STATEDIR");
    }

    @Test
    void malformedYamlGivesTheLineNumber() throws IOException {
        Path file = write("""
                owner: local
                audit:
                  enabled: true
                 path: [unclosed
                """);
        StagecraftException e = loadFails(new ConfigLoader(dir, Map.of()), file);
        assertThat(e.getMessage()).startsWith(file + ": not valid YAML at line ").containsPattern("at line [34], column \\d+");
    }

    @Test
    void unclosedFlowSequence() throws IOException {
        Path file = write("owner: local\nstate-dir: /x\ndisabled-providers: [docker\n");
        StagecraftException e = loadFails(new ConfigLoader(dir, Map.of()), file);
        assertThat(e.getMessage()).startsWith(file + ": not valid YAML at line ");
    }

    @Test
    void topLevelMustBeAMapping() throws IOException {
        for (String yaml : List.of("- a\n- b\n", "just a string\n", "42\n")) {
            Path file = write(yaml);
            StagecraftException e = loadFails(new ConfigLoader(dir, Map.of()), file);
            assertThat(e.getMessage()).isEqualTo(file + ": the top level must be a mapping of keys to values");
        }
    }

    @Test
    void unreadableFileIsInvalidConfiguration() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("a-folder.yaml"));
        StagecraftException e = loadFails(new ConfigLoader(dir, Map.of()), folder);
        assertThat(e.getMessage()).startsWith(folder + ": ");
    }

    private static StagecraftException loadFails(ConfigLoader loader, Path file) {
        StagecraftException e = catchThrowableOfType(StagecraftException.class, () -> loader.load(file));
        assertThat(e).as("loading " + file + " must fail").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
        assertThat(e.describe()).startsWith("INVALID_CONFIGURATION: " + file + ": ");
        return e;
    }

    private int files;

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("stagecraft-" + (++files) + ".yaml"), yaml);
    }
}
