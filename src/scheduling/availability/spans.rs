//! The shapes a host's day is cut into: working ranges in seconds, and the spans of slot
//! starts a host allows inside them.

/// A working range resolved to UTC seconds. `anchor` is the configured local start as seconds
/// of a naive (zone-less) clock, the origin of the range's slot grid.
#[derive(Debug, Clone, Copy)]
pub(super) struct WorkingRange {
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) anchor: i64,
}

/// Slot starts `[from, to)` allowed by one host, inside working range `range` of its plan.
#[derive(Debug, Clone, Copy)]
pub(super) struct StartSpan {
    pub(super) from: i64,
    pub(super) to: i64,
    pub(super) range: usize,
}
