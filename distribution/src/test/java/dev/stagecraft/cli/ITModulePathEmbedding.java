package dev.stagecraft.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Embedding on the module path: an application module that requires dev.stagecraft.core finds the sandbox
 * provider through {@code uses}/{@code provides} (the sandbox jar's module-info), not through a plugins folder,
 * and runs a real command in it, from the very plugin file the distribution ships (unpacked). Proves the
 * module descriptors of api, core and the plugin agree.
 */
class ITModulePathEmbedding {
    @TempDir
    Path work;

    @Test
    void applicationModuleRunsACommandInTheSandbox() throws Exception {
        Path archive = Path.of(System.getProperty("stagecraft.distribution"));
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", work.toString()).inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        Path home = work.resolve("stagecraft-" + System.getProperty("stagecraft.version"));
        List<String> modulePath = new ArrayList<>();
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            jars.filter(j -> !j.getFileName().toString().startsWith("stagecraft-distribution"))
                    .forEach(j -> modulePath.add(j.toString()));
        }
        // The shipped plugin file, unpacked: classes/ is an exploded module, lib/ holds its libraries.
        Path plugin = work.resolve("sandbox-plugin");
        Process unzip = new ProcessBuilder("unzip", "-q", home.resolve("plugins/stagecraft-plugin-sandbox-0.1.0.zip").toString(),
                "-d", plugin.toString()).inheritIO().start();
        assertThat(unzip.waitFor()).isZero();
        modulePath.add(plugin.resolve("classes").toString());
        try (Stream<Path> jars = Files.list(plugin.resolve("lib"))) {
            jars.forEach(j -> modulePath.add(j.toString()));
        }

        Path source = work.resolve("src/embed.example");
        Files.createDirectories(source.resolve("embed"));
        Files.writeString(source.resolve("module-info.java"), "module embed.example { requires dev.stagecraft.core; }\n");
        Files.writeString(source.resolve("embed/Main.java"), String.join("\n",
                "package embed;",
                "import dev.stagecraft.api.*;",
                "import dev.stagecraft.core.Stagecraft;",
                "import dev.stagecraft.core.manager.Lease;",
                "public class Main {",
                "  public static void main(String[] args) {",
                "    try (Stagecraft stagecraft = Stagecraft.builder().stateDirectory(java.nio.file.Path.of(args[0]))",
                "             .environment(java.util.Map.of()).build();",
                "         Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build())) {",
                "      ExecResult result = lease.execute(ExecRequest.of(\"sh\", \"-c\", \"echo embedded\"));",
                "      System.out.print(lease.kind() + \": \" + result.stdoutText());",
                "    }",
                "  }",
                "}", ""));
        Path classes = work.resolve("classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int compiled = javac.run(null, null, null, "-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modulePath), "--module-source-path", work.resolve("src").toString(),
                "-m", "embed.example");
        assertThat(compiled).isZero();

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", String.join(File.pathSeparator, modulePath) + File.pathSeparator + classes,
                "-m", "embed.example/embed.Main", work.resolve("state").toString()));
        Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(java.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.exitValue()).as(output).isZero();
        assertThat(output).isEqualTo("sandbox: embedded\n");
    }
}
