package dev.ballast.core.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProvidersTest {

    @Test
    void aProviderThatCannotBeLoadedIsSkippedAndTheOthersAreStillFound() {
        // The services file lists a class that does not exist before the one that does.
        assertThat(Providers.find(Greeter.class, greeter -> greeter.language().equals("en")))
                .get().isInstanceOf(EnglishGreeter.class);
    }

    @Test
    void nothingIsFoundForAProviderNoneOffers() {
        assertThat(Providers.find(Greeter.class, greeter -> greeter.language().equals("fr"))).isEmpty();
    }
}
