//! The chat bundle that Trunk builds (`view=chat`, the default): it only mounts. Everything
//! else lives in the library; the loader in `index.html` picks this bundle or `rill-feed`.

fn main() {
    rill::mount(rill::app::Views::CHAT);
}
