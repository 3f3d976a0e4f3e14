//! Steward's knowledge of e-mail, with no database and no network: turning a raw RFC 5322 message
//! into an [`Inbound`] (addresses, subject, text, attachments, threading keys), recognising
//! automatic mail (auto-replies, bulk mail, bounces, Steward's own mail coming back) so that it is
//! never answered, finding the ticket tag in a subject, and folding quoted history.

mod automatic;
mod fold;
pub mod hostile;
mod parse;
mod render;
mod sanitize;
mod subject;

pub use automatic::Automatic;
pub use fold::{fold, Folded};
/// Readers for mbox files and Maildirs (for importing an existing mailbox).
pub use mail_parser::mailbox;
pub use parse::{parse, Address, Attachment, Inbound, ParseError, MAX_MESSAGE_BYTES};
pub use render::{render, Outgoing, RenderError, Rendered};
pub use sanitize::sanitize_html;
pub use subject::{reply_subject, ticket_number_in_subject, DEFAULT_TAG_PREFIX};

/// The header Steward puts on every message it sends, naming the ticket. A message that comes back
/// with it is Steward's own.
pub const OWN_HEADER: &str = "X-Steward-Ticket";

#[cfg(test)]
mod corpus_tests;
