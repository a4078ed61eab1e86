package dev.ballast.client;

import com.sun.net.httpserver.HttpServer;
import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.client.testing.Backend;
import dev.ballast.client.testing.HangingBackend;
import dev.ballast.core.resilience.RetryPolicy;
import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Deadlines that flow from parent to child, and cancellation that stops work in flight. */
class DeadlineAndCancellationTest {

    private final Backend slow = Backend.start("slow").delay(Duration.ofSeconds(3));
    private final HangingBackend hanging = new HangingBackend();
    private final ExecutorService frontExecutor = Executors.newVirtualThreadPerTaskExecutor();
    private HttpServer front;
    private BallastClient client;

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        if (front != null) {
            front.stop(0);
        }
        frontExecutor.shutdownNow();
        slow.close();
        hanging.close();
    }

    private BallastClient client(String frontAddress) {
        BallastClient.Builder builder = BallastClient.builder()
                .service(ServiceConfig.builder("slow").endpoints(slow.address()).build())
                .service(ServiceConfig.builder("hanging").endpoints(hanging.address()).build());
        if (frontAddress != null) {
            builder.service(ServiceConfig.builder("front").endpoints(frontAddress).build());
        }
        client = builder.build();
        return client;
    }

    @Test
    void theTimeSentToTheCalleeIsTheTrysWhenItsTimeoutEndsItBeforeTheDeadline() {
        RetryPolicy perTry = RetryPolicy.builder().attempts(0).perTryTimeout(Duration.ofMillis(300)).build();
        client = BallastClient.builder()
                .service(ServiceConfig.builder("slow").endpoints(slow.address()).retries(perTry).build()).build();

        assertThatThrownBy(() -> client.send(request("slow").timeout(Duration.ofSeconds(10))))
                .isInstanceOfSatisfying(CallException.class,
                        e -> assertThat(e.kind()).isEqualTo(CallException.Kind.TIMEOUT));

        await().atMost(Duration.ofSeconds(5)).until(() -> !slow.requests().isEmpty());
        assertThat(Long.parseLong(slow.requests().getFirst().getFirst("x-ballast-timeout-ms")))
                .as("the caller waits 300 ms for this try, not the 10 s of its call").isBetween(1L, 300L);
    }

    @Test
    void aParentsDeadlineBoundsAChildCall() {
        client(null);
        CallContext parent = CallContext.root(Ticker.system()).withTimeout(Duration.ofMillis(300));

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(request("slow").context(parent).timeout(Duration.ofSeconds(10))))
                .isInstanceOfSatisfying(CallException.class,
                        e -> assertThat(e.kind()).isEqualTo(CallException.Kind.DEADLINE_EXCEEDED));

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 1_500L);
    }

    /**
     * A service in the middle: its handler rebuilds the inbound context from the headers and calls the
     * slow service inside it. The child gets the caller's remaining deadline and trace, not its own 10 s.
     */
    @Test
    void aCallMadeWhileServingARequestInheritsItsDeadlineAndTrace() throws IOException {
        AtomicReference<String> childOutcome = new AtomicReference<>();
        front = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        front.setExecutor(frontExecutor);
        front.createContext("/", exchange -> {
            CallContext inbound = CallContext.fromHeaders(exchange.getRequestHeaders()::getFirst);
            long start = System.nanoTime();
            String outcome;
            try {
                outcome = "ok " + client.send(request("slow").context(inbound).timeout(Duration.ofSeconds(10))).status();
            } catch (CallException e) {
                outcome = e.kind() + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + "ms";
            }
            childOutcome.set(outcome);
            byte[] body = outcome.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        front.start();
        client("127.0.0.1:" + front.getAddress().getPort());

        TraceContext outerTrace;
        try {
            // 2 s: room for a busy machine's first call to reach the child before the deadline.
            outerTrace = client.send(request("front").timeout(Duration.ofSeconds(2))).trace();
        } catch (CallException e) {
            // The child gives up at the caller's deadline, so the caller usually runs out at the same moment.
            assertThat(e.kind()).isEqualTo(CallException.Kind.DEADLINE_EXCEEDED);
            outerTrace = e.trace();
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> childOutcome.get() != null);
        assertThat(childOutcome.get()).startsWith("DEADLINE_EXCEEDED after ");
        long childMillis = Long.parseLong(childOutcome.get().replaceAll("\\D", ""));
        assertThat(childMillis).as("bounded by the caller's 2 s, not the slow service's 3 s").isLessThan(2_900);
        var seenBySlow = slow.requests().getFirst();
        assertThat(Long.parseLong(seenBySlow.getFirst("x-ballast-timeout-ms"))).isBetween(1L, 2_000L);
        TraceContext childTrace = TraceContext.parse(seenBySlow.getFirst("traceparent"), null).orElseThrow();
        assertThat(childTrace.traceId()).isEqualTo(outerTrace.traceId());
        assertThat(childTrace.spanId()).isNotEqualTo(outerTrace.spanId());
    }

    @Test
    void everyCallSendsTheTraceItReportsAndOneTraceSpansACallTree() {
        client(null);
        slow.delay(Duration.ZERO);
        TraceContext parentTrace = TraceContext.newRoot();
        CallContext parent = CallContext.root(Ticker.system()).withTrace(parentTrace);

        ClientResponse first = client.send(request("slow").context(parent));
        ClientResponse second = client.send(request("slow").context(parent));

        List<String> sent = slow.requests().stream().map(headers -> headers.getFirst("traceparent")).toList();
        assertThat(sent).containsExactly(first.trace().traceparent(), second.trace().traceparent());
        assertThat(List.of(first.trace(), second.trace())).allSatisfy(trace -> {
            assertThat(trace.traceId()).isEqualTo(parentTrace.traceId());
            assertThat(trace.spanId()).isNotEqualTo(parentTrace.spanId());
        });
        assertThat(first.trace().spanId()).isNotEqualTo(second.trace().spanId());
    }

    /** An async call to the hanging backend, once the backend has its request. */
    private CompletableFuture<ClientResponse> callThatHangs() throws InterruptedException {
        client(null);
        CompletableFuture<ClientResponse> call = client.sendAsync(request("hanging").path("/hang"));
        assertThat(hanging.awaitRequest(2_000)).isTrue();
        return call;
    }

    /** The hanging backend saw its connection close, and the client counts nothing in flight to it. */
    private void assertTheExchangeStoppedAndItsEndpointIsFree() throws InterruptedException {
        assertThat(hanging.awaitDisconnect(2_000)).as("server saw the connection close").isTrue();
        await().atMost(Duration.ofSeconds(2)).until(() -> client.endpoints("hanging").getFirst().inFlight() == 0);
    }

    @Test
    void cancellingAnAsyncCallAbortsTheExchangeAndTheServerSeesIt() throws Exception {
        CompletableFuture<ClientResponse> call = callThatHangs();

        long start = System.nanoTime();
        call.cancel(true);

        assertThat(call).isCancelled();
        assertThat(hanging.awaitDisconnect(2_000)).as("server saw the connection close").isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000);
        await().atMost(Duration.ofSeconds(2)).until(() -> client.endpoints("hanging").getFirst().inFlight() == 0);
    }

    @Test
    void anAsyncCallWhoseFutureTimesOutIsAbortedAndItsEndpointFreed() throws Exception {
        // Once the backend has the request, so the timeout cannot come before the connection does.
        CompletableFuture<ClientResponse> call = callThatHangs()
                .orTimeout(300, TimeUnit.MILLISECONDS); // completes the future from outside, not by cancel

        assertThatThrownBy(call::join).hasCauseInstanceOf(TimeoutException.class);
        assertTheExchangeStoppedAndItsEndpointIsFree();
    }

    @Test
    void anAsyncCallWhoseFutureIsCompletedAsyncFromOutsideIsAbortedAndItsEndpointFreed() throws Exception {
        CompletableFuture<ClientResponse> call = callThatHangs();
        ClientResponse standIn = ClientResponse.of(request("hanging"), 503, "stand-in");

        call.completeAsync(() -> standIn); // CompletableFuture's own would not go through complete()

        assertThat(call.get(2, TimeUnit.SECONDS)).isSameAs(standIn);
        assertTheExchangeStoppedAndItsEndpointIsFree();
    }

    @Test
    void anAsyncCallWhoseFutureHasAResultObtrudedIsAbortedAndItsEndpointFreed() throws Exception {
        CompletableFuture<ClientResponse> call = callThatHangs();
        ClientResponse standIn = ClientResponse.of(request("hanging"), 503, "stand-in");

        call.obtrudeValue(standIn);

        assertThat(call.join()).isSameAs(standIn);
        assertTheExchangeStoppedAndItsEndpointIsFree();
    }

    @Test
    void anAsyncCallWhoseFutureHasAFailureObtrudedIsAbortedAndItsEndpointFreed() throws Exception {
        CompletableFuture<ClientResponse> call = callThatHangs();

        call.obtrudeException(new IllegalStateException("given up on"));

        assertThatThrownBy(call::join).hasCauseInstanceOf(IllegalStateException.class);
        assertTheExchangeStoppedAndItsEndpointIsFree();
    }

    @Test
    void cancellingAFutureWhoseCallHasAThrowingCancelHookCancelsItWithoutThrowingAtTheCaller() throws Exception {
        client = BallastClient.builder()
                .service(ServiceConfig.builder("hanging").endpoints(hanging.address()).build())
                .interceptor(Interceptor.named("careless", chain -> {
                    chain.context().onCancel(() -> {
                        throw new IllegalStateException("a careless hook");
                    });
                    return chain.proceed(chain.request());
                }))
                .build();
        CompletableFuture<ClientResponse> call = client.sendAsync(request("hanging").path("/hang"));
        assertThat(hanging.awaitRequest(2_000)).isTrue();

        assertThat(call.cancel(true)).isTrue();

        assertThat(call).isCancelled();
        assertThat(hanging.awaitDisconnect(2_000)).as("the call stopped: the server saw its connection close").isTrue();
    }

    @Test
    void aCancelHookThatThrowsAsASuccessfulCallEndsDoesNotTakeItsResponseAway() {
        try (Backend quick = Backend.start("quick")) {
            client = BallastClient.builder()
                    .service(ServiceConfig.builder("quick").endpoints(quick.address()).build())
                    .interceptor(Interceptor.named("careless", chain -> {
                        chain.context().onCancel(() -> { // never closed: it runs as the call's scope ends
                            throw new IllegalStateException("a careless hook");
                        });
                        return chain.proceed(chain.request());
                    }))
                    .build();

            assertThat(client.send(request("quick")).status()).isEqualTo(200);
        }
    }

    @Test
    void cancellingAParentContextCancelsItsChildCalls() throws Exception {
        client(null);
        CallContext parent = CallContext.root(Ticker.system());
        CompletableFuture<ClientResponse> toHanging = client.sendAsync(request("hanging").context(parent));
        CompletableFuture<ClientResponse> toSlow = client.sendAsync(request("slow").context(parent));
        assertThat(hanging.awaitRequest(2_000)).isTrue();
        await().atMost(Duration.ofSeconds(2)).until(() -> slow.hits() == 1);

        parent.cancel();

        for (CompletableFuture<ClientResponse> call : List.of(toHanging, toSlow)) {
            assertThatThrownBy(() -> call.get(1, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(CallException.class)
                    .satisfies(e -> assertThat(((CallException) e.getCause()).kind())
                            .isEqualTo(CallException.Kind.CANCELLED));
        }
        assertThat(hanging.awaitDisconnect(2_000)).isTrue();
    }

    @Test
    void interruptingASynchronousCallerCancelsItsCall() throws Exception {
        client(null);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                client.send(request("hanging"));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertThat(hanging.awaitRequest(2_000)).isTrue();

        caller.interrupt();
        caller.join(Duration.ofSeconds(2));

        assertThat(caller.isAlive()).isFalse();
        assertThat(failure.get()).isInstanceOfSatisfying(CallException.class,
                e -> assertThat(e.kind()).isEqualTo(CallException.Kind.CANCELLED));
        assertThat(hanging.awaitDisconnect(2_000)).isTrue();
    }

    @Test
    void anAttemptTimesOutAtItsResponseTimeoutEvenInTheMiddleOfTheBody() throws Exception {
        hanging.stallInBody();
        client = BallastClient.builder().service(ServiceConfig.builder("hanging").endpoints(hanging.address())
                .responseTimeout(Duration.ofMillis(300)).build()).build();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(request("hanging")))
                .isInstanceOfSatisfying(CallException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallException.Kind.TIMEOUT);
                    assertThat(e.getMessage()).isEqualTo("hanging: attempt 1 to " + hanging.address()
                            + " timed out after 300ms (per-try timeout)");
                });

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 1_500L);
        assertThat(hanging.awaitDisconnect(2_000)).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("no stray interrupt left behind").isFalse();
    }

    @Test
    void aCancelledFutureDoesNotCompleteLater() {
        client(null);
        CompletableFuture<ClientResponse> call = client.sendAsync(request("slow"));
        await().atMost(Duration.ofSeconds(2)).until(() -> slow.hits() == 1); // its answer would come in 3 s
        call.cancel(false);

        // The attempt ends (aborted, or answered had the cancel not reached it), and the call after it.
        await().atMost(Duration.ofSeconds(5)).until(() -> client.endpoints("slow").getFirst().inFlight() == 0);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(call::isCancelled);
        assertThatThrownBy(call::join).isInstanceOf(CancellationException.class);
    }
}
