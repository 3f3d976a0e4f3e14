//! Auto-assignment within a team: who gets the next ticket. Pure: the candidates (the team's
//! active staff who are not away) and what the store knows in, one person out.

use serde::{Deserialize, Serialize};

use crate::PersonId;

/// How a team hands out its new tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssignMode {
    /// In turn, by person id, after the one chosen last.
    RoundRobin,
    /// To whoever holds the fewest open tickets (on a tie, the lowest id).
    LeastOpen,
}

impl crate::Named for AssignMode {
    const ALL: &'static [Self] = &[AssignMode::RoundRobin, AssignMode::LeastOpen];
    const WHAT: &'static str = "assignment mode";
    fn as_str(self) -> &'static str {
        match self {
            AssignMode::RoundRobin => "round_robin",
            AssignMode::LeastOpen => "least_open",
        }
    }
}

/// The next assignee among `candidates`: for round robin the first after `last` (wrapping
/// round), for least-open the one with the fewest open tickets (`open`; missing means none).
pub fn choose(
    mode: AssignMode,
    candidates: &[PersonId],
    last: Option<PersonId>,
    open: &[(PersonId, i64)],
) -> Option<PersonId> {
    let mut sorted = candidates.to_vec();
    sorted.sort();
    sorted.dedup();
    match mode {
        AssignMode::RoundRobin => last
            .and_then(|l| sorted.iter().find(|p| **p > l))
            .or(sorted.first())
            .copied(),
        AssignMode::LeastOpen => sorted.iter().copied().min_by_key(|p| {
            let n = open.iter().find(|(q, _)| q == p).map_or(0, |(_, n)| *n);
            (n, *p)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[i64]) -> Vec<PersonId> {
        v.iter().map(|i| PersonId(*i)).collect()
    }

    #[test]
    fn round_robin_goes_in_turn_and_wraps() {
        let c = ids(&[7, 3, 5]);
        let rr = |last: Option<i64>| choose(AssignMode::RoundRobin, &c, last.map(PersonId), &[]);
        assert_eq!(rr(None), Some(PersonId(3)));
        assert_eq!(rr(Some(3)), Some(PersonId(5)));
        assert_eq!(rr(Some(5)), Some(PersonId(7)));
        assert_eq!(rr(Some(7)), Some(PersonId(3)));
        // The last one left the team (or is away): the next after them.
        assert_eq!(rr(Some(4)), Some(PersonId(5)));
        assert_eq!(
            choose(AssignMode::RoundRobin, &[], Some(PersonId(1)), &[]),
            None
        );
    }

    #[test]
    fn least_open_takes_the_least_busy() {
        let c = ids(&[1, 2, 3]);
        let open = [(PersonId(1), 4), (PersonId(2), 1), (PersonId(3), 1)];
        assert_eq!(
            choose(AssignMode::LeastOpen, &c, None, &open),
            Some(PersonId(2))
        );
        // Nobody counted holds nothing: they come first.
        let open = [(PersonId(1), 4), (PersonId(2), 1)];
        assert_eq!(
            choose(AssignMode::LeastOpen, &c, None, &open),
            Some(PersonId(3))
        );
        assert_eq!(choose(AssignMode::LeastOpen, &[], None, &open), None);
    }
}
