package dev.ballast.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PlaceholdersTest {

    private static final Function<String, String> ENV =
            Map.of("HOST", "10.0.0.1", "PORT", "9001", "EMPTY", "", "TOKEN", "${HOST}")::get;

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "${HOST}:${PORT}               | 10.0.0.1:9001",
            "${PORT:-80}                   | 9001",
            "${MISSING:-80}                | 80",
            "${EMPTY:-fallback}            | fallback",
            "${MISSING:-}                  | ''",
            "${MISSING:-a:-b}              | a:-b",
            "$${HOST}                      | ${HOST}",
            "costs $5, or $$5              | costs $5, or $$5",
            "${TOKEN}                      | ${HOST}",
            "${MISSING:-^/v[0-9]{1,3}$}    | ^/v[0-9]{1,3}$",
            "${MISSING:-{v1}}              | {v1}",
            "${MISSING:-a}b}               | ab}",
    })
    void expandsReferencesFromTheEnvironment(String text, String expanded) {
        assertThat(Placeholders.expand(text, ENV)).isEqualTo(expanded);
    }

    @Test
    void keepsAVariableSetToTheEmptyStringWithoutADefault() {
        assertThat(Placeholders.expand("[${EMPTY}]", ENV)).isEqualTo("[]");
    }

    @Test
    void namesAnUnsetVariableThatHasNoDefault() {
        assertThatIllegalArgumentException().isThrownBy(() -> Placeholders.expand("${HOST}:${API_PORT}", ENV))
                .withMessage("environment variable API_PORT is not set (set it, or give a default:"
                        + " ${API_PORT:-value})");
    }

    @Test
    void aSetVariableReplacesAWholeDefaultThatHoldsBraces() {
        // Ended at its first '}', the reference would have left "9001}" and "9001,3}$".
        assertThat(Placeholders.expand("${PORT:-{v1}}", ENV)).isEqualTo("9001");
        assertThat(Placeholders.expand("${PORT:-^/v[0-9]{1,3}$}", ENV)).isEqualTo("9001");
    }

    @Test
    void rejectsAnUnclosedReference() {
        assertThatIllegalArgumentException().isThrownBy(() -> Placeholders.expand("${HOST", ENV))
                .withMessage("unclosed '${' (expected: ${NAME} or ${NAME:-default})");
    }

    @Test
    void aDefaultWhoseBracesDoNotBalanceIsUnclosedAndTheErrorSaysWhy() {
        assertThatIllegalArgumentException().isThrownBy(() -> Placeholders.expand("${PORT:-{}", ENV))
                .withMessage("unclosed '${' (expected: ${NAME} or ${NAME:-default}) (a default's braces must balance)");
    }

    @Test
    void rejectsADefaultThatHoldsAnotherReferenceWhetherOrNotTheVariableIsSet() {
        // A default is not expanded: it would be the literal text "${FALLBACK}".
        assertThatIllegalArgumentException().isThrownBy(() -> Placeholders.expand("${HOST:-${FALLBACK}}", ENV))
                .withMessage("'${HOST:-${FALLBACK}}': a default cannot hold another '${' (expected: ${NAME:-text})");
        assertThatIllegalArgumentException().isThrownBy(() -> Placeholders.expand("${UNSET:-${FALLBACK}}", ENV))
                .withMessageStartingWith("'${UNSET:-${FALLBACK}}'");
    }

    @Test
    void rejectsAReferenceThatIsNotAVariableName() {
        assertThatIllegalArgumentException().isThrownBy(() -> Placeholders.expand("${API-PORT}", ENV))
                .withMessage("'${API-PORT}' is not a variable reference (expected: ${NAME} or ${NAME:-default})");
    }
}
