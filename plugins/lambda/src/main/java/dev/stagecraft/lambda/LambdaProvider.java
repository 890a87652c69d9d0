package dev.stagecraft.lambda;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.model.GetAccountSettingsResponse;

/**
 * AWS Lambda functions as environments, through the AWS SDK for Java v2 (its URL-connection HTTP client). Each
 * environment is one function, {@code stagecraft-<id>}, on an OS-only runtime whose bootstrap (a POSIX shell loop
 * on the Lambda Runtime API, resource {@code bootstrap}) runs commands under /tmp/workspace. The labels are the
 * function's tags, so {@link #discover()} needs nothing of this process.
 *
 * <p>Isolation is a Firecracker microVM per execution environment ({@link IsolationLevel#VM}); the network is always
 * on and no egress policy is held; the workspace lives only while Lambda keeps the execution environment warm, so
 * there is no persistent storage.
 */
public final class LambdaProvider implements EnvironmentProvider {
    public static final String KIND = "lambda";

    private volatile LambdaSettings settings;
    private volatile LambdaApi api;
    private final Map<String, FunctionGate> gates = new ConcurrentHashMap<>();

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void initialize(ProviderContext context) {
        LambdaSettings parsed = LambdaSettings.from(context.settings());
        LambdaApi old;
        synchronized (this) {
            old = api;
            settings = parsed;
            api = null;
        }
        if (old != null) {
            old.close();
        }
    }

    private LambdaSettings settings() {
        LambdaSettings s = settings;
        if (s == null) {
            synchronized (this) {
                if (settings == null) {
                    settings = LambdaSettings.from(Settings.empty("providers.lambda"));
                }
                s = settings;
            }
        }
        return s;
    }

    /** The client, made on first use; without a region there is none. */
    LambdaApi api() {
        LambdaApi current = api;
        if (current != null) {
            return current;
        }
        synchronized (this) {
            if (api == null) {
                LambdaSettings s = settings();
                Region region = RegionSource.of(s).orElseThrow(() -> new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE,
                        "no AWS region: set providers.lambda.region (e.g. eu-west-1) or AWS_REGION"));
                api = new LambdaApi(s, CredentialSource.of(s), region);
            }
            return api;
        }
    }

    private FunctionGate gate(String functionName) {
        return gates.computeIfAbsent(functionName, name -> new FunctionGate());
    }

    @Override
    public ProviderCapabilities describe() {
        LambdaSettings s = settings();
        return new ProviderCapabilities(KIND, Set.of(IsolationLevel.VM), s.startupEstimate(), s.executionEfficiency(),
                s.costPerHour(), false, true, false, FunctionSizing.CEILING, EgressControl.NONE, true, true);
    }

    @Override
    public ProviderHealth probe() {
        LambdaSettings s;
        try {
            s = settings();
        } catch (StagecraftException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("fix the configuration key it names"), Map.of());
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("runtime", s.runtime());
        details.put("architecture", s.architecture());
        s.endpoint().ifPresent(e -> details.put("endpoint", e.toString()));
        Optional<Region> region = RegionSource.of(s);
        if (region.isEmpty()) {
            return ProviderHealth.unavailable("no AWS region configured", List.of(
                    "set providers.lambda.region (e.g. eu-west-1), or AWS_REGION"), details);
        }
        details.put("region", region.get().id());
        if (!s.roleConfigured()) {
            return ProviderHealth.unavailable("providers.lambda.role is not set (the functions' execution role)",
                    List.of("create the role (docs/providers/lambda.md) and set providers.lambda.role to its ARN"), details);
        }
        details.put("role", s.role());
        LambdaApi client;
        try {
            client = api();
        } catch (StagecraftException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("set providers.lambda.region"), details);
        }
        details.put("credentials", client.credentialSource());
        try {
            client.credentialSourceProvider().resolveCredentials();
        } catch (SdkException e) {
            return ProviderHealth.unavailable("no AWS credentials found in " + client.credentialSource(), List.of(
                    "run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    "or set providers.lambda.profile (and providers.lambda.credentials-file) to a profile that has keys"),
                    details);
        }
        GetAccountSettingsResponse account;
        try {
            account = client.client().getAccountSettings();
        } catch (SdkException e) {
            return ProviderHealth.unavailable(client.describe("call GetAccountSettings", e), remedies(e, client), details);
        }
        if (account.accountLimit() != null) {
            details.put("concurrent-executions", String.valueOf(account.accountLimit().concurrentExecutions()));
        }
        if (account.accountUsage() != null) {
            details.put("functions", String.valueOf(account.accountUsage().functionCount()));
        }
        return ProviderHealth.available("AWS Lambda in " + region.get().id() + " answers GetAccountSettings ("
                + s.runtime() + ", " + s.architecture() + ")", details);
    }

    private static List<String> remedies(SdkException e, LambdaApi client) {
        String type = LambdaApi.errorType(e);
        if (type.equals("AccessDeniedException")) {
            return List.of("allow lambda:GetAccountSettings to these credentials (docs/providers/lambda.md has the policy)");
        }
        if (LambdaApi.credentialRefusal(type)) {
            return List.of("check the keys in " + client.credentialSource() + " (`aws sts get-caller-identity` shows"
                    + " whether AWS accepts them)");
        }
        return List.of("check providers.lambda.endpoint and that this host reaches it");
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        LambdaSettings s = settings();
        LambdaApi client;
        try {
            client = api();
        } catch (StagecraftException e) {
            throw new ProvisioningException(e.getMessage(), e);
        }
        return FunctionCreation.create(spec, s, client, gate(FunctionNames.of(s.functionPrefix(), spec.id())));
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        return FunctionDiscovery.discover(settings(), api(), this::gate);
    }

    @Override
    public void close() {
        LambdaApi current = api;
        if (current != null) {
            current.close();
        }
    }
}
