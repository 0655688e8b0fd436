//! Bounds shared by the built-in highlighter and the code-and-math provider (a leaf: both
//! `highlight` and `rich` use it, so neither imports the other for it).

/// How much of an open code block is highlighted while it streams, in bytes: the tail is
/// sent and rebuilt whole on every update, so its cost must not grow with a long block. The
/// code after it shows unhighlighted until the block closes (then it is all highlighted).
pub(crate) const OPEN_HIGHLIGHT_LIMIT: usize = 4096;
