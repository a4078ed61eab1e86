package dev.ballast.discovery.etcd;

import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parts of talking to etcd that need no etcd (the rest is tested against a real one, in the proxy). */
class EtcdClientTest {

    @Test
    void aPrefixRangeEndsJustPastEveryKeyThatStartsWithIt() {
        assertThat(EtcdClient.prefixEnd("/services/api/")).isEqualTo("/services/api0".getBytes(StandardCharsets.UTF_8));
        assertThat(EtcdClient.prefixEnd("a")).isEqualTo(new byte[] {'b'});
        // Bytes, not characters: the last byte of the UTF-8 form is raised ('ÿ' is 0xc3 0xbf).
        assertThat(EtcdClient.prefixEnd("a\u00ff")).isEqualTo(new byte[] {'a', (byte) 0xc3, (byte) 0xc0});
        assertThat(EtcdClient.prefixEnd("")).as("the whole key space").isEqualTo(new byte[] {0});
    }

    @Test
    void failuresWithoutAMessageAreSaidInWords() {
        assertThat(EtcdClient.describe(new ConnectException())).isEqualTo("connection refused");
        assertThat(EtcdClient.describe(new ConnectException("Connection refused"))).isEqualTo("Connection refused");
        assertThat(EtcdClient.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
        // What HttpClient throws for a host name that does not resolve: messages all null, the cause two down.
        Exception unresolved = new ConnectException();
        unresolved.initCause(new ConnectException().initCause(new UnresolvedAddressException()));
        assertThat(EtcdClient.describe(unresolved)).isEqualTo("cannot resolve the host name");
    }

    @Test
    void aValueIsBytesThatEachReaderDecodesByItsOwnRules() throws CharacterCodingException {
        assertThat(EtcdValue.of("café").utf8()).isEqualTo("café");
        assertThat(EtcdValue.of("x")).isEqualTo(new EtcdValue(new byte[] {'x'})).hasSameHashCodeAs(EtcdValue.of("x"));
        EtcdValue latin1 = new EtcdValue(new byte[] {'c', 'a', 'f', (byte) 0xe9});
        assertThatThrownBy(latin1::utf8).isInstanceOf(CharacterCodingException.class);
        assertThat(latin1).hasToString("caf\ufffd");
    }
}
