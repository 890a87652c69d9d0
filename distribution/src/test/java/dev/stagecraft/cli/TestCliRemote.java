package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.stagecraft.cli.InProcess.Outcome;
import dev.stagecraft.tck.Deadline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --server} / {@code $STAGECRAFT_SERVER}: the command line against a real server in this JVM (the real
 * sandbox), compared with the same command line run here: the same output, the same exit codes, the same one-line
 * failures, output that arrives while the command runs; and the failures of the server itself.
 */
class TestCliRemote {
    @TempDir
    static Path serverState;
    @TempDir
    Path clientState;
    @TempDir
    Path localState;
    @TempDir
    Path files;

    private static RunningServer server;

    @BeforeAll
    static void start() throws Exception {
        new InProcess(serverState).requireSandbox();
        server = new RunningServer(serverState, Map.of());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private Outcome remote(String... args) {
        return clean(server.client(clientState).run(args));
    }

    private Outcome local(String... args) {
        return clean(new InProcess(localState).run(args));
    }

    /** Whatever happened, no stack trace and no exception's name reached the output. */
    private static Outcome clean(Outcome outcome) {
        assertThat(outcome.out() + outcome.err()).doesNotContain("\tat ").doesNotContain("Exception");
        return outcome;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "run -- sh -c 'echo out; echo err >&2; exit 7'",
            "run --timeout 1s -- sleep 30",
            "run -- stagecraft-no-such-program",
            "run --explain --tool-type python -- sh -c 'echo hi'",
            "select --explain",
            "select --explain --security high --network",
            "select --gpus 8",
            "env exec sc-nosuch -- true",
            "env status sc-nosuch",
            "env stop sc-nosuch",
            "env rm sc-nosuch",
            "env cp sc-nosuch:a.txt .",
            "run --memory 12x -- true",
    })
    void printsAndExitsAsTheLocalCommandLine(String line) {
        String[] args = split(line);
        Outcome here = local(args);
        assertThat(here.out() + here.err()).isNotEmpty();
        Outcome there = remote(args);
        assertThat(there.exitCode()).as(there.err()).isEqualTo(here.exitCode());
        assertThat(there.out()).isEqualTo(here.out());
        assertThat(there.err()).isEqualTo(here.err());
    }

    @Test
    void runGivesTheCommandsOutputAndExitCode() {
        Outcome outcome = remote("run", "--", "sh", "-c", "printf 'caf\\303\\251\\n'; echo oops >&2; exit 7");
        assertThat(outcome.exitCode()).isEqualTo(7);
        assertThat(outcome.out()).isEqualTo("café\n");
        assertThat(outcome.err()).isEqualTo("oops\n");
        assertThat(server.environments()).as("the run's environment is gone").isZero();
    }

    @Test
    void runJsonIsTheLocalDocument() {
        JsonNode here = local("run", "--json", "--explain", "--", "echo", "hi").json();
        Outcome outcome = remote("run", "--json", "--explain", "--", "echo", "hi");
        assertThat(outcome.exitCode()).isZero();
        JsonNode there = outcome.json();
        assertThat(fields(there)).isEqualTo(fields(here));
        assertThat(there.get("stdout").asText()).isEqualTo("hi\n");
        assertThat(there.get("provider").asText()).isEqualTo("sandbox");
        assertThat(there.get("selection")).isEqualTo(here.get("selection"));
    }

    @Test
    void outputThatIsNotUtf8IsGivenExactlyAsLocally() {
        String[] args = {"run", "--json", "--", "sh", "-c", "printf 'a\\377b'; printf '\\303' >&2"};
        JsonNode here = local(args).json();
        JsonNode there = remote(args).json();
        assertThat(there.get("stdoutBase64").asText()).isEqualTo(here.get("stdoutBase64").asText()).isEqualTo("Yf9i");
        assertThat(there.get("stderrBase64").asText()).as("a character cut short").isEqualTo("ww==");
        assertThat(there.get("stdout").asText()).isEqualTo("a\uFFFDb");
    }

    @Test
    void runOutputArrivesWhileTheCommandRuns() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InProcess cli = server.client(clientState);
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() ->
                cli.run(out, err, "run", "--", "sh", "-c", "echo first; sleep 3; echo second"));
        Deadline.await(Duration.ofSeconds(30), "the first line", () -> out.toString(StandardCharsets.UTF_8).equals("first\n"));
        long firstSeen = System.nanoTime();
        assertThat(running).as("the command line still runs when the first line is out").isNotDone();
        assertThat(running.get(60, TimeUnit.SECONDS)).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - firstSeen)).as("the first line came before the sleep")
                .isGreaterThan(Duration.ofSeconds(2));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("first\nsecond\n");
    }

    @Test
    void environmentsRoundTrip() throws Exception {
        Outcome created = remote("env", "create", "--label", "job=42", "--ttl", "10m");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String id = created.out().trim();
        assertThat(id).startsWith("sc-");

        Outcome listed = remote("env", "ls", "--label", "job=42");
        assertThat(listed.exitCode()).isZero();
        assertThat(listed.out().lines().findFirst()).isEqualTo(local("env", "ls").out().lines().findFirst());
        assertThat(listed.out()).contains(id).contains("sandbox").contains("READY").contains("job=42");
        assertThat(remote("env", "ls", "--label", "job=43").out().lines().count()).as("only the header").isEqualTo(1);

        Path data = Files.writeString(files.resolve("data.csv"), "a,b\n1,2\n");
        Outcome in = remote("env", "cp", data.toString(), id + ":in/");
        assertThat(in.exitCode()).as(in.err()).isZero();
        assertThat(in.out().trim()).isEqualTo("copied 8 bytes: " + data + " -> " + id + ":in/data.csv");
        Outcome cat = remote("env", "exec", id, "--", "cat", "in/data.csv");
        assertThat(cat.exitCode()).isZero();
        assertThat(cat.out()).isEqualTo("a,b\n1,2\n");

        assertThat(remote("env", "exec", id, "--", "sh", "-c", "echo out > 'with space+plus.txt'").exitCode()).isZero();
        Path folder = Files.createDirectory(files.resolve("out"));
        Outcome out = remote("env", "cp", id + ":with space+plus.txt", folder.toString());
        assertThat(out.exitCode()).as(out.err()).isZero();
        assertThat(Files.readString(folder.resolve("with space+plus.txt"))).isEqualTo("out\n");
        remote("env", "cp", id + ":nothing.txt", folder.toString()).failedInOneLine(3, "NOT_FOUND");

        Outcome status = remote("env", "status", id);
        assertThat(status.exitCode()).isZero();
        assertThat(status.out()).contains("id: " + id).contains("kind: sandbox").contains("status: READY")
                .contains("labels: {job=42}").contains("usage: {cpuPercent=");

        Outcome stopped = remote("env", "stop", id);
        assertThat(stopped.exitCode()).isZero();
        assertThat(stopped.out().trim()).isEqualTo(id + " STOPPED");
        Outcome again = remote("env", "exec", id, "--", "cat", "in/data.csv");
        assertThat(again.exitCode()).as("exec starts a stopped environment, as here: " + again.err()).isZero();
        assertThat(again.out()).isEqualTo("a,b\n1,2\n");

        Outcome removed = remote("env", "rm", id);
        assertThat(removed.exitCode()).isZero();
        assertThat(removed.out().trim()).isEqualTo("removed " + id);
        Outcome gone = remote("env", "rm", "--json", id);
        assertThat(gone.exitCode()).isEqualTo(3);
        assertThat(gone.json().get("missing").get(0).asText()).isEqualTo(id);
        assertThat(gone.err().trim()).isEqualTo("stagecraft: NOT_FOUND: no environment with id '" + id + "'");
    }

    @Test
    void envExecStreamsWhileTheCommandRuns() throws Exception {
        String id = remote("env", "create").out().trim();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InProcess cli = server.client(clientState);
        // the command waits for a file that is copied in only once its first line is out: without streaming, that
        // line would come with the result, after the loop gave up (exit 9)
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> cli.run(out, err, "env", "exec", id,
                "--", "sh", "-c", "echo first; i=0; while [ ! -e go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done;"
                        + " [ -e go ] || exit 9; echo second; exit 4"));
        Deadline.await(Duration.ofSeconds(30), "the first line", () -> out.toString(StandardCharsets.UTF_8).equals("first\n"));
        Path go = Files.createFile(files.resolve("go"));
        assertThat(remote("env", "cp", go.toString(), id + ":go").exitCode()).isZero();
        assertThat(running.get(60, TimeUnit.SECONDS)).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(4);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("first\nsecond\n");
        assertThat(remote("env", "rm", id).exitCode()).isZero();
    }

    @Test
    void doctorShowsTheServersProviders() {
        Outcome outcome = remote("doctor");
        assertThat(outcome.exitCode()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("[ok]   sandbox");
        assertThat(remote("doctor", "--json").json().findValuesAsText("kind")).contains("sandbox");
    }

    @Test
    void aWrongKeyIsOneLineNamingTheVariable() {
        Outcome outcome = clean(new InProcess(clientState).with(ServerClient.SERVER_VARIABLE, server.url)
                .with(ServerClient.KEY_VARIABLE, "sc_000000000000_wrong").run("select"));
        assertThat(outcome.exitCode()).isEqualTo(ExitCodes.SERVER);
        assertThat(outcome.err().trim()).isEqualTo("stagecraft: UNAUTHENTICATED: the server " + server.url
                + " refused the key in STAGECRAFT_API_KEY: unknown or revoked API key");
    }

    @Test
    void aKeyThatCannotBeAHeaderIsOneLine() {
        new InProcess(clientState).with(ServerClient.SERVER_VARIABLE, server.url)
                .with(ServerClient.KEY_VARIABLE, "sc_a\nInjected: yes").run("env", "ls")
                .failedInOneLine(ExitCodes.SERVER, "STAGECRAFT_API_KEY holds characters that no key has");
    }

    @Test
    void noKeyIsOneLineNamingTheVariable() {
        new InProcess(clientState).run("run", "--server", server.url, "--", "true")
                .failedInOneLine(ExitCodes.SERVER, "UNAUTHENTICATED: no API key for " + server.url
                        + ": set STAGECRAFT_API_KEY to a key from 'stagecraft keys create' (it is not a flag: flags show in ps)");
    }

    @Test
    void aServerThatIsDownIsOneLineAndItsOwnExitCode() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        InProcess cli = new InProcess(clientState).with(ServerClient.KEY_VARIABLE, server.key);
        cli.run("run", "--server", url, "--", "true").failedInOneLine(ExitCodes.SERVER,
                "stagecraft: PROVIDER_UNAVAILABLE: cannot reach server " + url + ": connection refused");
        JsonNode json = clean(cli.run("env", "ls", "--json", "--server", url)).json();
        assertThat(json.get("error").get("exitCode").asInt()).isEqualTo(4);
    }

    @Test
    void anAnswerThatIsNotStagecraftsIsOneLine() throws Exception {
        HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/", exchange -> {
            byte[] page = "<html><body>502 Bad Gateway</body></html>\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(502, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        proxy.start();
        try {
            String url = "http://127.0.0.1:" + proxy.getAddress().getPort();
            Outcome outcome = remote("env", "status", "--server", url, "sc-x");
            assertThat(outcome.exitCode()).isEqualTo(ExitCodes.SERVER);
            assertThat(outcome.err().trim()).isEqualTo("stagecraft: INTERNAL: " + url + " answered GET "
                    + "/v1/environments/sc-x with HTTP 502, not as a Stagecraft server: <html><body>502 Bad Gateway</body></html>");
        } finally {
            proxy.stop(0);
        }
    }

    @Test
    void helpSaysWhereTheKeyComesFrom() {
        Outcome help = remote("run", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out().replaceAll("\\s+", " ")).contains("--server=URL").contains("$STAGECRAFT_SERVER")
                .contains("The API key comes from $STAGECRAFT_API_KEY only: a flag would show in ps.");
    }

    @Test
    void commandsOfThisMachineIgnoreTheVariable() {
        Outcome keys = remote("keys", "ls");
        assertThat(keys.exitCode()).as(keys.err()).isZero();
        assertThat(keys.out()).startsWith("ID");
    }

    @ParameterizedTest
    @CsvSource({"create, 125, PROVISIONING_FAILED", "exec, 126, EXEC_FAILED"})
    void failuresOfTheProviderHaveTheLocalExitCodes(String failAt, int exitCode, String code, @TempDir Path state)
            throws Exception {
        try (RunningServer failing = new RunningServer(state, Map.of(FailingProvider.FAIL_AT, failAt))) {
            Outcome here = clean(new InProcess(localState).with(FailingProvider.FAIL_AT, failAt)
                    .run("run", "--provider", "failing", "--", "true"));
            Outcome there = clean(failing.client(clientState).run("run", "--provider", "failing", "--", "true"));
            assertThat(here.exitCode()).isEqualTo(exitCode);
            assertThat(there.exitCode()).as(there.err()).isEqualTo(exitCode);
            assertThat(there.err()).contains(code).isEqualTo(here.err());
        }
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A command line split as a shell would, for the single quotes used above. */
    private static String[] split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean inWord = false;
        for (char c : line.trim().toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                inWord = true;
            } else if (c == ' ' && !quoted) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words.toArray(String[]::new);
    }
}
