package dev.stagecraft.docker;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The end marker found in a stream however the stream is cut, and nothing else taken for it. */
class TestMarkerScanner {
    private static final String NONCE = "0123456789abcdef0123456789abcdef";

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Feeds {@code stream} in pieces of the given sizes (cycled); returns the scanner and what it passed on. */
    private static Result scan(byte[] stream, int... pieces) {
        return scan(false, stream, pieces);
    }

    private static Result scan(boolean awaitBegin, byte[] stream, int... pieces) {
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        MarkerScanner scanner = new MarkerScanner(NONCE, awaitBegin, passed::write);
        int at = 0;
        for (int i = 0; at < stream.length; i++) {
            int n = Math.min(pieces[i % pieces.length], stream.length - at);
            // a copy with room around it: the scanner must respect offset and length
            byte[] frame = new byte[n + 6];
            System.arraycopy(stream, at, frame, 3, n);
            scanner.feed(frame, 3, n);
            at += n;
        }
        return new Result(scanner, passed.toByteArray());
    }

    private record Result(MarkerScanner scanner, byte[] passed) {
    }

    @Test
    void findsTheMarkerSplitAtEveryPossiblePoint() {
        byte[] output = "line one\nline two without end".getBytes(UTF_8);
        byte[] stream = concat(output, MarkerScanner.marker(NONCE, "42"), "late bytes".getBytes(UTF_8));
        for (int cut = 1; cut < stream.length; cut++) {
            Result r = scan(stream, cut, stream.length);
            assertThat(r.scanner().status()).as("cut at %d", cut).isEqualTo("42");
            assertThat(r.passed()).as("cut at %d", cut).isEqualTo(output);
        }
        Result byteByByte = scan(stream, 1);
        assertThat(byteByByte.scanner().status()).isEqualTo("42");
        assertThat(byteByByte.passed()).isEqualTo(output);
    }

    @Test
    void aMarkerWithAnotherNonceAndPartialMarkersAreOutput() {
        byte[] fake = MarkerScanner.marker("ffffffffffffffffffffffffffffffff", "0");
        byte[] partial = ("\036stagecraft:" + NONCE.substring(0, 10) + "\036\036stagecraft:" + NONCE + "x").getBytes(US_ASCII);
        byte[] output = concat(fake, "\036\036\036".getBytes(US_ASCII), partial, "tail".getBytes(UTF_8));
        for (int piece : new int[] {1, 2, 7, 64}) {
            Result r = scan(concat(output, MarkerScanner.marker(NONCE, "0")), piece);
            assertThat(r.scanner().status()).isEqualTo("0");
            assertThat(r.passed()).as("pieces of %d", piece).isEqualTo(output);
        }
    }

    @Test
    void withoutAMarkerEverythingIsOutputOnceTheStreamEnds() {
        byte[] stream = concat("all of it".getBytes(UTF_8), Arrays.copyOf(MarkerScanner.marker(NONCE, "0"), 20));
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        MarkerScanner scanner = new MarkerScanner(NONCE, passed::write);
        scanner.feed(stream, 0, stream.length);
        assertThat(passed.toByteArray()).as("the start of a marker is held back").hasSize(9);
        scanner.endOfStream();
        assertThat(passed.toByteArray()).isEqualTo(stream);
        assertThat(scanner.status()).isNull();
        assertThat(scanner.violation()).isNull();
    }

    @Test
    void awaitingItsBeginMarkerItDropsWhatCameBeforeWhereverTheStreamIsCut() {
        // What another client's request left in the stream: its output, its markers, bytes that look like ours.
        byte[] foreign = concat("another caller's output\n".getBytes(UTF_8), MarkerScanner.beginMarker("f".repeat(32)),
                MarkerScanner.marker("f".repeat(32), "0"), ("\036stagecraft:" + NONCE.substring(0, 8) + "\036").getBytes(US_ASCII),
                ("\036stagecraft:" + NONCE + " 1\036").getBytes(US_ASCII), "\036\036".getBytes(US_ASCII));
        byte[] output = "mine\n\036stagecraft:x".getBytes(UTF_8);
        byte[] stream = concat(foreign, MarkerScanner.beginMarker(NONCE), output, MarkerScanner.marker(NONCE, "7"), "after".getBytes(UTF_8));
        for (int cut = 1; cut < stream.length; cut++) {
            Result r = scan(true, stream, cut, stream.length);
            assertThat(r.scanner().status()).as("cut at %d", cut).isEqualTo("7");
            assertThat(r.passed()).as("cut at %d", cut).isEqualTo(output);
        }
        Result byteByByte = scan(true, stream, 1);
        assertThat(byteByByte.passed()).isEqualTo(output);
        assertThat(byteByByte.scanner().awaitingBegin()).isFalse();
    }

    @Test
    void withoutItsBeginMarkerNothingIsPassedOnAndNoStatusIsTaken() {
        byte[] stream = concat("output\n".getBytes(UTF_8), MarkerScanner.marker(NONCE, "0"),
                Arrays.copyOf(MarkerScanner.beginMarker(NONCE), 10));
        Result r = scan(true, stream, 5);
        assertThat(r.passed()).isEmpty();
        assertThat(r.scanner().status()).as("an end marker before the begin marker is not this request's").isNull();
        r.scanner().endOfStream();
        assertThat(r.scanner().awaitingBegin()).isTrue();
        assertThat(r.scanner().violation()).isNull();
    }

    @Test
    void aMarkerWithTheNonceButABrokenStatusIsAViolation() {
        for (String status : new String[] {"", "4 2", "x".repeat(MarkerScanner.STATUS_MAX + 1), "ü"}) {
            byte[] stream = concat(("\036stagecraft:" + NONCE + " ").getBytes(US_ASCII), status.getBytes(UTF_8),
                    "\036".getBytes(US_ASCII));
            Result r = scan(stream, 3);
            assertThat(r.scanner().violation()).as("status '%s'", status).isNotNull();
            assertThat(r.scanner().status()).isNull();
        }
        byte[] unterminated = concat(("\036stagecraft:" + NONCE + " 1").getBytes(US_ASCII), new byte[1 << 20]);
        assertThat(scan(unterminated, 4096).scanner().violation()).as("a status that never ends").isNotNull();
    }

    @Test
    void outputPastTheCapIsDroppedButTheMarkerBehindItIsStillFound() {
        byte[] flood = new byte[3 << 20];
        Arrays.fill(flood, (byte) 'z');
        CappedOutput capped = new CappedOutput(1000);
        MarkerScanner scanner = new MarkerScanner(NONCE, capped::add);
        byte[] stream = concat(flood, MarkerScanner.marker(NONCE, "0"));
        for (int at = 0; at < stream.length; at += 32 * 1024) {
            scanner.feed(stream, at, Math.min(32 * 1024, stream.length - at));
        }
        assertThat(scanner.status()).isEqualTo("0");
        assertThat(capped.bytes()).hasSize(1000);
        assertThat(capped.truncated()).isTrue();
    }

    @Test
    void anExitCodeIsZeroTo255AndNothingElse() {
        assertThat(AgentCall.exitCode("0")).isZero();
        assertThat(AgentCall.exitCode("255")).isEqualTo(255);
        assertThat(AgentCall.exitCode("256")).isEqualTo(-1);
        assertThat(AgentCall.exitCode("pws")).isEqualTo(-1);
        assertThat(AgentCall.exitCode("1234")).isEqualTo(-1);
        assertThat(AgentLink.Flags.parse("pbwsh")).isEqualTo(new AgentLink.Flags(true, true, true, true));
        assertThat(AgentLink.Flags.parse("pwsh")).as("an older agent").isEqualTo(new AgentLink.Flags(true, true, true, false));
        assertThat(AgentLink.Flags.parse("ps")).isEqualTo(new AgentLink.Flags(false, true, false, false));
        assertThat(AgentLink.Flags.parse("0")).isNull();
    }
}
