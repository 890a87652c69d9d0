package dev.stagecraft.lambda;

import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.InstanceProfileRegionProvider;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/** The region: {@code providers.lambda.region}, else AWS_REGION or aws.region, the profile's, or instance metadata's (when on). */
final class RegionSource {
    private RegionSource() {
    }

    static Optional<Region> of(LambdaSettings settings) {
        if (settings.region().isPresent()) {
            return settings.region().map(Region::of);
        }
        Optional<Region> found = attempt(() -> new SystemSettingsRegionProvider().getRegion());
        if (found.isEmpty()) {
            found = attempt(() -> new AwsProfileRegionProvider(null, settings.profile().orElse(null)).getRegion());
        }
        if (found.isEmpty() && settings.instanceMetadata()) {
            found = attempt(() -> new InstanceProfileRegionProvider().getRegion());
        }
        return found;
    }

    private static Optional<Region> attempt(java.util.function.Supplier<Region> provider) {
        try {
            return Optional.ofNullable(provider.get());
        } catch (SdkClientException e) {
            return Optional.empty();
        }
    }
}
