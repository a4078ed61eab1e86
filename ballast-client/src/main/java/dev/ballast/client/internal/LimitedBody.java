package dev.ballast.client.internal;

import java.io.IOException;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * How one attempt reads a response body: whole into a byte array, up to a limit ({@code
 * maxResponseBytes}); past it the attempt fails with {@link TooLarge} and the rest is not read. Without a
 * limit, one endpoint that answers with gigabytes (a bug, a wrong route, a hostile server) would fill
 * the caller's heap. A body whose declared length is over the limit is refused before any of it is read,
 * unless it has no body whatever it declares: the answer to a HEAD, a 1xx, 204 or 304.
 *
 * <p>One per attempt: it remembers its refusal ({@link #refusal()}), because the JDK's client does not
 * always hand the subscriber's failure on (over HTTP/2, cancelling a stream fails the exchange with
 * an exception of its own).
 */
final class LimitedBody implements BodyHandler<byte[]> {

    private final long limit;
    private final boolean head;
    private volatile TooLarge refusal;

    /** @param head the request is a HEAD: its answer has no body whatever length it declares */
    LimitedBody(long limit, boolean head) {
        this.limit = limit;
        this.head = head;
    }

    /** Why this attempt's body was refused, or null if it was not. */
    TooLarge refusal() {
        return refusal;
    }

    @Override
    public BodySubscriber<byte[]> apply(ResponseInfo info) {
        int status = info.statusCode();
        boolean bodiless = head || status < 200 || status == 204 || status == 304;
        OptionalLong declared;
        try {
            declared = info.headers().firstValueAsLong("content-length");
        } catch (NumberFormatException e) {
            declared = OptionalLong.empty(); // the JDK's own framing refuses it
        }
        if (!bodiless && declared.isPresent() && declared.getAsLong() > limit) {
            return new Refused(refuse(status, "declares " + declared.getAsLong() + " bytes"));
        }
        return new Counting(status, BodySubscribers.ofByteArray());
    }

    private TooLarge refuse(int status, String what) {
        TooLarge tooLarge = new TooLarge(status, limit, what);
        refusal = tooLarge;
        return tooLarge;
    }

    /** A body over the limit. An IOException, as the JDK's client fails a body it cannot read. */
    static final class TooLarge extends IOException {

        private final int status;

        TooLarge(int status, long limit, String what) {
            super("the response body " + what + ", over maxResponseBytes (" + limit + ")");
            this.status = status;
        }

        /** The status of the answer whose body was refused: the endpoint did answer. */
        int status() {
            return status;
        }
    }

    /** Hands the body on while it stays within the limit; cancels the rest once it goes over. */
    private final class Counting implements BodySubscriber<byte[]> {

        private final int status;
        private final BodySubscriber<byte[]> whole;
        private long received;
        private boolean over;
        private Flow.Subscription subscription;

        Counting(int status, BodySubscriber<byte[]> whole) {
            this.status = status;
            this.whole = whole;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return whole.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            whole.onSubscribe(subscription);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (over) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                received += buffer.remaining();
            }
            if (received > limit) {
                over = true;
                // The failure first, then the cancel: over HTTP/2 the cancel fails the exchange at once.
                whole.onError(refuse(status, "goes past " + limit + " bytes"));
                subscription.cancel();
                return;
            }
            whole.onNext(buffers);
        }

        @Override
        public void onError(Throwable failure) {
            if (!over) {
                whole.onError(failure);
            }
        }

        @Override
        public void onComplete() {
            if (!over) {
                whole.onComplete();
            }
        }
    }

    /** Reads nothing: the declared length is already over the limit. */
    private static final class Refused implements BodySubscriber<byte[]> {

        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final TooLarge failure;

        Refused(TooLarge failure) {
            this.failure = failure;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
            body.completeExceptionally(failure);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            body.completeExceptionally(failure);
        }
    }
}
