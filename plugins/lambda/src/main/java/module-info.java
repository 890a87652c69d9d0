/**
 * The lambda provider. On the module path it is found through {@code provides}; inside a PF4J plugin (an unnamed
 * module) through META-INF/services. Both name the same class. The AWS SDK's jars come from the plugin's lib/
 * (automatic modules on the module path).
 */
module dev.stagecraft.lambda {
    requires dev.stagecraft.api;
    requires software.amazon.awssdk.services.lambda;
    requires software.amazon.awssdk.http;
    requires software.amazon.awssdk.http.urlconnection;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.profiles;
    requires software.amazon.awssdk.protocols.jsoncore;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.lambda.LambdaProvider;
}
