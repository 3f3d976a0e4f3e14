//! Downtime: staff record outages of a service (for everyone or one organisation), and each month's
//! downtime is measured against the commitment "at most so many minutes a month".

use steward_domain::downtime::{down_within, month_bounds};
use steward_domain::policy::{check, Action};
use steward_domain::{validate, Actor, OrgId, Timestamp};
use steward_store::downtime::{Commitment, Downtime};
use steward_store::StoreError;

use crate::error::NotFoundAs;
use crate::{Result, Service, ServiceError};

/// An outage to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDowntime {
    pub service: String,
    pub organisation_id: Option<OrgId>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub note: String,
}

/// One commitment's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DowntimeMonth {
    pub commitment: Commitment,
    pub down_minutes: i64,
    /// Within the commitment (down no longer than allowed).
    pub kept: bool,
}

fn service_name(s: &str) -> Result<String> {
    Ok(validate::name("service", s)?)
}

impl Service {
    /// Records an outage (staff).
    pub async fn record_downtime(&self, actor: &Actor, d: NewDowntime) -> Result<Downtime> {
        check(actor, Action::ViewServiceLevels).map_err(|e| ServiceError::denied(e, "downtime"))?;
        let service = service_name(&d.service)?;
        if d.ended_at.is_some_and(|e| e <= d.started_at) {
            return Err(ServiceError::invalid(
                "ended_at",
                "must be after started_at",
            ));
        }
        if d.note.chars().count() > 2000 {
            return Err(ServiceError::invalid("note", "at most 2000 characters"));
        }
        let mut tx = self.store.write().await?;
        if let Some(o) = d.organisation_id {
            match tx.get_org(o).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::invalid(
                        "organisation_id",
                        format!("there is no organisation {o}"),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        let rec = tx
            .insert_downtime(
                &Downtime {
                    id: 0,
                    service,
                    organisation_id: d.organisation_id,
                    started_at: d.started_at,
                    ended_at: d.ended_at,
                    note: d.note.trim().to_string(),
                },
                actor.person_id,
                self.now(),
            )
            .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Ends an outage (at `at`, or now).
    pub async fn end_downtime(
        &self,
        actor: &Actor,
        id: i64,
        at: Option<Timestamp>,
    ) -> Result<Downtime> {
        check(actor, Action::ViewServiceLevels).map_err(|e| ServiceError::denied(e, "downtime"))?;
        let at = at.unwrap_or_else(|| self.now());
        let mut tx = self.store.write().await?;
        let d = tx.get_downtime(id).await.not_found_as("downtime")?;
        if at <= d.started_at {
            return Err(ServiceError::invalid(
                "ended_at",
                "must be after started_at",
            ));
        }
        let d = tx.end_downtime(id, at).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Outages overlapping `[from, to)` (staff).
    pub async fn downtimes(
        &self,
        actor: &Actor,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Downtime>> {
        check(actor, Action::ViewServiceLevels).map_err(|e| ServiceError::denied(e, "downtime"))?;
        Ok(self.store.read().await?.downtimes_between(from, to).await?)
    }

    /// Sets the commitment for a service (and organisation), replacing an earlier one.
    pub async fn set_downtime_commitment(
        &self,
        actor: &Actor,
        c: Commitment,
    ) -> Result<Commitment> {
        check(actor, Action::ManageServiceLevels)
            .map_err(|e| ServiceError::denied(e, "commitment"))?;
        let service = service_name(&c.service)?;
        if jiff::tz::TimeZone::get(&c.time_zone).is_err() {
            return Err(ServiceError::invalid(
                "time_zone",
                format!("{:?} is not an IANA time zone", c.time_zone),
            ));
        }
        if !(0..=31 * 24 * 60).contains(&c.max_minutes_per_month) {
            return Err(ServiceError::invalid(
                "max_minutes_per_month",
                "from 0 to the minutes of a month",
            ));
        }
        let mut tx = self.store.write().await?;
        let saved = tx.set_commitment(&Commitment { service, ..c }).await?;
        self.audit(
            &mut tx,
            actor,
            steward_domain::audit::AuditAction::SettingsChanged,
            &format!("commitment:{}", saved.id),
            serde_json::json!({ "setting": "commitment", "change": "changed",
                "service": saved.service, "organisation_id": saved.organisation_id.map(|o| o.0),
                "max_minutes_per_month": saved.max_minutes_per_month }),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Each commitment's downtime in a month (counted in the commitment's time zone). A
    /// commitment for everyone counts outages recorded for everyone; one for an organisation
    /// counts those and the organisation's own.
    pub async fn downtime_report(
        &self,
        actor: &Actor,
        year: i16,
        month: i8,
    ) -> Result<Vec<DowntimeMonth>> {
        check(actor, Action::ViewServiceLevels).map_err(|e| ServiceError::denied(e, "downtime"))?;
        let mut c = self.store.read().await?;
        let now = self.now();
        let mut out = Vec::new();
        for commitment in c.commitments().await? {
            let tz =
                jiff::tz::TimeZone::get(&commitment.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
            let (from, to) = month_bounds(year, month, &tz)
                .ok_or_else(|| ServiceError::invalid("month", "not a month"))?;
            let records: Vec<(Timestamp, Option<Timestamp>)> = c
                .downtimes_between(from, to)
                .await?
                .into_iter()
                .filter(|d| d.service.eq_ignore_ascii_case(&commitment.service))
                .filter(|d| {
                    d.organisation_id.is_none() || d.organisation_id == commitment.organisation_id
                })
                .map(|d| (d.started_at, d.ended_at))
                .collect();
            let down = down_within(&records, from, to, now);
            let down_minutes = (down.as_secs() + 59) / 60;
            out.push(DowntimeMonth {
                kept: down_minutes <= commitment.max_minutes_per_month,
                down_minutes,
                commitment,
            });
        }
        Ok(out)
    }
}
