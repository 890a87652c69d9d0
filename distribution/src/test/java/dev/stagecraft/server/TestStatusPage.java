package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.server.ServerFixture.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status page at {@code /} against the real sandbox: an environment with a hostile label and a {@code /v1/run}
 * made through the API show up in it, escaped, for an operator key only (bearer or Basic); headless Chromium renders
 * it, and its screenshot and DOM hold that data.
 */
class TestStatusPage {
    private static final String LABEL = "<script>alert('x')</script>";
    private static final String ESCAPED_LABEL = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;";
    /** The background of the page's green badges (available, READY, the chosen kind). */
    private static final int BADGE_GREEN = 0xd8f3df;

    @TempDir
    Path state;
    @TempDir
    Path browser;

    private ServerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServerFixture(state, Map.of());
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    /** An environment labelled {@link #LABEL} and one run, by tenant {@code acme}; the environment's id. */
    private String tenantTraffic(String key) {
        Answer created = fixture.send("POST", "/v1/environments", key,
                "{\"ttl\":\"10m\",\"memory\":\"256m\",\"labels\":{\"note\":\"" + LABEL + "\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        Answer run = fixture.send("POST", "/v1/run", key,
                "{\"argv\":[\"echo\",\"hi\"],\"requirement\":{\"security\":\"low\",\"toolType\":\"status-check\"}}");
        assertThat(run.json().get("stdout").asText()).isEqualTo("hi\n");
        return created.json().get("id").asText();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anOperatorSeesEveryTenantsRealDataEscaped() {
        String key = fixture.key("acme");
        String operator = fixture.operatorKey("ops");
        String id = tenantTraffic(key);
        String explanation = fixture.send("POST", "/v1/select", key, "{\"security\":\"low\",\"toolType\":\"status-check\"}")
                .json().get("explanation").asText();

        Answer page = fixture.send("GET", "/", operator, null);
        assertThat(page.status()).as(page.text()).isEqualTo(200);
        assertThat(page.header("Content-Type")).contains("text/html; charset=utf-8");
        assertThat(page.header("Content-Security-Policy")).hasValueSatisfying(policy -> assertThat(policy).startsWith("default-src 'none'"));
        String html = page.text();
        assertThat(html).contains("<code>" + id + "</code>", "<code>sandbox</code>", "<span class=\"ok\">available</span>",
                "acme", "<code>note=" + ESCAPED_LABEL + "</code>", "label note=" + ESCAPED_LABEL,
                "tool status-check", StatusPage.escape(explanation.stripTrailing()), "256.0 MiB");
        assertThat(html).doesNotContain("<script", "alert('x')");

        JsonNode status = fixture.send("GET", "/v1/status", operator, null).json();
        JsonNode environment = status.get("environments").get(0);
        assertThat(environment.get("tenant").asText()).isEqualTo("acme");
        assertThat(environment.get("environment").get("id").asText()).isEqualTo(id);
        assertThat(environment.get("environment").get("labels").get("note").asText()).isEqualTo(LABEL);
        assertThat(environment.get("environment").get("usage").get("memoryLimitBytes").asLong()).isEqualTo(256L << 20);
        JsonNode selections = status.get("selections");
        assertThat(selections.findValuesAsText("purpose")).containsExactly("select", "run", "create");
        JsonNode run = selections.get(1);
        assertThat(run.get("tenant").asText()).isEqualTo("acme");
        assertThat(run.get("chosen").asText()).isEqualTo("sandbox");
        assertThat(run.get("requirement").asText()).isEqualTo("security low, tool status-check");
        assertThat(run.get("explanation").asText()).isEqualTo(explanation).startsWith("selected: sandbox");
        assertThat(status.get("providers").findValuesAsText("kind")).contains("sandbox");
    }

    @Test
    void onlyAnOperatorKeyOpensItAsBearerOrBasicPassword() {
        String key = fixture.key("acme");
        String operator = fixture.operatorKey("ops");
        for (String path : new String[] {"/", "/v1/status"}) {
            Answer none = fixture.send("GET", path, null, null);
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.header("WWW-Authenticate")).contains("Basic realm=\"stagecraft\", charset=\"UTF-8\"");
            assertThat(none.json().get("error").get("code").asText()).isEqualTo("UNAUTHENTICATED");

            Answer tenant = fixture.send("GET", path, key, null);
            assertThat(tenant.status()).isEqualTo(403);
            assertThat(tenant.json().get("error").get("code").asText()).isEqualTo("FORBIDDEN");
            assertThat(tenant.json().get("error").get("message").asText()).contains("not an operator key", "--operator");
            assertThat(fixture.sendBytes("GET", path, null, null, Map.of("Authorization", basic("x", key))).status())
                    .isEqualTo(403);

            assertThat(fixture.sendBytes("GET", path, null, null, Map.of("Authorization", basic("operator", operator))).status())
                    .isEqualTo(200);
            assertThat(fixture.sendBytes("GET", path, null, null, Map.of("Authorization", basic("operator", operator + "x")))
                    .status()).isEqualTo(401);
            assertThat(fixture.sendBytes("GET", path, null, null, Map.of("Authorization", "Basic !!")).json()
                    .get("error").get("message").asText()).startsWith("malformed Basic credentials");
        }
        // Basic is for the operator routes, where a browser needs it; the API still takes only a bearer token
        assertThat(fixture.sendBytes("GET", "/v1/environments", null, null, Map.of("Authorization", basic("x", key))).status())
                .isEqualTo(401);
        // an operator key is a key of its own tenant on the API: it does not see another tenant's environments there
        fixture.send("POST", "/v1/environments", key, "{\"ttl\":\"10m\"}");
        assertThat(fixture.send("GET", "/v1/environments", operator, null).json()).isEmpty();
    }

    /**
     * Chromium as a person's browser would: credentials in the URL answer the page's Basic challenge; the screenshot has
     * the asked size, is not blank and shows the page's green badges; the DOM it rendered holds the environment's id.
     */
    @Test
    void headlessChromiumRendersThePageWithRealData() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.find(browser);
        String id = tenantTraffic(fixture.key("acme"));
        String url = "http://operator:" + fixture.operatorKey("ops") + "@127.0.0.1:" + fixture.server.address().getPort() + "/";

        String dom = chromium.dumpDom(url);
        assertThat(dom).contains("Stagecraft status", id, "sandbox", "acme", "selected: sandbox", ESCAPED_LABEL.replace("&#39;", "'"))
                .doesNotContain("<script");

        BufferedImage image = ImageIO.read(chromium.screenshot(url, 1200, 1600).toFile());
        assertThat(image.getWidth()).isEqualTo(1200);
        assertThat(image.getHeight()).isEqualTo(1600);
        Map<Integer, Integer> colours = new HashMap<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.merge(image.getRGB(x, y) & 0xffffff, 1, Integer::sum);
            }
        }
        int background = colours.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        long drawn = (long) image.getWidth() * image.getHeight() - colours.get(background);
        assertThat(colours.size()).as("distinct colours (text is anti-aliased)").isGreaterThan(50);
        assertThat(drawn).as("pixels off the background").isGreaterThan(20_000);
        assertThat(colours.getOrDefault(BADGE_GREEN, 0)).as("pixels of the green badges").isGreaterThan(200);
        assertThat(background).as("the page's own background, not a browser's error page").isEqualTo(0xf7f8fa);
    }
}
