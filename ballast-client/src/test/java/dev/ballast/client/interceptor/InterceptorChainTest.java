package dev.ballast.client.interceptor;

import dev.ballast.client.BallastClient;
import dev.ballast.client.CallListener;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.testing.Backend;
import dev.ballast.core.health.RecordingLogger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterceptorChainTest {

    private final Backend backend = Backend.start("a");
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        backend.close();
    }

    private BallastClient client(Interceptor... interceptors) {
        BallastClient.Builder builder = BallastClient.builder()
                .service(ServiceConfig.builder("orders").endpoints(backend.address()).build());
        for (Interceptor interceptor : interceptors) {
            builder.interceptor(interceptor);
        }
        client = builder.build();
        return client;
    }

    private static Interceptor recording(String name, List<String> events) {
        return Interceptor.named(name, chain -> {
            events.add(name + ">");
            ClientResponse response = chain.proceed(chain.request());
            events.add("<" + name);
            return response;
        });
    }

    @Test
    void interceptorsRunInTheOrderAdded() {
        List<String> events = new CopyOnWriteArrayList<>();
        client(recording("first", events), recording("second", events), recording("third", events));

        ClientResponse response = client.send(request("orders").path("/v1/orders/42"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("a");
        assertThat(events).containsExactly("first>", "second>", "third>", "<third", "<second", "<first");
    }

    @Test
    void anInterceptorCanAnswerWithoutSending() {
        List<String> events = new CopyOnWriteArrayList<>();
        Interceptor cache = chain -> ClientResponse.of(chain.request(), 200, "cached");
        client(recording("outer", events), cache, recording("never", events));

        ClientResponse response = client.send(request("orders").path("/cached"));

        assertThat(response.bodyText()).isEqualTo("cached");
        assertThat(response.attempts()).isZero();
        assertThat(events).containsExactly("outer>", "<outer");
        assertThat(backend.hits()).isZero();
    }

    @Test
    void anInterceptorCanRewriteTheRequest() {
        client(chain -> chain.proceed(chain.request().setHeader("x-tenant", "blue").path("/rewritten")));

        ClientResponse response = client.send(request("orders").path("/original"));

        assertThat(backend.requests().getFirst().getFirst("x-tenant")).isEqualTo("blue");
        assertThat(response.request().path()).isEqualTo("/rewritten");
    }

    @Test
    void proceedingTwiceInOneAttemptFailsNamingTheInterceptor() {
        client(Interceptor.named("double-sender", chain -> {
            chain.proceed(chain.request());
            return chain.proceed(chain.request());
        }));

        assertThatThrownBy(() -> client.send(request("orders")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'double-sender'")
                .hasMessageContaining("proceed() twice");
        assertThat(backend.hits()).isEqualTo(1);
    }

    @Test
    void newAttemptAllowsAnotherTry() {
        client(Interceptor.named("retry-once", chain -> {
            ClientResponse first = chain.proceed(chain.request());
            return first.status() == 200 ? chain.newAttempt().proceed(chain.request()) : first;
        }));

        ClientResponse response = client.send(request("orders"));

        assertThat(response.attempts()).isEqualTo(2);
        assertThat(backend.hits()).isEqualTo(2);
    }

    @Test
    void anAttemptTakenFromAFinishedAttemptIsItsSiblingNotBornCancelled() {
        client(Interceptor.named("retry-twice", chain -> {
            Chain attempt = chain;
            ClientResponse response = attempt.proceed(chain.request());
            for (int retry = 0; retry < 2; retry++) {
                attempt = attempt.newAttempt(); // from the attempt just used, whose context is closed
                response = attempt.proceed(chain.request());
            }
            return response;
        }));

        ClientResponse response = client.send(request("orders"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.hits()).isEqualTo(3);
    }

    @Test
    void authAndDefaultHeadersThatCouldNeverBeSentAreRefusedWhenMadeAndANullTokenFailsTheCall() {
        assertThatThrownBy(() -> Interceptors.bearerAuth("t0ken\n")).as("a file read whole")
                .hasMessageContaining("header authorization: value contains CR or LF");
        assertThatThrownBy(() -> Interceptors.defaultHeaders(Map.of("Host", "x")))
                .hasMessageContaining("header Host: framing and connection headers");
        client(Interceptors.bearerAuth(() -> null));

        assertThatThrownBy(() -> client.send(request("orders")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the token supplier gave null");
        assertThat(backend.hits()).as("no 'Bearer null' sent").isZero();
    }

    @Test
    void returningNullIsReportedWithTheInterceptorsName() {
        client(Interceptor.named("forgetful", chain -> null));

        assertThatThrownBy(() -> client.send(request("orders")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'forgetful' returned null");
    }

    @Test
    void authAndDefaultHeadersAreAddedButRequestValuesWin() {
        client(Interceptors.bearerAuth("t0ken"),
                Interceptors.defaultHeaders(Map.of("accept", "application/json", "x-client", "ballast")));

        client.send(request("orders").header("accept", "text/plain").header("authorization", "Bearer stale"));

        var seen = backend.requests().getFirst();
        assertThat(seen.get("authorization")).containsExactly("Bearer t0ken");
        assertThat(seen.get("accept")).containsExactly("text/plain");
        assertThat(seen.getFirst("x-client")).isEqualTo("ballast");
    }

    @Test
    void basicAuthEncodesUserAndPasswordAsUtf8() {
        client(Interceptors.basicAuth("zoë", "p:ss"));

        client.send(request("orders"));

        String expected = "Basic " + Base64.getEncoder().encodeToString("zoë:p:ss".getBytes(StandardCharsets.UTF_8));
        assertThat(backend.requests().getFirst().getFirst("authorization")).isEqualTo(expected);
    }

    @Test
    void routingSendsMatchingRequestsToAnotherService() {
        try (Backend canary = Backend.start("canary"); Backend v2 = Backend.start("v2")) {
            client = BallastClient.builder()
                    .service(ServiceConfig.builder("orders").endpoints(backend.address()).build())
                    .service(ServiceConfig.builder("orders-canary").endpoints(canary.address()).build())
                    .service(ServiceConfig.builder("orders-v2").endpoints(v2.address()).build())
                    .interceptor(Interceptors.routing()
                            .header("orders", "x-canary", "always", "orders-canary")
                            .pathPrefix("orders", "/v2/", "orders-v2")
                            .build())
                    .build();

            assertThat(client.send(request("orders").header("x-canary", "always")).bodyText()).isEqualTo("canary");
            assertThat(client.send(request("orders").path("/v2/orders")).bodyText()).isEqualTo("v2");
            assertThat(client.send(request("orders").path("/v1/orders")).bodyText()).isEqualTo("a");
        }
    }

    @Test
    void metricsReportEachCallWithItsOutcome() {
        List<CallListener.CallEvent> calls = new CopyOnWriteArrayList<>();
        client(Interceptors.metrics(new CallListener() {
            @Override
            public void callFinished(CallListener.CallEvent event) {
                calls.add(event);
            }
        }), Interceptors.logging());

        client.send(request("orders").method("PUT").body("{}"));
        backend.status(503);
        client.send(request("orders"));

        assertThat(calls).extracting(CallListener.CallEvent::service, CallListener.CallEvent::method,
                        CallListener.CallEvent::status, CallListener.CallEvent::attempts)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("orders", "PUT", 200, 1),
                        org.assertj.core.groups.Tuple.tuple("orders", "GET", 503, 1));
        assertThat(calls).allSatisfy(event -> assertThat(event.durationNanos()).isPositive());
    }

    @Test
    void metricsReportACallThatAnotherInterceptorBrokeToo() {
        List<CallListener.CallEvent> calls = new CopyOnWriteArrayList<>();
        client(Interceptors.metrics(new CallListener() {
            @Override
            public void callFinished(CallListener.CallEvent event) {
                calls.add(event);
            }
        }), Interceptors.logging(), chain -> {
            if (chain.request().path().equals("/error")) {
                throw new StackOverflowError("an Error, not an exception");
            }
            throw new IllegalStateException("broken interceptor");
        });

        assertThatThrownBy(() -> client.send(request("orders"))).hasMessage("broken interceptor");
        assertThatThrownBy(() -> client.send(request("orders").path("/error"))).isInstanceOf(StackOverflowError.class);
        assertThat(calls).hasSize(2).allSatisfy(event -> {
            assertThat(event.status()).isZero();
            assertThat(event.failure()).isNull();
        });
    }

    @Test
    void metricsAndLoggingReportACallEndedByACheckedExceptionThrownUndeclared() {
        List<CallListener.CallEvent> calls = new CopyOnWriteArrayList<>();
        RecordingLogger log = new RecordingLogger();
        client(Interceptors.metrics(new CallListener() {
            @Override
            public void callFinished(CallListener.CallEvent event) {
                calls.add(event);
            }
        }), Interceptors.logging(log, Level.INFO),
                chain -> sneakyThrow(new IOException("token file unreadable, as Kotlin throws it")));

        assertThatThrownBy(() -> client.send(request("orders"))).isInstanceOf(IOException.class);

        assertThat(calls).singleElement().satisfies(event -> {
            assertThat(event.status()).isZero();
            assertThat(event.failure()).isNull();
        });
        assertThat(log.events()).hasSize(1);
        assertThat(log.matching(Level.WARN, "call failed", "IOException")).hasSize(1);
    }

    @Test
    void aListenerThatThrowsOnASuccessIsNotReportedASecondCall() {
        List<CallListener.CallEvent> calls = new CopyOnWriteArrayList<>();
        client(Interceptors.metrics(new CallListener() {
            @Override
            public void callFinished(CallListener.CallEvent event) {
                calls.add(event);
                throw new IllegalStateException("listener bug");
            }
        }));

        assertThatThrownBy(() -> client.send(request("orders"))).hasMessage("listener bug");
        assertThat(calls).singleElement().satisfies(event -> assertThat(event.status()).isEqualTo(200));
    }

    /** Throws {@code e} though it is checked and undeclared, as Kotlin or Lombok's @SneakyThrows do. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> ClientResponse sneakyThrow(Throwable e) throws E {
        throw (E) e;
    }
}
