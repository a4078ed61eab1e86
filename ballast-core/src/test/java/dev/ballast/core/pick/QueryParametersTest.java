package dev.ballast.core.pick;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one reading of a {@code query:NAME} key, the proxy's and the client's (they were two, kept in step
 * by hand: the proxy's {@code RequestTarget.queryParameter} over Netty, the client's
 * {@code HashKeyReader.queryParameter}); their tests, merged.
 */
class QueryParametersTest {

    @Test
    void findsExactNamesOnly() {
        assertThat(QueryParameters.value("/p?user=1&u=2", "u")).isEqualTo("2");
        assertThat(QueryParameters.value("/p?user=1&u=2", "user")).isEqualTo("1");
        assertThat(QueryParameters.value("/p?flag&x=1", "flag")).isEmpty();
        assertThat(QueryParameters.value("/p?x=1#u=2", "u")).isNull();
        assertThat(QueryParameters.value("/p", "u")).isNull();
        assertThat(QueryParameters.value("http://host:8080/p?u=3", "u")).isEqualTo("3");
    }

    @Test
    void namesArePercentDecodedBeforeTheyAreCompared() {
        assertThat(QueryParameters.value("/p?page[id]=7", "page[id]")).isEqualTo("7");
        assertThat(QueryParameters.value("/p?page%5Bid%5D=7", "page[id]")).isEqualTo("7");
        assertThat(QueryParameters.value("/p?page%5bid%5d=7", "page[id]")).isEqualTo("7");
        assertThat(QueryParameters.value("/p?x=1&page%5Bid%5D=7", "page[id]")).isEqualTo("7");
        assertThat(QueryParameters.value("/p?user%5Fid=42", "user_id")).isEqualTo("42");
        assertThat(QueryParameters.value("/p?user%5fid=42", "user_id")).isEqualTo("42");
        assertThat(QueryParameters.value("/p?a+b=1", "a b")).isEqualTo("1");
        assertThat(QueryParameters.value("/p?a%20b=2", "a b")).isEqualTo("2");
        assertThat(QueryParameters.value("/p?caf%C3%A9=3", "caf\u00e9")).isEqualTo("3");
        assertThat(QueryParameters.value("/p?100%25=4", "100%")).isEqualTo("4");
        // The first parameter whose decoded name matches counts, as match.query reads a repeated one.
        assertThat(QueryParameters.value("/p?%75ser=1&user=2", "user")).isEqualTo("1");
        // The configured name is the decoded one: an escape in it is literal text.
        assertThat(QueryParameters.value("/p?user%5Fid=5", "user%5Fid")).isNull();
        assertThat(QueryParameters.value("/p?user%255Fid=5", "user%5Fid")).isEqualTo("5");
        assertThat(QueryParameters.value("/p?a+b=6", "a+b")).isNull();
        assertThat(QueryParameters.value("/p?a%2Bb=6", "a+b")).isEqualTo("6");
    }

    @Test
    void aMalformedEscapeInANameIsComparedAsSentAndBreaksNoOtherName() {
        String uri = "/p?a%zz=1&b%2=2&c%=3&%=4&user%5Fid=5&d%g1=6";

        assertThat(QueryParameters.value(uri, "user_id")).isEqualTo("5");
        assertThat(QueryParameters.value(uri, "a%zz")).isEqualTo("1");
        assertThat(QueryParameters.value(uri, "c%")).isEqualTo("3");
        assertThat(QueryParameters.value(uri, "%")).isEqualTo("4");
        assertThat(QueryParameters.value(uri, "d%g1")).isEqualTo("6");
        assertThat(QueryParameters.value(uri, "missing")).isNull();
        assertThat(QueryParameters.value("/p?bad%zz=1&user%5Fid=42", "user_id")).isEqualTo("42");
        assertThat(QueryParameters.value("/p?bad%=1&x=%4&user%5Fid=42", "user_id")).isEqualTo("42");
        assertThat(QueryParameters.value("/p?a%zz=1", "a%zz")).isEqualTo("1");
    }

    @Test
    void theValueIsPercentDecodedAndAMalformedOneIsAKeyAsSent() {
        assertThat(QueryParameters.value("/p?a=b", "a")).isEqualTo("b");
        assertThat(QueryParameters.value("/p?a=%62", "a")).isEqualTo("b");
        assertThat(QueryParameters.value("/p?a=caf%C3%A9+au+lait", "a")).isEqualTo("caf\u00e9 au lait");
        assertThat(QueryParameters.value("/p?user=%20", "user")).isEqualTo(" ");
        assertThat(QueryParameters.value("/p?user=", "user")).isEmpty();
        // A malformed value is still a key, as sent; %+1 is malformed (URLDecoder would read it as byte 1).
        assertThat(QueryParameters.value("/p?a=%zz", "a")).isEqualTo("%zz");
        assertThat(QueryParameters.value("/p?a=%+1", "a")).isEqualTo("%+1");
    }

    @Test
    void readsTheQueryUpToTheFragmentAcrossManyParameters() {
        String many = "/p?" + "a=1&".repeat(20_000) + "&&x&user=9&tail";

        assertThat(QueryParameters.value(many, "user")).isEqualTo("9");
        assertThat(QueryParameters.value(many, "tail")).isEmpty();
        assertThat(QueryParameters.value(many, "x")).isEmpty();
        assertThat(QueryParameters.value(many + "#&y=1", "y")).isNull();
        assertThat(QueryParameters.value("/p?a=1&b=2#&user=3", "user")).isNull();
        assertThat(QueryParameters.value("/p?a=1&user=2#f", "user")).isEqualTo("2");
        assertThat(QueryParameters.value("/p#f?user=1", "user")).isNull();
        assertThat(QueryParameters.value("/p?a=1#f&user=2", "user")).isNull();
        assertThat(QueryParameters.value("/p?user=1#f", "user")).isEqualTo("1");
        assertThat(QueryParameters.value("/p?user#f", "user")).isEmpty();
        assertThat(QueryParameters.value("/p?&user=1&", "user")).isEqualTo("1");
        assertThat(QueryParameters.value("/p?", "user")).isNull();
        assertThat(QueryParameters.value("/p?user", "user")).isEmpty();
        assertThat(QueryParameters.value("/p?user=a=b", "user")).isEqualTo("a=b");
    }

    @Test
    void decodesAsNettysQueryStringDecoderDoes() {
        assertThat(QueryParameters.decode("plain")).isSameAs("plain");
        assertThat(QueryParameters.decode("page%5Bid%5D")).isEqualTo("page[id]");
        assertThat(QueryParameters.decode("a+b%20c")).isEqualTo("a b c");
        assertThat(QueryParameters.decode("caf%C3%A9")).isEqualTo("caf\u00e9");
        assertThat(QueryParameters.decode("%F0%9F%98%80")).isEqualTo("\uD83D\uDE00");
        assertThat(QueryParameters.decode("%FF")).isEqualTo("\uFFFD"); // no UTF-8: the replacement character
        assertThat(QueryParameters.decode("")).isEmpty();
        for (String malformed : new String[] {"%", "a%", "%4", "%zz", "%+1", "%-1", "%\u0663\u0663", "a%5Bb%zz"}) {
            assertThat(QueryParameters.decode(malformed)).as(malformed).isNull();
        }
    }

    @Test
    void comparingNamesWithoutAnEscapeAllocatesNothing() {
        String target = "/search?q=abc&page=2&sort=desc&filter[user]=7&limit=10";
        look(target, 200_000); // compiled before counting
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();

        long before = threads.getThreadAllocatedBytes(thread);
        int found = look(target, 200_000);
        long allocated = threads.getThreadAllocatedBytes(thread) - before;

        assertThat(found).isZero();
        assertThat(allocated).as("bytes over 200,000 lookups").isLessThan(2_000); // counter noise
    }

    /** Looks {@code n} times for a parameter {@code target} has not: every name is compared, nothing found. */
    private static int look(String target, int n) {
        int found = 0;
        for (int i = 0; i < n; i++) {
            if (QueryParameters.value(target, "user") != null) {
                found++;
            }
        }
        return found;
    }
}
