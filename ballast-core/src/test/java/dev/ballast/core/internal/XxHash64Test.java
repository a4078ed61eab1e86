package dev.ballast.core.internal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** XXH64 with seed 0 against the reference implementation's output ({@code xxhsum -H64}). */
class XxHash64Test {

    static Stream<Arguments> publishedVectors() {
        return Stream.of(
                Arguments.of("", 0xef46db3751d8e999L),
                Arguments.of("a", 0xd24ec4f1a98c6e5bL),
                Arguments.of("abc", 0x44bc2cf5ad770999L),
                // 39 bytes: one 32-byte stripe, then a 4-byte word and single bytes.
                Arguments.of("Nobody inspects the spammish repetition", 0xfbcea83c8a378bf1L),
                // 71 bytes: two stripes, then 8-byte words, a 4-byte word and single bytes.
                Arguments.of("The quick brown fox jumps over the lazy dog, again and again and again.",
                        0x4cf8a242630ac3eeL),
                // Non-ASCII: hashed as its UTF-8 bytes.
                Arguments.of("héllo wörld", 0x60041bfec530413cL));
    }

    @ParameterizedTest(name = "\"{0}\"")
    @MethodSource("publishedVectors")
    void hashesBytesLikeTheReference(String text, long expected) {
        assertThat(XxHash64.hash(text.getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @MethodSource("publishedVectors")
    void hashesTextAsItsUtf8Bytes(String text, long expected) {
        assertThat(XxHash64.hash(text, 0)).isEqualTo(expected);
        assertThat(XxHash64.hash(new StringBuilder(text), 0)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @MethodSource("publishedVectors")
    void hashesASliceOfALargerArray(String text, long expected) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[utf8.length + 7];
        padded[0] = 'x';
        padded[1] = 'y';
        padded[2] = 'z';
        System.arraycopy(utf8, 0, padded, 3, utf8.length);
        padded[padded.length - 1] = 'q';
        assertThat(XxHash64.hash(padded, 3, utf8.length, 0)).isEqualTo(expected);
    }

    @Test
    void treatsBytesAsUnsigned() {
        byte[] high = {(byte) 0xff, (byte) 0x80, (byte) 0xfe};
        assertThat(XxHash64.hash(high, 0)).isEqualTo(0x17dd79dcde96368cL); // xxhsum -H64 of ff 80 fe
        String latin = new String(high, StandardCharsets.ISO_8859_1);
        // Same code points, different encodings: the text path must encode as UTF-8, not truncate chars.
        assertThat(XxHash64.hash(latin, 0))
                .isEqualTo(XxHash64.hash(latin.getBytes(StandardCharsets.UTF_8), 0))
                .isNotEqualTo(XxHash64.hash(high, 0));
    }

    @Test
    void seedChangesTheHash() {
        byte[] data = "abc".getBytes(StandardCharsets.US_ASCII);
        assertThat(XxHash64.hash(data, 1)).isNotEqualTo(XxHash64.hash(data, 0));
        assertThat(XxHash64.hash("abc", 1)).isEqualTo(XxHash64.hash(data, 1));
    }
}
