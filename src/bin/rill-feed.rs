//! The feed bundle that Trunk builds (`view=clock`, `view=inspect`): it only mounts. Without
//! the chat's code it is smaller, and the chat bundle is smaller without it.

fn main() {
    rill::mount(rill::app::Views::FEED);
}
