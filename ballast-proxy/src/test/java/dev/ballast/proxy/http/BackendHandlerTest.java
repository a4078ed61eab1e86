package dev.ballast.proxy.http;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The timeout checks of an upstream connection, on an embedded channel with its clock stopped, so a
 * pending check's delay reads exactly. That the checks fire is shown end to end ({@code ProxyErrorsTest}).
 */
class BackendHandlerTest {

    private static final long TEN_MINUTES = TimeUnit.MINUTES.toNanos(10);

    private final EmbeddedChannel upstream = new EmbeddedChannel();
    private final BackendHandler backend;
    private final Owner owner = new Owner();

    BackendHandlerTest() {
        upstream.freezeTime();
        UpstreamCodec.ResponseDecoder responses =
                UpstreamCodec.addTo(upstream.pipeline(), new HttpDecoderConfig().setValidateHeaders(false));
        backend = new BackendHandler(responses);
        upstream.pipeline().addLast(backend);
        backend.attach(owner);
    }

    @AfterEach
    void tearDown() {
        upstream.finishAndReleaseAll();
    }

    @Test
    void aConnectionThatClosesLeavesNoTimeoutCheckBehindToHoldIt() {
        backend.awaitResponse(TEN_MINUTES);
        assertThat(upstream.runScheduledPendingTasks()).as("the armed check").isPositive();

        upstream.pipeline().fireChannelInactive(); // as the transport does; close() here would cancel every task itself

        assertThat(backend.checkArmed()).isFalse();
        assertThat(upstream.runScheduledPendingTasks()).as("nothing left scheduled").isEqualTo(-1);
        assertThat(owner.events).containsExactly("closed");
    }

    @Test
    void anEarlierDeadlineReplacesTheArmedCheckInsteadOfAddingOne() {
        backend.awaitResponse(TEN_MINUTES);
        backend.responseArrived();
        backend.awaitResponse(TimeUnit.SECONDS.toNanos(1)); // a retry's shorter try

        assertThat(upstream.runScheduledPendingTasks()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        upstream.pipeline().remove(backend); // cancels the armed check, so only a superseded one could be left
        assertThat(upstream.runScheduledPendingTasks()).isEqualTo(-1);
    }

    @Test
    void aTunnelTakingOverTheConnectionCancelsItsCheck() {
        backend.awaitBody(TEN_MINUTES, System.nanoTime());

        upstream.pipeline().remove(backend);

        assertThat(upstream.runScheduledPendingTasks()).isEqualTo(-1);
    }

    /** Records what the handler tells the exchange that owns the connection. */
    private static final class Owner implements UpstreamUser {
        final List<String> events = new ArrayList<>();

        @Override
        public void responseMessage(Object msg) {
            ReferenceCountUtil.release(msg);
            events.add("message");
        }

        @Override
        public void backendReadComplete() {
        }

        @Override
        public void backendWritable() {
        }

        @Override
        public void backendClosed(Throwable cause) {
            events.add("closed");
        }

        @Override
        public void responseTimedOut() {
            events.add("timed out");
        }

        @Override
        public void responseStalled() {
            events.add("stalled");
        }

        @Override
        public boolean readingResponse() {
            return true;
        }
    }
}
