package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wrapper every plugin's environment is seen through must pass on every SPI method, default ones included: a
 * default left to the interface would silently answer for the plugin (as a new SPI method would, unnoticed).
 */
class TestContextBoundEnvironment {
    @Test
    void everyMethodOfTheEnvironmentSpiIsPassedOn() {
        assertPassesOn(ExecutionEnvironment.class, ContextBoundEnvironment.class);
    }

    @Test
    void everyMethodOfTheProviderSpiIsPassedOn() {
        assertPassesOn(EnvironmentProvider.class, ContextBoundProvider.class);
    }

    private static void assertPassesOn(Class<?> spi, Class<?> wrapper) {
        for (Method method : spi.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            boolean declared = Arrays.stream(wrapper.getDeclaredMethods())
                    .anyMatch(m -> m.getName().equals(method.getName())
                            && Arrays.equals(m.getParameterTypes(), method.getParameterTypes()));
            assertThat(declared).as(wrapper.getSimpleName() + " passes on " + method).isTrue();
        }
    }
}
