package dev.ballast.client;

import dev.ballast.client.testing.Backend;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.RetryPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code maxResponseBytes}: a body is read whole into the heap, so no endpoint may send more than the cap. */
class ResponseSizeTest {

    private static final int LIMIT = 1 << 20;

    private final Backend large = Backend.start("large");
    private final Backend small = Backend.start("small");
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        large.close();
        small.close();
    }

    /** The two backends in that order, every retry condition on, and the cap at 1 MiB. */
    private BallastClient client() {
        RetryPolicy retries = RetryPolicy.builder().attempts(2).retryOn(EnumSet.allOf(RetryPolicy.Condition.class))
                .build();
        client = BallastClient.builder().service(ServiceConfig.builder("files").endpoints(large.address(), small.address())
                .balancer(Policies.FIRST).retries(retries).maxResponseBytes(LIMIT).build()).build();
        return client;
    }

    @Test
    void aBodyWhoseDeclaredLengthIsOverTheCapFailsTheCallAndIsNotRetried() {
        large.body(LIMIT + 1, false);

        assertThatThrownBy(() -> client().send(request("files").path("/report")))
                .isInstanceOfSatisfying(CallException.class, failure -> {
                    assertThat(failure.kind()).isEqualTo(CallException.Kind.RESPONSE_TOO_LARGE);
                    assertThat(failure.endpoint()).isEqualTo(large.address());
                    assertThat(failure.getMessage()).contains("files: attempt 1 to " + large.address(),
                            "declares " + (LIMIT + 1) + " bytes, over maxResponseBytes (" + LIMIT + ")");
                });
        assertThat(small.hits()).as("another endpoint would most likely send the same").isZero();
    }

    @Test
    void listenersAreToldTheStatusOfTheAnswerWhoseBodyWasRefused() {
        large.body(8 * LIMIT, true);
        List<CallListener.AttemptEvent> attempts = new CopyOnWriteArrayList<>();
        client = BallastClient.builder().service(ServiceConfig.builder("files").endpoints(large.address())
                        .maxResponseBytes(LIMIT).build())
                .listener(new CallListener() {
                    @Override
                    public void attemptFinished(AttemptEvent event) {
                        attempts.add(event);
                    }
                })
                .build();

        assertThatThrownBy(() -> client.send(request("files").path("/report"))).isInstanceOf(CallException.class);

        assertThat(attempts).singleElement().satisfies(attempt -> {
            assertThat(attempt.status()).as("it answered, with a body too long").isEqualTo(200);
            assertThat(attempt.failure()).isEqualTo(CallException.Kind.RESPONSE_TOO_LARGE);
        });
    }

    @Test
    void aChunkedBodyThatGrowsPastTheCapFailsTheCallOnceItDoes() {
        large.body(8 * LIMIT, true);

        assertThatThrownBy(() -> client().send(request("files").path("/report")))
                .isInstanceOfSatisfying(CallException.class, failure -> {
                    assertThat(failure.kind()).isEqualTo(CallException.Kind.RESPONSE_TOO_LARGE);
                    assertThat(failure.getMessage()).contains("goes past " + LIMIT + " bytes");
                });
        assertThat(small.hits()).isZero();
    }

    @Test
    void aBodyOfExactlyTheCapIsRead() {
        large.body(LIMIT, true);

        ClientResponse response = client().send(request("files").path("/report"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).hasSize(LIMIT);
    }

    @Test
    void theAnswerToAHeadDeclaresTheLengthOfABodyItDoesNotHaveSoItIsNotRefused() {
        large.body(LIMIT + 1, false);

        ClientResponse response = client().send(request("files").method("HEAD", new byte[0]).path("/report"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(LIMIT + 1);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void aHedgeThatMeetsABodyOverTheCapEndsTheCallRatherThanHedgingAgain() {
        large.body(LIMIT + 1, false);
        client = BallastClient.builder().service(ServiceConfig.builder("files").endpoints(large.address(), small.address())
                .balancer(Policies.FIRST).hedging(ServiceConfig.Hedging.fixed(Duration.ofSeconds(5)))
                .maxResponseBytes(LIMIT).build()).build();

        assertThatThrownBy(() -> client.send(request("files").path("/report")))
                .isInstanceOfSatisfying(CallException.class,
                        failure -> assertThat(failure.kind()).isEqualTo(CallException.Kind.RESPONSE_TOO_LARGE));
        assertThat(small.hits()).isZero();
    }

    @Test
    void aRefusedBodyTeachesHedgingNoLatencyForItsTimeIsOnlyHowFarItsReadingGot() {
        large.body(LIMIT + 1, false); // refused as soon as its head declares the length
        small.body(LIMIT + 1, false);
        client = BallastClient.builder().service(ServiceConfig.builder("files").endpoints(large.address(), small.address())
                .hedging(ServiceConfig.Hedging.atPercentile(0.5, Duration.ofSeconds(5)))
                .maxResponseBytes(LIMIT).build()).build();
        for (int i = 0; i < 60; i++) { // more than the samples a percentile waits for
            assertThatThrownBy(() -> client.send(request("files").path("/report"))).isInstanceOfSatisfying(
                    CallException.class, failure -> assertThat(failure.kind()).isEqualTo(CallException.Kind.RESPONSE_TOO_LARGE));
        }
        large.body(-1, false).delay(Duration.ofMillis(300));
        small.body(-1, false).delay(Duration.ofMillis(300));
        int before = large.hits() + small.hits();

        assertThat(client.send(request("files").path("/report")).status()).isEqualTo(200);

        assertThat(large.hits() + small.hits() - before)
                .as("not hedged: no latency is known yet, so the delay is still the initial 5 s").isEqualTo(1);
    }

    @Test
    void aCapABodyCannotHaveIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServiceConfig.builder("files").maxResponseBytes(0).build())
                .withMessageContaining("services.files.maxResponseBytes: 0 (expected: 1..");
    }
}
