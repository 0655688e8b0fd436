//! The app binary that Trunk builds: it only mounts. Everything else lives in the library.

fn main() {
    rill::mount();
}
