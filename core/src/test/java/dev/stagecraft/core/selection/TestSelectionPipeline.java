package dev.stagecraft.core.selection;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.selection.SelectionScorer.Score;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.stagecraft.api.IsolationLevel.CONTAINER;
import static dev.stagecraft.api.IsolationLevel.PROCESS;
import static dev.stagecraft.api.IsolationLevel.USER_KERNEL;
import static dev.stagecraft.api.IsolationLevel.VM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

/**
 * Pins the default selection behaviour over plain capability data for the planned kinds. Numbers worked out by
 * hand from the seed: startup (10 - s) x 2 for jobs under 60 s, else x 1; efficiency as given; cost
 * -perHour x max(60 s, expected)/3600; tool-type (k - n) x 1.5 for the n-th of k preferred kinds.
 */
class TestSelectionPipeline {
    private static final ProviderHealth HEALTHY = ProviderHealth.available("ok", Map.of());

    /**
     * Native namespace sandbox, as SandboxProvider.describe() reports it: container class, network, no persistent
     * storage, the host's size as its ceiling (here a host of 16 cpus / 32g, so that the rows do not depend on
     * the machine running them).
     */
    /** Networked environments kept off the host and private ranges, address allowlists held, host names not. */
    static final EgressControl CONTAINED = new EgressControl(true, true, false);

    static final ProviderCapabilities SANDBOX = new ProviderCapabilities("sandbox", EnumSet.of(CONTAINER),
            Duration.ofMillis(1500), 6, 0, false, true, false, new Resources(16, 32L << 30, 0, 0), CONTAINED);
    /** Docker with runc and gVisor: network and volumes. */
    static final ProviderCapabilities DOCKER = new ProviderCapabilities("docker", EnumSet.of(CONTAINER, USER_KERNEL),
            Duration.ofSeconds(2), 8, 0, false, true, true, Resources.NONE, CONTAINED);
    /** KVM microVM: network (unless the level forbids it) and a persistent disk. */
    static final ProviderCapabilities KVM = new ProviderCapabilities("kvm", EnumSet.of(VM),
            Duration.ofSeconds(30), 9, 0, false, true, true, Resources.NONE, CONTAINED);
    /**
     * A local function runner: each invocation a plain process with limits (process class, the weakest), fast
     * start, network for API calls, nothing persistent, at most 2 cpus / 2g.
     */
    static final ProviderCapabilities LAMBDA = new ProviderCapabilities("lambda", EnumSet.of(PROCESS),
            Duration.ofMillis(100), 7, 0, false, true, false, new Resources(2, 2L << 30, 0, 0), CONTAINED);
    /** GPU containers: the only kind that attaches GPUs; costs 3.6 per hour; no ceiling stated. */
    static final ProviderCapabilities GPU = new ProviderCapabilities("gpu", EnumSet.of(CONTAINER),
            Duration.ofSeconds(10), 10, 3.6, true, true, false, Resources.NONE, CONTAINED);

    static final List<ProviderCapabilities> PLANNED = List.of(SANDBOX, DOCKER, KVM, LAMBDA, GPU);

    static List<Candidate> candidates(Set<String> unhealthy) {
        List<Candidate> out = new ArrayList<>();
        for (ProviderCapabilities c : PLANNED) {
            ProviderHealth health = unhealthy.contains(c.kind())
                    ? ProviderHealth.unavailable(c.kind() + " backend missing", List.of("install it"), Map.of())
                    : HEALTHY;
            out.add(new Candidate(c.kind(), c, health));
        }
        return out;
    }

    static Selection selectDefault(EnvironmentRequirement requirement, Set<String> unhealthy) {
        return SelectionPipeline.defaults(Settings.empty("selection")).select(requirement, candidates(unhealthy));
    }

    /**
     * needs: net, persist, gpu, mem=SIZE, iso=ISOLATION; "-" for none. Dropped: kind@stage. Ranking: the kept
     * kinds best first. Winner scores: startup/efficiency/cost/tool-type.
     */
    @ParameterizedTest(name = "[{index}] {0} {1} {2}s needs={3} provider={4} unhealthy={5} -> {6}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # level | tool           | secs | needs      | forced  | unhealthy      | chosen  | isolation   | ranking                           | dropped                                                       | winner scores
            low     | generic        | 30   | -          | -       | -              | lambda  | PROCESS     | lambda sandbox docker gpu kvm     | -                                                             | 19.8/7/0/0
            low     | api            | 30   | -          | -       | -              | lambda  | PROCESS     | lambda sandbox docker gpu kvm     | -                                                             | 19.8/7/0/1.5
            low     | generic        | 120  | -          | -       | -              | lambda  | PROCESS     | lambda docker sandbox gpu kvm     | -                                                             | 9.9/7/0/0
            low     | short_lived    | 30   | -          | -       | -              | lambda  | PROCESS     | lambda docker sandbox gpu kvm     | -                                                             | 19.8/7/0/3
            low     | generic        | 30   | mem=8g     | -       | -              | sandbox | CONTAINER   | sandbox docker gpu kvm            | lambda@resources                                              | 17/6/0/1.5
            low     | generic        | 30   | mem=64g    | -       | -              | docker  | CONTAINER   | docker gpu kvm                    | lambda@resources sandbox@resources                            | 16/8/0/0
            low     | generic        | 30   | persist    | -       | -              | docker  | CONTAINER   | docker kvm                        | gpu@features lambda@features sandbox@features                 | 16/8/0/0
            low     | generic        | 30   | -          | -       | lambda,sandbox | docker  | CONTAINER   | docker gpu kvm                    | lambda@health sandbox@health                                  | 16/8/0/0
            medium  | generic        | 30   | -          | -       | -              | sandbox | CONTAINER   | sandbox docker gpu kvm            | lambda@security                                               | 17/6/0/1.5
            medium  | generic        | 120  | -          | -       | -              | docker  | CONTAINER   | docker sandbox gpu kvm            | lambda@security                                               | 8/8/0/0
            medium  | data_processing| 120  | -          | -       | -              | docker  | CONTAINER   | docker sandbox gpu kvm            | lambda@security                                               | 8/8/0/3
            medium  | shell          | 30   | net        | -       | -              | sandbox | CONTAINER   | sandbox docker gpu kvm            | lambda@security                                               | 17/6/0/1.5
            medium  | generic        | 30   | persist    | -       | -              | docker  | CONTAINER   | docker kvm                        | gpu@features lambda@security sandbox@features                 | 16/8/0/0
            medium  | generic        | 30   | mem=64g    | -       | -              | docker  | CONTAINER   | docker gpu kvm                    | lambda@security sandbox@resources                             | 16/8/0/0
            medium  | generic        | 30   | iso=vm     | -       | -              | kvm     | VM          | kvm                               | docker@security gpu@security lambda@security sandbox@security | -40/9/0/0
            medium  | ml_inference   | 30   | gpu        | -       | -              | gpu     | CONTAINER   | gpu                               | docker@features kvm@features lambda@security sandbox@features | 0/10/-0.06/3
            medium  | gpu_intensive  | 30   | gpu        | -       | -              | gpu     | CONTAINER   | gpu                               | docker@features kvm@features lambda@security sandbox@features | 0/10/-0.06/3
            medium  | gpu_intensive  | 30   | -          | -       | -              | gpu     | CONTAINER   | gpu                               | docker@features kvm@features lambda@security sandbox@features | 0/10/-0.06/3
            medium  | generic        | 30   | -          | -       | sandbox        | docker  | CONTAINER   | docker gpu kvm                    | lambda@security sandbox@health                                | 16/8/0/0
            medium  | generic        | 30   | -          | docker  | -              | docker  | CONTAINER   | docker                            | gpu@provider kvm@provider lambda@provider sandbox@provider    | 16/8/0/0
            medium  | generic        | 30   | -          | sandbox | sandbox        | -       | -           | -                                 | docker@provider gpu@provider kvm@provider lambda@provider sandbox@health | -
            high    | code_execution | 30   | -          | -       | -              | docker  | USER_KERNEL | docker kvm                        | gpu@security lambda@security sandbox@security                 | 16/8/0/1.5
            high    | code_execution | 600  | -          | -       | -              | docker  | USER_KERNEL | docker kvm                        | gpu@security lambda@security sandbox@security                 | 8/8/0/1.5
            high    | generic        | 30   | -          | docker  | -              | docker  | USER_KERNEL | docker                            | gpu@provider kvm@provider lambda@provider sandbox@provider    | 16/8/0/0
            high    | generic        | 30   | -          | kvm     | -              | kvm     | VM          | kvm                               | docker@provider gpu@provider lambda@provider sandbox@provider | -40/9/0/0
            high    | generic        | 30   | -          | -       | docker         | kvm     | VM          | kvm                               | docker@health gpu@security lambda@security sandbox@security   | -40/9/0/0
            high    | ml_inference   | 30   | gpu        | -       | -              | -       | -           | -                                 | docker@features gpu@security kvm@features lambda@security sandbox@security | -
            critical| generic        | 30   | -          | -       | -              | kvm     | VM          | kvm                               | docker@security gpu@security lambda@security sandbox@security | -40/9/0/0
            critical| code_execution | 3600 | persist    | -       | -              | kvm     | VM          | kvm                               | docker@security gpu@security lambda@security sandbox@security | -20/9/0/3
            critical| generic        | 30   | net        | -       | -              | -       | -           | -                                 | docker@security gpu@security kvm@features lambda@security sandbox@security | -
            critical| generic        | 30   | -          | docker  | -              | -       | -           | -                                 | docker@security gpu@provider kvm@provider lambda@provider sandbox@provider | -
            critical| generic        | 30   | -          | -       | kvm            | -       | -           | -                                 | docker@security gpu@security kvm@health lambda@security sandbox@security | -
            """)
    void defaultSelection(String level, String tool, long secs, String needs, String forced, String unhealthy,
                          String chosen, IsolationLevel isolation, String ranking, String dropped, String winnerScores) {
        EnvironmentRequirement requirement = requirement(level, tool, secs, needs, forced);
        Selection selection = selectDefault(requirement, unhealthy == null ? Set.of() : Set.of(unhealthy.split(",")));

        assertThat(selection.chosenKind()).as("chosen kind").isEqualTo(java.util.Optional.ofNullable(chosen));
        assertThat(selection.chosenIsolation()).as("chosen isolation").isEqualTo(java.util.Optional.ofNullable(isolation));
        assertThat(selection.candidates().stream().filter(CandidateReport::kept).map(CandidateReport::kind))
                .as("ranking").containsExactlyElementsOf(words(ranking));
        assertThat(selection.candidates().stream().filter(r -> !r.kept()).map(r -> r.kind() + "@" + r.droppedBy().get()))
                .as("dropped").containsExactlyElementsOf(words(dropped));
        assertThat(selection.candidates()).as("every candidate is reported once").hasSize(PLANNED.size());

        for (CandidateReport report : selection.candidates()) {
            if (report.kept()) {
                assertThat(report.scores()).containsOnlyKeys("startup", "efficiency", "cost", "tool-type");
                assertThat(report.total()).isCloseTo(report.scores().values().stream().mapToDouble(Score::points).sum(), within(1e-9));
                assertThat(report.isolation()).isPresent();
                assertThat(selection.explain()).contains("+ " + report.kind());
            } else {
                assertThat(report.scores()).isEmpty();
                assertThat(report.reason()).isNotBlank();
                assertThat(selection.explain()).contains("- " + String.format("%-10s", report.kind()) + " dropped by "
                        + report.droppedBy().get() + ": " + report.reason());
            }
        }
        List<Double> totals = selection.candidates().stream().filter(CandidateReport::kept).map(CandidateReport::total).toList();
        assertThat(totals).isSortedAccordingTo((a, b) -> Double.compare(b, a));

        if (chosen == null) {
            StagecraftException e = catchThrowableOfType(StagecraftException.class, selection::requireChoice);
            assertThat(e).as("NO_PROVIDER").isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.NO_PROVIDER);
            assertThat(e.getMessage()).startsWith("no environment kind can serve this requirement (security " + level + "): ");
            for (CandidateReport report : selection.candidates()) {
                assertThat(e.getMessage()).contains(report.kind() + ": dropped by " + report.droppedBy().get() + ": " + report.reason());
            }
            assertThat(selection.explain()).startsWith("selected: nothing\n");
        } else {
            assertThat(selection.requireChoice()).isEqualTo(chosen);
            CandidateReport winner = selection.candidates().get(0);
            assertThat(winner.kind()).isEqualTo(chosen);
            double[] expected = Arrays.stream(winnerScores.split("/")).mapToDouble(Double::parseDouble).toArray();
            assertThat(winner.scores().get("startup").points()).as("startup").isCloseTo(expected[0], within(1e-9));
            assertThat(winner.scores().get("efficiency").points()).as("efficiency").isCloseTo(expected[1], within(1e-9));
            assertThat(winner.scores().get("cost").points()).as("cost").isCloseTo(expected[2], within(1e-9));
            assertThat(winner.scores().get("tool-type").points()).as("tool-type").isCloseTo(expected[3], within(1e-9));
            assertThat(selection.explain()).startsWith("selected: " + chosen + " (isolation " + isolation.label() + ")\n");
            if (forced != null) {
                assertThat(winner.reason()).isEqualTo("requested with --provider");
            }
        }
    }

    /** The words a person reads: exact reasons per stage. */
    @ParameterizedTest(name = "[{index}] {0} {1} needs={2} provider={3}: {4} dropped by {5}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # level | tool    | needs   | forced | kind    | stage     | reason
            medium  | generic | -       | -      | lambda  | security  | offers isolation up to process; level medium needs container or stronger
            high    | generic | -       | -      | sandbox | security  | offers isolation up to container; level high needs user-kernel or stronger
            critical| generic | -       | docker | docker  | security  | offers isolation up to user-kernel; level critical needs vm or stronger
            medium  | generic | iso=vm  | -      | docker  | security  | offers isolation up to user-kernel; isolation vm was asked
            medium  | shell   | persist | -      | sandbox | features  | has no persistent storage
            critical| generic | net     | -      | kvm     | features  | network is not allowed at level critical
            medium  | generic | persist | -      | gpu     | features  | has no persistent storage
            medium  | ml_inference | gpu | -     | docker  | features  | cannot attach GPUs (1 asked)
            medium  | generic | mem=64g | -      | sandbox | resources | at most 32g memory, 64g asked
            low     | generic | mem=3g  | -      | lambda  | resources | at most 2g memory, 3g asked
            medium  | generic | -       | docker | sandbox | provider  | not the requested provider 'docker'
            """)
    void dropReasons(String level, String tool, String needs, String forced, String kind, String stage, String reason) {
        Selection selection = selectDefault(requirement(level, tool, 30, needs, forced), Set.of());
        CandidateReport report = report(selection, kind);
        assertThat(report.droppedBy()).contains(stage);
        assertThat(report.reason()).isEqualTo(reason);
        assertThat(report.describe()).isEqualTo(kind + ": dropped by " + stage + ": " + reason);
    }

    @Test
    void aKindThatIsAlwaysNetworkedIsDroppedOnlyWhereNetworkIsForbidden() {
        ProviderCapabilities function = new ProviderCapabilities("function", EnumSet.of(VM), Duration.ofMillis(100), 10,
                0, false, true, false, Resources.NONE, EgressControl.NONE, true, true);
        ProviderCapabilities vm = new ProviderCapabilities("kvm", EnumSet.of(VM), Duration.ofSeconds(30), 9, 0,
                false, false, true, Resources.NONE);
        List<Candidate> both = List.of(new Candidate("function", function, HEALTHY), new Candidate("kvm", vm, HEALTHY));
        SelectionPipeline pipeline = SelectionPipeline.defaults(Settings.empty("selection"));

        Selection critical = pipeline.select(EnvironmentRequirement.builder().securityLevel(SecurityLevel.CRITICAL).build(), both);
        assertThat(report(critical, "function").describe())
                .isEqualTo("function: dropped by features: always has network, and network is not allowed at level critical");
        assertThat(critical.chosenKind()).contains("kvm");

        Selection high = pipeline.select(EnvironmentRequirement.builder().securityLevel(SecurityLevel.HIGH).build(), both);
        assertThat(report(high, "function").droppedBy()).isEmpty();
        assertThat(high.chosenKind()).contains("function");

        assertThatThrownBy(() -> new ProviderCapabilities("odd", EnumSet.of(VM), Duration.ZERO, 1, 0, false, false,
                false, Resources.NONE, EgressControl.NONE, false, true))
                .hasMessage("provider 'odd' is always networked but says it cannot give network access");
    }

    @Test
    void kvmWithoutAConfiguredNetworkIsDroppedWhenNetworkIsAsked() {
        // the kvm plugin reports no network while providers.kvm.network is empty
        ProviderCapabilities offline = new ProviderCapabilities("kvm", EnumSet.of(VM), Duration.ofSeconds(30), 9, 0,
                false, false, true, Resources.NONE);
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().securityLevel(SecurityLevel.HIGH).network(true).build();
        Selection selection = SelectionPipeline.defaults(Settings.empty("selection"))
                .select(requirement, List.of(new Candidate("kvm", offline, HEALTHY)));
        assertThat(report(selection, "kvm").describe()).isEqualTo("kvm: dropped by features: cannot give network access");
    }

    @Test
    void aKindThatCannotHoldTheEgressPolicyIsDroppedSayingWhy() {
        ProviderCapabilities open = new ProviderCapabilities("open", EnumSet.of(CONTAINER), Duration.ofSeconds(1), 6, 0,
                false, true, false, Resources.NONE);
        List<Candidate> both = List.of(new Candidate("open", open, HEALTHY), new Candidate("sandbox", SANDBOX, HEALTHY));
        SelectionPipeline pipeline = SelectionPipeline.defaults(Settings.empty("selection"));

        Selection networked = pipeline.select(EnvironmentRequirement.builder().network(true).build(), both);
        assertThat(report(networked, "open").describe())
                .isEqualTo("open: dropped by features: cannot keep networked code off the host, link-local and private addresses");
        assertThat(networked.chosenKind()).contains("sandbox");
        assertThat(networked.explain()).contains("  network: any public address; host, link-local and private ranges denied\n");
        assertThat(pipeline.select(EnvironmentRequirement.builder().build(), both).candidates()).allMatch(CandidateReport::kept);

        Selection byCidr = pipeline.select(EnvironmentRequirement.builder().network(true).allowCidr("203.0.113.0/24").build(), both);
        assertThat(byCidr.chosenKind()).contains("sandbox");
        assertThat(byCidr.explain()).contains("  network: only 203.0.113.0/24 (and DNS)");

        Selection byName = pipeline.select(EnvironmentRequirement.builder().network(true).allowHost("example.com").build(), both);
        assertThat(byName.chosenKind()).isEmpty();
        assertThat(report(byName, "sandbox").describe())
                .isEqualTo("sandbox: dropped by features: cannot limit connections to allowed host names");
    }

    @Test
    void aDiskSizeDropsKindsThatCannotHoldIt() {
        ProviderCapabilities unlimited = new ProviderCapabilities("nodisk", EnumSet.of(CONTAINER), Duration.ofSeconds(1), 6, 0,
                false, true, false, Resources.NONE, CONTAINED);
        ProviderCapabilities limited = new ProviderCapabilities("disk", EnumSet.of(CONTAINER), Duration.ofSeconds(2), 6, 0,
                false, true, false, new Resources(0, 0, 8L << 30, 0), CONTAINED, true);
        List<Candidate> both = List.of(new Candidate("nodisk", unlimited, HEALTHY), new Candidate("disk", limited, HEALTHY));
        SelectionPipeline pipeline = SelectionPipeline.defaults(Settings.empty("selection"));

        Selection sized = pipeline.select(EnvironmentRequirement.builder().diskBytes(1L << 30).build(), both);
        assertThat(sized.chosenKind()).contains("disk");
        assertThat(report(sized, "nodisk").describe()).isEqualTo("nodisk: dropped by resources: cannot limit an environment's disk (1g asked)");
        assertThat(report(pipeline.select(EnvironmentRequirement.builder().diskBytes(16L << 30).build(), both), "disk").reason())
                .isEqualTo("at most 8g disk, 16g asked");
        assertThat(pipeline.select(EnvironmentRequirement.builder().build(), both).candidates()).allMatch(CandidateReport::kept);
    }

    @Test
    void unhealthyCandidateIsDroppedWithItsProbeReason() {
        Selection selection = selectDefault(EnvironmentRequirement.builder().build(), Set.of("sandbox"));
        assertThat(report(selection, "sandbox").reason()).isEqualTo("unavailable: sandbox backend missing");
        assertThat(report(selection, "sandbox").droppedBy()).contains("health");
    }

    @Test
    void perScorerScoresAndReasonsInTheExplanation() {
        Selection selection = selectDefault(EnvironmentRequirement.builder().securityLevel(SecurityLevel.MEDIUM)
                .toolType("generic").expectedDuration(Duration.ofSeconds(30)).build(), Set.of());
        CandidateReport sandbox = report(selection, "sandbox");
        assertThat(sandbox.scores().keySet()).containsExactly("startup", "efficiency", "cost", "tool-type");
        assertThat(sandbox.scores().get("startup")).isEqualTo(new Score(17, "startup 1.5s, job under 60s: (10 - 1.5) x 2"));
        assertThat(sandbox.scores().get("efficiency")).isEqualTo(new Score(6, "efficiency 6"));
        assertThat(sandbox.scores().get("cost")).isEqualTo(new Score(0, "free on this host"));
        assertThat(sandbox.scores().get("tool-type")).isEqualTo(new Score(1.5, "preferred #1 for generic"));
        assertThat(sandbox.total()).isEqualTo(24.5);
        assertThat(sandbox.isolation()).contains(CONTAINER);
        assertThat(report(selection, "docker").scores().get("tool-type")).isEqualTo(new Score(0, "not preferred for generic"));
        assertThat(report(selection, "gpu").scores().get("cost").reason()).isEqualTo("3.6000 per hour over 0.017h");

        String explain = selection.explain();
        assertThat(explain).startsWith("selected: sandbox (isolation container)\n"
                + "  requirement: security medium, tool type generic, expected 30.0s\n"
                + "  + sandbox    total 24.5, isolation container\n"
                + "      startup         +17  startup 1.5s, job under 60s: (10 - 1.5) x 2\n"
                + "      efficiency       +6  efficiency 6\n"
                + "      cost              0  free on this host\n"
                + "      tool-type      +1.5  preferred #1 for generic\n"
                + "  + docker     total 24, isolation container (not probed: sandbox ranks higher)\n");
        assertThat(explain).contains("  + gpu        total 9.94, isolation container (not probed: sandbox ranks higher)\n")
                .contains("      cost          -0.06  3.6000 per hour over 0.017h\n")
                .contains("  + kvm        total -31, isolation vm (not probed: sandbox ranks higher)\n")
                .endsWith("  - lambda     dropped by security: offers isolation up to process; level medium needs container or stronger\n");
        assertThat(sandbox.describe()).isEqualTo("sandbox: score 24.5 (startup 17: startup 1.5s, job under 60s: (10 - 1.5) x 2; "
                + "efficiency 6: efficiency 6; cost 0: free on this host; tool-type 1.5: preferred #1 for generic)");
    }

    @Test
    void longJobCountsStartupOnce() {
        Selection selection = selectDefault(EnvironmentRequirement.builder().expectedDuration(Duration.ofSeconds(60)).build(), Set.of());
        assertThat(report(selection, "sandbox").scores().get("startup")).isEqualTo(new Score(8.5, "startup 1.5s: (10 - 1.5) x 1"));
        Selection shorter = selectDefault(EnvironmentRequirement.builder().expectedDuration(Duration.ofMillis(59_999)).build(), Set.of());
        assertThat(report(shorter, "sandbox").scores().get("startup").points()).isEqualTo(17);
    }

    @Test
    void requirementIsolationStrongerThanTheLevelWins() {
        Selection selection = selectDefault(EnvironmentRequirement.builder().securityLevel(SecurityLevel.LOW)
                .isolation(USER_KERNEL).build(), Set.of());
        assertThat(selection.chosenKind()).contains("docker");
        assertThat(selection.chosenIsolation()).contains(USER_KERNEL);
        assertThat(report(selection, "sandbox").reason()).isEqualTo("offers isolation up to container; isolation user-kernel was asked");
    }

    @Test
    void weakerRequirementIsolationDoesNotLowerTheLevel() {
        Selection selection = selectDefault(EnvironmentRequirement.builder().securityLevel(SecurityLevel.HIGH)
                .isolation(PROCESS).build(), Set.of());
        assertThat(selection.chosenIsolation()).contains(USER_KERNEL);
        assertThat(report(selection, "sandbox").reason()).isEqualTo("offers isolation up to container; level high needs user-kernel or stronger");
    }

    @Test
    void gpuCeilingIsRespectedWhenStated() {
        ProviderCapabilities oneGpu = new ProviderCapabilities("gpu", EnumSet.of(CONTAINER), Duration.ofSeconds(10), 10, 0,
                true, true, false, new Resources(0, 0, 0, 1));
        SelectionPipeline pipeline = SelectionPipeline.defaults(Settings.empty("selection"));
        Selection two = pipeline.select(EnvironmentRequirement.builder().gpus(2).build(), List.of(new Candidate("gpu", oneGpu, HEALTHY)));
        assertThat(two.chosenKind()).isEmpty();
        assertThat(report(two, "gpu").reason()).isEqualTo("at most 1 gpus, 2 asked");
        Selection one = pipeline.select(EnvironmentRequirement.builder().gpus(1).build(), List.of(new Candidate("gpu", oneGpu, HEALTHY)));
        assertThat(one.chosenKind()).contains("gpu");
    }

    @Test
    void forcedProviderThatIsNotInstalled() {
        Selection selection = selectDefault(EnvironmentRequirement.builder().provider("nomad").build(), Set.of());
        assertThat(selection.chosenKind()).isEmpty();
        assertThatThrownBy(selection::requireChoice).isInstanceOfSatisfying(StagecraftException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NO_PROVIDER);
            assertThat(e.getMessage()).isEqualTo("provider 'nomad' is not installed (installed: docker, gpu, kvm, lambda, sandbox)");
        });
    }

    @Test
    void noProviderInstalledAtAll() {
        Selection selection = SelectionPipeline.defaults(Settings.empty("selection")).select(EnvironmentRequirement.builder().build(), List.of());
        assertThatThrownBy(selection::requireChoice).isInstanceOfSatisfying(StagecraftException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NO_PROVIDER);
            assertThat(e.getMessage()).contains("no environment provider is installed");
        });
    }

    @Test
    void decisionIsRepeatableWhateverTheCandidateOrder() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().expectedDuration(Duration.ofSeconds(120)).build();
        List<Candidate> forward = candidates(Set.of());
        List<Candidate> backward = new ArrayList<>(forward);
        java.util.Collections.reverse(backward);
        SelectionPipeline pipeline = SelectionPipeline.defaults(Settings.empty("selection"));
        Selection a = pipeline.select(requirement, forward);
        Selection b = pipeline.select(requirement, backward);
        assertThat(a.chosenKind()).contains("docker"); // 16 = 16 with the sandbox: the tie goes to the name first
        assertThat(b.candidates()).isEqualTo(a.candidates());
    }

    @Test
    void defaultStageNamesAndOrder() {
        SelectionPipeline pipeline = SelectionPipeline.defaults(Settings.empty("selection"));
        assertThat(pipeline.filterNames()).containsExactly("security", "features", "resources");
        assertThat(pipeline.scorerNames()).containsExactly("startup", "efficiency", "cost", "tool-type");
    }

    // ---- configurable numbers ----

    @Test
    void shortJobWeightChangesTheOutcome() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().build(); // medium, generic, 30 s
        assertThat(selectDefault(requirement, Set.of()).chosenKind()).contains("sandbox"); // 24.5 vs 24
        Selection selection = select(config("startup", Map.of("short-job-weight", 1)), requirement);
        assertThat(report(selection, "sandbox").scores().get("startup"))
                .isEqualTo(new Score(8.5, "startup 1.5s, job under 60s: (10 - 1.5) x 1"));
        assertThat(selection.chosenKind()).contains("docker"); // 16 = 16, the tie goes to the name first
    }

    @Test
    void shortJobThresholdIsConfigurable() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().expectedDuration(Duration.ofSeconds(90)).build();
        Selection selection = select(config("startup", Map.of("short-job-threshold", "2m")), requirement);
        assertThat(report(selection, "sandbox").scores().get("startup").points()).isEqualTo(17);
        assertThat(selection.chosenKind()).contains("sandbox");
    }

    @Test
    void startupEstimatePerKindChangesTheOutcome() {
        Selection selection = select(config("startup", Map.of("estimates", Map.of("sandbox", "5s"))),
                EnvironmentRequirement.builder().build());
        assertThat(report(selection, "sandbox").scores().get("startup").points()).isEqualTo(10); // (10 - 5) x 2
        assertThat(selection.chosenKind()).contains("docker"); // 24 > 17.5
        Selection bare = select(config("startup", Map.of("estimates", Map.of("docker", 0.5))), EnvironmentRequirement.builder().build());
        assertThat(report(bare, "docker").scores().get("startup").points()).isEqualTo(19);
        assertThat(bare.chosenKind()).contains("docker");
    }

    @Test
    void minimumIsolationPerLevelChangesTheOutcome() {
        EnvironmentRequirement high = EnvironmentRequirement.builder().securityLevel(SecurityLevel.HIGH).build();
        assertThat(selectDefault(high, Set.of()).chosenKind()).contains("docker");
        Selection relaxed = select(config("security", Map.of("minimum-isolation", Map.of("high", "container"))), high);
        assertThat(relaxed.chosenKind()).contains("sandbox");
        assertThat(relaxed.chosenIsolation()).contains(CONTAINER);

        Selection stricter = select(config("security", Map.of("minimum-isolation", Map.of("medium", "user_kernel"))),
                EnvironmentRequirement.builder().build());
        assertThat(stricter.chosenKind()).contains("docker");
        assertThat(stricter.chosenIsolation()).contains(USER_KERNEL);
        assertThat(report(stricter, "sandbox").reason()).isEqualTo("offers isolation up to container; level medium needs user-kernel or stronger");
    }

    @Test
    void disabledStageIsSkipped() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().build(); // sandbox 24.5 vs docker 24
        Selection selection = select(config("tool-type", Map.of("enabled", false)), requirement);
        assertThat(report(selection, "sandbox").scores()).doesNotContainKey("tool-type");
        assertThat(selection.chosenKind()).contains("docker"); // 24 > 23
        SelectionPipeline pipeline = SelectionPipeline.defaults(config("tool-type", Map.of("enabled", "false")));
        assertThat(pipeline.scorerNames()).containsExactly("startup", "efficiency", "cost");

        EnvironmentRequirement persistent = EnvironmentRequirement.builder().toolType("shell").persistentStorage(true).build();
        assertThat(selectDefault(persistent, Set.of()).chosenKind()).contains("docker");
        Selection noFeatures = select(config("features", Map.of("enabled", false)), persistent);
        assertThat(noFeatures.chosenKind()).contains("sandbox");
    }

    @Test
    void healthIsProbedLazilyBestFirst() {
        java.util.List<String> probed = new java.util.ArrayList<>();
        ProviderCapabilities sandboxCaps = new ProviderCapabilities("sandbox", Set.of(CONTAINER), Duration.ofMillis(1500), 6, 0,
                false, true, false, Resources.NONE);
        ProviderCapabilities dockerCaps = new ProviderCapabilities("docker", Set.of(CONTAINER), Duration.ofSeconds(2), 8, 0,
                false, true, true, Resources.NONE);
        ProviderCapabilities kvmCaps = new ProviderCapabilities("kvm", Set.of(IsolationLevel.VM), Duration.ofSeconds(30), 9, 0,
                false, false, false, Resources.NONE);
        java.util.function.Function<String, java.util.function.Supplier<ProviderHealth>> probe = kind -> () -> {
            probed.add(kind);
            return kind.equals("sandbox") ? ProviderHealth.unavailable("bwrap missing", List.of(), Map.of())
                    : ProviderHealth.available("ok", Map.of());
        };
        Selection selection = SelectionPipeline.defaults(Settings.empty("selection")).select(EnvironmentRequirement.builder().build(),
                List.of(new Candidate("sandbox", sandboxCaps, probe.apply("sandbox")),
                        new Candidate("docker", dockerCaps, probe.apply("docker")),
                        new Candidate("kvm", kvmCaps, probe.apply("kvm"))));
        assertThat(selection.chosenKind()).contains("docker");
        assertThat(probed).as("best first: sandbox fails its probe, docker is chosen, kvm ranks below and is never probed")
                .containsExactly("sandbox", "docker");
        assertThat(report(selection, "sandbox").droppedBy()).contains("health");
        assertThat(report(selection, "sandbox").reason()).isEqualTo("unavailable: bwrap missing");
    }

    @Test
    void securityStageCannotBeTurnedOff() {
        assertThatThrownBy(() -> SelectionPipeline.defaults(config("security", Map.of("enabled", false))))
                .isInstanceOfSatisfying(StagecraftException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
                    assertThat(e.getMessage()).startsWith("conf/stagecraft.yaml: selection.security.enabled: the security stage cannot be turned off");
                });
    }

    @Test
    void toolTypePreferencesAndWeightsAreConfigurable() {
        Selection selection = select(new Settings("test.yaml", "selection", Map.of(
                        "tool-type", Map.of("preferences", Map.of("generic", List.of("kvm")), "points", 100),
                        "efficiency", Map.of("values", Map.of("kvm", 10)))),
                EnvironmentRequirement.builder().build());
        assertThat(selection.chosenKind()).contains("kvm");
        assertThat(report(selection, "kvm").scores().get("tool-type").points()).isEqualTo(100);
        assertThat(report(selection, "kvm").scores().get("efficiency").points()).isEqualTo(10);
    }

    @Test
    void networkForbiddenLevelsAreConfigurable() {
        EnvironmentRequirement critical = EnvironmentRequirement.builder().securityLevel(SecurityLevel.CRITICAL).network(true).build();
        Selection allowed = select(config("features", Map.of("network-forbidden-at", List.of())), critical);
        assertThat(allowed.chosenKind()).contains("kvm");
        Selection medium = select(config("features", Map.of("network-forbidden-at", List.of("medium", "critical"))),
                EnvironmentRequirement.builder().network(true).build());
        assertThat(medium.chosenKind()).isEmpty();
        assertThat(report(medium, "docker").reason()).isEqualTo("network is not allowed at level medium");
    }

    @Test
    void costPerHourIsConfigurable() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().expectedDuration(Duration.ofHours(1)).build();
        Selection selection = select(config("cost", Map.of("per-hour", Map.of("docker", 10))), requirement);
        assertThat(report(selection, "docker").scores().get("cost").points()).isEqualTo(-10);
        assertThat(selection.chosenKind()).contains("sandbox");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            selection.startup.short-job-weight: 'heavy' is not a number                                 | startup    | short-job-weight    | heavy
            selection.startup.short-job-threshold: 'soon' is not a duration                            | startup    | short-job-threshold | soon
            selection.startup.estimates.sandbox: 'fast' is not a duration                              | startup    | estimates.sandbox   | fast
            selection.security.minimum-isolation.high: 'gvisor' is not an isolation class              | security   | minimum-isolation.high | gvisor
            selection.security.minimum-isolation.extreme: unknown security level                       | security   | minimum-isolation.extreme | vm
            selection.tool-type.enabled: 'maybe' is not true or false                                  | tool-type  | enabled             | maybe
            selection.efficiency.weight: 'x' is not a number                                           | efficiency | weight              | x
            selection.cost.per-hour.docker: 'cheap' is not a number                                    | cost       | per-hour.docker     | cheap
            selection.tool-type.points: 'many' is not a number                                         | tool-type  | points              | many
            """)
    void badValueIsInvalidConfigurationNamingTheKey(String message, String stage, String key, String value) {
        Settings selection = config(stage, nested(key, value));
        assertThatThrownBy(() -> SelectionPipeline.defaults(selection)).isInstanceOfSatisfying(StagecraftException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
            assertThat(e.getMessage()).startsWith("conf/stagecraft.yaml: " + message);
        });
    }

    @Test
    void badListValueIsInvalidConfiguration() {
        assertThatThrownBy(() -> SelectionPipeline.defaults(config("features", Map.of("network-forbidden-at", List.of("never")))))
                .isInstanceOfSatisfying(StagecraftException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
                    assertThat(e.getMessage()).isEqualTo("conf/stagecraft.yaml: selection.features.network-forbidden-at: 'never' is not a security level");
                });
        assertThatThrownBy(() -> SelectionPipeline.defaults(config("startup", Map.of("estimates", "fast"))))
                .isInstanceOfSatisfying(StagecraftException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("conf/stagecraft.yaml: selection.startup.estimates: must be a mapping of keys to values"));
    }

    // ---- helpers ----

    static EnvironmentRequirement requirement(String level, String tool, long secs, String needs, String forced) {
        EnvironmentRequirement.Builder b = EnvironmentRequirement.builder().securityLevel(SecurityLevel.parse(level))
                .toolType(tool).expectedDuration(Duration.ofSeconds(secs)).provider(forced);
        for (String need : words(needs)) {
            for (String n : need.split(",")) {
                if (n.equals("net")) {
                    b.network(true);
                } else if (n.equals("persist")) {
                    b.persistentStorage(true);
                } else if (n.equals("gpu")) {
                    b.gpus(1);
                } else if (n.startsWith("mem=")) {
                    b.memoryBytes(Quantities.parseBytes("mem", n.substring(4)));
                } else if (n.startsWith("iso=")) {
                    b.isolation(IsolationLevel.parse(n.substring(4)));
                } else {
                    throw new IllegalArgumentException("unknown need " + n);
                }
            }
        }
        return b.build();
    }

    private static List<String> words(String text) {
        return text == null || text.isBlank() ? List.of() : List.of(text.trim().split("\\s+"));
    }

    private static CandidateReport report(Selection selection, String kind) {
        return selection.candidates().stream().filter(r -> r.kind().equals(kind)).findFirst().orElseThrow();
    }

    private static Settings config(String stage, Map<String, ?> section) {
        return new Settings("conf/stagecraft.yaml", "selection", Map.of(stage, section));
    }

    private static Map<String, Object> nested(String dottedKey, Object value) {
        String[] parts = dottedKey.split("\\.");
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put(parts[parts.length - 1], value);
        for (int i = parts.length - 2; i >= 0; i--) {
            Map<String, Object> outer = new LinkedHashMap<>();
            outer.put(parts[i], inner);
            inner = outer;
        }
        return inner;
    }

    private static Selection select(Settings selection, EnvironmentRequirement requirement) {
        return SelectionPipeline.defaults(selection).select(requirement, candidates(Set.of()));
    }

    @SuppressWarnings("unused")
    private static String kinds(List<CandidateReport> reports) {
        return reports.stream().map(CandidateReport::kind).collect(Collectors.joining(" "));
    }
}
