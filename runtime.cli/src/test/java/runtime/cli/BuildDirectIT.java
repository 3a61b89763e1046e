package runtime.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** All of BuildIT without the server: each command in a JVM of its own (STRATA_SERVER=off), as before issue 18. */
class BuildDirectIT extends BuildIT {
    @BeforeAll
    static void withoutServer() {
        Installation.direct = true;
    }

    @AfterAll
    static void serverAgain() {
        Installation.direct = Boolean.getBoolean("strata.it.direct");
    }
}
