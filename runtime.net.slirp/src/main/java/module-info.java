/** The slirp4netns network driver: user-mode networking and port forwards for isolated containers. */
module runtime.net.slirp {
    requires runtime.api;
}
