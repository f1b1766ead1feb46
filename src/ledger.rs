//! The use cases: record, summarise, undo, limits, linking. (Being built.)

/// The use cases over one store.
#[derive(Clone)]
pub struct Ledger {}
