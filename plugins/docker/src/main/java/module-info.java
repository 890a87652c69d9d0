/**
 * The docker provider. On the module path it is found through {@code provides}; inside a PF4J plugin (an unnamed
 * module) through META-INF/services. Both name the same class. docker-java and its jackson and commons-compress come
 * from the plugin's lib/ (automatic modules on the module path).
 */
module dev.stagecraft.docker {
    requires dev.stagecraft.api;
    requires com.github.dockerjava.api;
    requires com.github.dockerjava.core;
    requires com.github.dockerjava.transport;
    requires com.github.dockerjava.transport.zerodep;
    requires com.fasterxml.jackson.databind;
    requires org.apache.commons.compress;

    provides dev.stagecraft.api.EnvironmentProvider with dev.stagecraft.docker.DockerProvider;
}
