package dev.stagecraft.lambda;

import java.io.IOException;
import java.util.Map;

/** The provider's zip writer, for the emulator's own tests in another package. */
public final class DeploymentPackageForTests {
    private DeploymentPackageForTests() {
    }

    /** A zip of {@code files}; {@code bootstrap} marked executable or not. */
    public static byte[] zip(Map<String, byte[]> files, boolean executable) throws IOException {
        return executable ? DeploymentPackage.zip(files, "bootstrap") : DeploymentPackage.zip(files);
    }
}
