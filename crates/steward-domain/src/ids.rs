//! Typed identifiers, so that a person's id can never be passed where a ticket's is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An organisation (a client company or a department).
    OrgId
);
id_type!(
    /// A person: a requester or a member of staff.
    PersonId
);
id_type!(
    /// A team, which is also a queue of tickets.
    TeamId
);
id_type!(
    /// A ticket's internal id (not its human number).
    TicketId
);
id_type!(
    /// A ticket category.
    CategoryId
);
id_type!(
    /// A message (public reply or internal note) on a ticket.
    MessageId
);
id_type!(
    /// An API token.
    TokenId
);
id_type!(
    /// A knowledge-base article.
    ArticleId
);
id_type!(
    /// A knowledge-base category.
    KbCategoryId
);
