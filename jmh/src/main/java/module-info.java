/** JMH benchmarks of strata's hot paths. scripts/bench-jmh runs them on the class path. */
module jmh {
    requires runtime.core;
    requires jmh.core;
    opens runtime.jmh;
}
