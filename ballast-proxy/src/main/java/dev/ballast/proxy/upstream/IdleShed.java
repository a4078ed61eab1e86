package dev.ballast.proxy.upstream;

import io.netty.channel.EventLoop;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One refused connect's request to the event loops, its own included: a limit counts connections of
 * every loop, but idle ones belong to the loop that opened them, so a loop can be refused while it or
 * another sits on an unused connection. Each loop is asked once; the first with an idle connection
 * that counts against the limit closes it and, once it is closed (its slot given back), the requester
 * connects again; another request may take that slot first, and then this one is refused. When no
 * loop had one, the requester fails as it would have.
 */
final class IdleShed {

    private final EventLoop requester;
    private final Runnable retry;
    private final Runnable refuse;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private final AtomicInteger unanswered;

    IdleShed(EventLoop requester, int asked, Runnable retry, Runnable refuse) {
        this.requester = requester;
        this.unanswered = new AtomicInteger(asked);
        this.retry = retry;
        this.refuse = refuse;
    }

    /** True for the one loop that may close its connection for this request. */
    boolean claim() {
        return claimed.compareAndSet(false, true);
    }

    boolean claimed() {
        return claimed.get();
    }

    /** The claimed connection closed: its slot is free. */
    void freed() {
        requester.execute(retry);
    }

    /**
     * A loop has looked (and closed one, or not). The last to answer refuses the request if nobody
     * claimed it: every claim happens before its own loop's answer, so none can come later.
     */
    void answered() {
        if (unanswered.decrementAndGet() == 0 && !claimed.get()) {
            requester.execute(refuse);
        }
    }
}
