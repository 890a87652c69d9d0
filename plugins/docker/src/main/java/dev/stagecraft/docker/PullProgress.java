package dev.stagecraft.docker;

import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.ResponseItem;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A pull's progress as lines on a stream: one when it starts, one every {@link #EVERY_NANOS} while layers download
 * ("3.1 MB of 12 MB, 2 of 5 layers done"), one when it is done, so that a first run that pulls a large image is
 * not silent for minutes. The Engine reports per layer: bytes so far and in all while downloading, then "Pull
 * complete" or "Already exists".
 */
final class PullProgress extends PullImageResultCallback {
    static final long EVERY_NANOS = 2_000_000_000L;

    private final String image;
    private final PrintStream out;
    private final LongSupplier clock;
    private final long started;
    private final Map<String, long[]> downloading = new HashMap<>();
    private final Set<String> layers = new HashSet<>();
    private final Set<String> done = new HashSet<>();
    private long lastLine;

    PullProgress(String image, PrintStream out, LongSupplier clock) {
        this.image = image;
        this.out = out;
        this.clock = clock;
        this.started = clock.getAsLong();
        this.lastLine = started;
        out.println("stagecraft docker: pulling " + image + " ...");
    }

    @Override
    public void onNext(PullResponseItem item) {
        super.onNext(item);
        String layer = item.getId();
        String status = item.getStatus();
        if (layer == null || status == null || layer.equals(tagOf(image))) {
            return;
        }
        synchronized (this) {
            layers.add(layer);
            ResponseItem.ProgressDetail detail = item.getProgressDetail();
            if (status.startsWith("Downloading") && detail != null && detail.getCurrent() != null && detail.getTotal() != null) {
                downloading.put(layer, new long[] {detail.getCurrent(), detail.getTotal()});
            } else if (status.equals("Download complete") && downloading.containsKey(layer)) {
                long[] bytes = downloading.get(layer);
                bytes[0] = bytes[1];
            } else if (status.equals("Pull complete") || status.equals("Already exists")) {
                done.add(layer);
            }
            long now = clock.getAsLong();
            if (now - lastLine >= EVERY_NANOS) {
                lastLine = now;
                out.println("stagecraft docker: pulling " + image + ": " + summary());
            }
        }
    }

    /** The closing line, once the image is on the Engine. */
    synchronized void finished() {
        out.println(String.format(Locale.ROOT, "stagecraft docker: pulled %s (%s, %.1f s)", image, summary(),
                (clock.getAsLong() - started) / 1e9));
    }

    /** "3.1 of 12.0 MB downloaded, 2 of 5 layers done". */
    synchronized String summary() {
        long current = 0;
        long total = 0;
        for (long[] bytes : downloading.values()) {
            current += bytes[0];
            total += bytes[1];
        }
        return String.format(Locale.ROOT, "%.1f of %.1f MB downloaded, %d of %d layers done", current / 1e6, total / 1e6,
                done.size(), layers.size());
    }

    /** The Engine's first status line names the tag ("Pulling from ..." carries it as the id). */
    private static String tagOf(String image) {
        int at = image.indexOf('@');
        if (at >= 0) {
            return image.substring(at + 1);
        }
        int colon = image.lastIndexOf(':');
        return colon > image.lastIndexOf('/') ? image.substring(colon + 1) : "latest";
    }
}
