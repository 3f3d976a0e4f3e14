//! Queries for downtime records and commitments.

use steward_domain::{OrgId, PersonId, Timestamp};

use crate::query::q;
use crate::rows::{from_ts, ts};
use crate::{Conn, Result, StoreError};

/// An outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downtime {
    pub id: i64,
    pub service: String,
    /// `None`: everyone.
    pub organisation_id: Option<OrgId>,
    pub started_at: Timestamp,
    /// `None`: still going on.
    pub ended_at: Option<Timestamp>,
    pub note: String,
}

/// At most so many minutes of downtime a month, for a service (and organisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    pub id: i64,
    pub service: String,
    pub organisation_id: Option<OrgId>,
    pub max_minutes_per_month: i64,
    /// The months are counted in this zone.
    pub time_zone: String,
}

type DowntimeRow = (i64, String, Option<i64>, i64, Option<i64>, String);

fn downtime(r: DowntimeRow) -> Result<Downtime> {
    Ok(Downtime {
        id: r.0,
        service: r.1,
        organisation_id: r.2.map(OrgId),
        started_at: from_ts(r.3)?,
        ended_at: r.4.map(from_ts).transpose()?,
        note: r.5,
    })
}

const DOWNTIME_COLS: &str = "id, service, organisation_id, started_at, ended_at, note";

impl Conn {
    pub async fn insert_downtime(
        &mut self,
        d: &Downtime,
        by: Option<PersonId>,
        now: Timestamp,
    ) -> Result<Downtime> {
        let row: DowntimeRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO downtimes (service, organisation_id, started_at, ended_at, note, created_by, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {DOWNTIME_COLS}"
                ))
                .bind(d.service.as_str())
                .bind(d.organisation_id.map(|o| o.0))
                .bind(ts(d.started_at))
                .bind(d.ended_at.map(ts))
                .bind(d.note.as_str())
                .bind(by.map(|p| p.0))
                .bind(ts(now)),
            )
            .await?;
        downtime(row)
    }

    pub async fn end_downtime(&mut self, id: i64, at: Timestamp) -> Result<Downtime> {
        let row: Option<DowntimeRow> = self
            .fetch_optional(
                q(&format!(
                    "UPDATE downtimes SET ended_at = $1 WHERE id = $2 RETURNING {DOWNTIME_COLS}"
                ))
                .bind(ts(at))
                .bind(id),
            )
            .await?;
        downtime(row.ok_or(StoreError::NotFound)?)
    }

    pub async fn get_downtime(&mut self, id: i64) -> Result<Downtime> {
        let row: DowntimeRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {DOWNTIME_COLS} FROM downtimes WHERE id = $1"
                ))
                .bind(id),
            )
            .await?;
        downtime(row)
    }

    /// Outages that overlap `[from, to)`, oldest first.
    pub async fn downtimes_between(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Downtime>> {
        let rows: Vec<DowntimeRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {DOWNTIME_COLS} FROM downtimes
                     WHERE started_at < $2 AND (ended_at IS NULL OR ended_at > $1)
                     ORDER BY started_at, id"
                ))
                .bind(ts(from))
                .bind(ts(to)),
            )
            .await?;
        rows.into_iter().map(downtime).collect()
    }

    pub async fn set_commitment(&mut self, c: &Commitment) -> Result<Commitment> {
        // (service, organisation) is unique, but NULLs never conflict: delete, then insert.
        self.execute(
            q("DELETE FROM downtime_commitments WHERE service = $1 AND organisation_id IS NOT DISTINCT FROM $2")
                .bind(c.service.as_str())
                .bind(c.organisation_id.map(|o| o.0)),
        )
        .await?;
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO downtime_commitments (service, organisation_id, max_minutes_per_month, time_zone)
                   VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(c.service.as_str())
                .bind(c.organisation_id.map(|o| o.0))
                .bind(c.max_minutes_per_month)
                .bind(c.time_zone.as_str()),
            )
            .await?;
        Ok(Commitment { id, ..c.clone() })
    }

    pub async fn commitments(&mut self) -> Result<Vec<Commitment>> {
        let rows: Vec<(i64, String, Option<i64>, i64, String)> = self
            .fetch_all(q(
                "SELECT id, service, organisation_id, max_minutes_per_month, time_zone
                 FROM downtime_commitments ORDER BY service, organisation_id, id",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, service, org, max, tz)| Commitment {
                id,
                service,
                organisation_id: org.map(OrgId),
                max_minutes_per_month: max,
                time_zone: tz,
            })
            .collect())
    }
}
