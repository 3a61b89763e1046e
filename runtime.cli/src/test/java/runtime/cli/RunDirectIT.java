package runtime.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** All of RunIT without the server: each command in a JVM of its own (STRATA_SERVER=off), as before issue 18. */
class RunDirectIT extends RunIT {
    @BeforeAll
    static void withoutServer() {
        Installation.direct = true;
    }

    @AfterAll
    static void serverAgain() {
        Installation.direct = Boolean.getBoolean("strata.it.direct");
    }
}
