//! Records as callers see them.

/// One record read from the log: its offset, when it was appended, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's offset.
    pub offset: u64,
    /// Append time in milliseconds since the Unix epoch, never decreasing along the log. It is
    /// read from the kernel's coarse clock (resolution one tick, 1-4 ms), which costs a third
    /// of the precise clock on the append path.
    pub timestamp: u64,
    /// The bytes that were appended.
    pub value: Vec<u8>,
}

/// A record borrowed from the log's memory map, valid only inside [`crate::Log::read_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// The record's offset.
    pub offset: u64,
    /// Append time in milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// The bytes that were appended.
    pub value: &'a [u8],
}

impl RecordRef<'_> {
    /// Copies the record out.
    pub fn to_record(&self) -> Record {
        Record {
            offset: self.offset,
            timestamp: self.timestamp,
            value: self.value.to_vec(),
        }
    }
}
