//! Enums that have a stable lower-case name (in the API, the database and the CLI).

/// An enum whose every value has a stable name.
pub trait Named: Copy + Sized + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// What this enum is called in error messages ("status", "role").
    const WHAT: &'static str;
    /// The stable name of this value.
    fn as_str(self) -> &'static str;

    /// Parses a stable name; the error lists what is accepted.
    fn parse(s: &str) -> Result<Self, crate::DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                crate::DomainError::invalid(
                    Self::WHAT,
                    format!(
                        "unknown {} {s:?}; expected one of: {}",
                        Self::WHAT,
                        Self::names()
                    ),
                )
            })
    }

    /// The accepted names, comma-separated.
    fn names() -> String {
        Self::ALL
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
