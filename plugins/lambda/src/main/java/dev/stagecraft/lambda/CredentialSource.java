package dev.stagecraft.lambda;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.profiles.ProfileFile;

/**
 * Where the provider's AWS credentials come from, and its name for messages. Without a configured profile it is the
 * SDK's usual order (environment variables, Java system properties, the shared files' default profile, the container
 * credentials endpoint when one is configured), and the instance metadata service only when
 * {@code instance-metadata} is on: off AWS its address answers no one, and a probe should not wait on it.
 */
record CredentialSource(AwsCredentialsProvider provider, String description) {
    static CredentialSource of(LambdaSettings settings) {
        if (settings.credentialsFile().isPresent()) {
            String profile = settings.profile().orElse("default");
            ProfileFile file = ProfileFile.builder().content(settings.credentialsFile().get())
                    .type(ProfileFile.Type.CREDENTIALS).build();
            return new CredentialSource(ProfileCredentialsProvider.builder().profileFile(file).profileName(profile).build(),
                    "profile '" + profile + "' of " + settings.credentialsFile().get());
        }
        if (settings.profile().isPresent()) {
            return new CredentialSource(ProfileCredentialsProvider.create(settings.profile().get()),
                    "profile '" + settings.profile().get() + "' of ~/.aws/credentials and ~/.aws/config");
        }
        List<AwsCredentialsProvider> chain = new ArrayList<>(List.of(EnvironmentVariableCredentialsProvider.create(),
                SystemPropertyCredentialsProvider.create(), ProfileCredentialsProvider.create(),
                ContainerCredentialsProvider.builder().build()));
        String names = "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, aws.accessKeyId/aws.secretAccessKey, the default profile"
                + " of ~/.aws/credentials, the container credentials endpoint";
        if (settings.instanceMetadata()) {
            chain.add(InstanceProfileCredentialsProvider.create());
            names += ", the instance metadata service";
        }
        return new CredentialSource(AwsCredentialsProviderChain.builder().credentialsProviders(chain)
                .reuseLastProviderEnabled(false).build(), "the credential chain (" + names + ")");
    }
}
