package dev.stagecraft.sandbox;

import java.util.Map;

/** The same posture when bubblewrap starts behind the wrapper shell (systems whose C library lacks closefrom). */
class TestSandboxPostureShellLauncher extends TestSandboxPosture {
    @Override
    Map<String, ?> settings() {
        return Map.of("launcher", "shell");
    }
}
