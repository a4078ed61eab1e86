package dev.ballast.proxy.loop;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BatchedFlushHandlerTest {

    /** Which channel reached the transport with a flush, in order. */
    private final List<String> flushes = new ArrayList<>();
    private final EmbeddedChannel first = channel("first");
    private final EmbeddedChannel second = channel("second");
    /** The test thread's batch: EmbeddedChannel runs its pipeline on the calling thread. */
    private final FlushBatch batch = FlushBatch.current();
    private final List<EmbeddedChannel> more = new ArrayList<>();

    private EmbeddedChannel channel(String name) {
        return new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes.add(name);
                ctx.flush();
            }
        }, new BatchedFlushHandler());
    }

    /** One connection more than a batch holds, named c0, c1, ... */
    private List<EmbeddedChannel> moreThanABatchHolds() {
        for (int i = 0; i <= FlushBatch.MOST_HELD; i++) {
            more.add(channel("c" + i));
        }
        return more;
    }

    @AfterEach
    void closeChannels() {
        batch.close();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
        more.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void flushesAtOnceWhenNoPassIsUnderWay() {
        first.writeAndFlush("a");

        assertThat((String) first.readOutbound()).isEqualTo("a");
        assertThat(flushes).containsExactly("first");
    }

    @Test
    void holdsTheFlushesOfAPassUntilItEndsThenFlushesEachConnectionOnceInOrder() {
        batch.open();
        second.writeAndFlush("b1");
        first.writeAndFlush("a1");
        second.writeAndFlush("b2");

        assertThat(first.outboundMessages()).as("held").isEmpty();
        assertThat(second.outboundMessages()).as("held").isEmpty();
        assertThat(flushes).isEmpty();

        batch.close();
        assertThat(flushes).containsExactly("second", "first");
        assertThat(second.outboundMessages()).containsExactly("b1", "b2");
        assertThat(first.outboundMessages()).containsExactly("a1");
    }

    @Test
    void flushesAtOnceAgainOnceThePassHasEnded() {
        batch.open();
        first.writeAndFlush("a1");
        batch.close();
        first.writeAndFlush("a2");

        assertThat(first.outboundMessages()).containsExactly("a1", "a2");
        assertThat(flushes).containsExactly("first", "first");
    }

    @Test
    void aCloseSendsWhatWasHeldFirst() {
        batch.open();
        first.writeAndFlush("last response");
        first.close();

        assertThat((String) first.readOutbound()).as("flushed before the close").isEqualTo("last response");
        batch.close();
        assertThat(flushes).as("not flushed again").containsExactly("first");
    }

    @Test
    void aDisconnectSendsWhatWasHeldFirst() {
        batch.open();
        first.writeAndFlush("last response");
        first.disconnect();

        assertThat((String) first.readOutbound()).isEqualTo("last response");
    }

    @Test
    void theEndOfAReadSendsWhatWasHeldAfterTheHandlersBehindHaveFlushed() {
        // Netty closes a connection whose read met the end of stream right after this event, bypassing
        // the pipeline's close: what is held must be out by then, including what the event itself wrote.
        first.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                ctx.writeAndFlush("written at the read's end");
            }
        });
        batch.open();
        first.writeAndFlush("response");
        first.pipeline().fireChannelReadComplete();

        assertThat(first.outboundMessages()).containsExactly("response", "written at the read's end");
        assertThat(flushes).containsExactly("first");
    }

    @Test
    void aFlushMadeWhileAFullBatchIsBeingFlushedGoesOutAtOnce() {
        List<EmbeddedChannel> channels = moreThanABatchHolds();
        batch.open();
        // when the full batch flushes c0, its write completes and writes on the second channel
        channels.getFirst().writeAndFlush("m").addListener(f -> second.writeAndFlush("from a listener"));
        for (EmbeddedChannel channel : channels.subList(1, channels.size())) {
            channel.writeAndFlush("m");
        }

        assertThat(second.outboundMessages()).as("not held while the batch is open")
                .containsExactly("from a listener");
    }

    @Test
    void aHandlerLeavingThePipelineSendsWhatWasHeld() {
        batch.open();
        first.writeAndFlush("a");
        first.pipeline().remove(BatchedFlushHandler.class);

        assertThat((String) first.readOutbound()).isEqualTo("a");
    }

    @Test
    void aPassThatWritesMoreConnectionsThanItHoldsFlushesTheHeldOnesFirst() {
        List<EmbeddedChannel> channels = moreThanABatchHolds();
        batch.open();
        for (EmbeddedChannel channel : channels) {
            channel.writeAndFlush("m");
        }
        assertThat(flushes).as("the first ones, once the batch was full")
                .hasSize(FlushBatch.MOST_HELD).startsWith("c0").endsWith("c" + (FlushBatch.MOST_HELD - 1));
        assertThat(channels.getLast().outboundMessages()).as("the last one is held").isEmpty();

        batch.close();
        assertThat(flushes).hasSize(FlushBatch.MOST_HELD + 1).endsWith("c" + FlushBatch.MOST_HELD);
    }
}
