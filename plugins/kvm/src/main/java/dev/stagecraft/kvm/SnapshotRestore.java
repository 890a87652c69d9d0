package dev.stagecraft.kvm;

import dev.stagecraft.api.ProvisioningException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Starts a defined environment from its shape's {@link BootSnapshot} instead of booting it: the template's workspace
 * overlay copied as the environment's, the save file fed through a FIFO with the environment's XML, then the guest
 * made its own. A restored guest would otherwise share the template's clock (minutes behind) and, worse, its kernel
 * random generator state with every other environment of the shape: the clock is set and the generator gets 64 fresh
 * bytes from the host and an immediate reseed ({@code RNDRESEEDCRNG}) before any command runs. Any failure stops the
 * half-restored guest and answers false: the caller boots the environment.
 */
final class SnapshotRestore {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Sets the clock to $1 (seconds since the epoch) and reseeds the kernel's generator from standard input. */
    static final String FRESHEN = String.join("\n",
            "date -u -s \"@$1\" >/dev/null || exit 3",
            "exec perl -e 'open(my $w, \">\", \"/dev/urandom\") or die \"urandom: $!\\n\"; binmode STDIN;"
                    + " (read(STDIN, my $seed, 64) // 0) == 64 or die \"short seed\\n\";"
                    + " syswrite($w, $seed) == 64 or die \"write: $!\\n\";"
                    + " ioctl($w, 0x5207, 0) or die \"RNDRESEEDCRNG: $!\\n\"'");

    private SnapshotRestore() {
    }

    static boolean restore(KvmProvider provider, BootSnapshot snapshot, Domain domain, DomainPlan plan,
                           KvmEnvironment env, Path workspaceBase) {
        try {
            if (!snapshot.ready()) {
                snapshot.build(provider, workspaceBase);
            }
        } catch (ProvisioningException e) {
            provider.snapshotProblem("no boot snapshot could be made: " + e.getMessage());
            return false;
        }
        try {
            if (snapshot.workspace().isPresent() && plan.overlay().isPresent()) {
                Files.copy(snapshot.workspace().get(), plan.overlay().get(), StandardCopyOption.REPLACE_EXISTING);
            }
            String xml = snapshot.restoreXml(domain.getXMLDesc(0), plan.serialLog(), plan.overlay());
            long started = System.nanoTime();
            feed(provider, snapshot, xml, snapshot.fifoFor(plan.name()));
            provider.awaitReady(domain, env, started);
            freshen(new GuestAgent(domain, env.id()));
            snapshot.touch();
            return true;
        } catch (IOException | LibvirtException | RuntimeException e) {
            String why = e instanceof LibvirtException ? Libvirt.message((LibvirtException) e) : e.getMessage();
            provider.snapshotProblem("restoring " + plan.name() + " failed, so it booted: " + why);
            stop(domain);
            snapshot.discard();
            return false;
        }
    }

    /** Writes the save file with the environment's XML into a FIFO while libvirtd restores from it. */
    private static void feed(KvmProvider provider, BootSnapshot snapshot, String xml, Path fifo)
            throws IOException, LibvirtException {
        SaveImage image = SaveImage.read(snapshot.stateFile());
        Files.deleteIfExists(fifo);
        HostTool.run("mkfifo", "apt-get install coreutils", "make the restore FIFO " + fifo, "-m", "600", fifo.toString());
        AtomicReference<IOException> failure = new AtomicReference<>();
        Thread feeder = new Thread(() -> {
            try {
                image.streamTo(xml, fifo);
            } catch (IOException e) {
                failure.set(e);
            }
        }, "stagecraft-kvm-restore");
        feeder.setDaemon(true);
        feeder.start();
        try {
            provider.libvirt().connection().restore(fifo.toString());
        } finally {
            unblock(feeder, fifo);
            Files.deleteIfExists(fifo);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** A feeder still waiting for a reader (libvirtd failed before opening the FIFO) is let go. */
    private static void unblock(Thread feeder, Path fifo) {
        if (!feeder.isAlive()) {
            return;
        }
        Thread reader = new Thread(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                in.close();
            } catch (IOException e) {
                // the feeder gets a broken pipe either way
            }
        }, "stagecraft-kvm-restore-unblock");
        reader.setDaemon(true);
        reader.start();
        try {
            feeder.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void freshen(GuestAgent agent) throws LibvirtException {
        Instant now = Instant.now();
        byte[] seed = new byte[64];
        RANDOM.nextBytes(seed);
        GuestAgent.HelperResult result = agent.helper(FRESHEN,
                List.of(now.getEpochSecond() + "." + String.format("%09d", now.getNano())), seed);
        if (result.exitCode() != 0) {
            throw new ProvisioningException("could not set the restored guest's clock and reseed its random generator"
                    + " (exit " + result.exitCode() + "): " + result.stderr().trim());
        }
    }

    private static void stop(Domain domain) {
        try {
            if (domain.isActive() == 1) {
                domain.destroy();
            }
        } catch (LibvirtException e) {
            // not running, or gone: the boot that follows says so
        }
    }
}
