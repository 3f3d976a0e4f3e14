//! Automation rules: kept by administrators and managers, run in the transaction of the event that
//! sets them off (a ticket opened or changed, a message added, an SLA warning or breach). Their
//! changes are recorded as made by Steward and do not set off rules again (no loops); an action the
//! ticket's rules refuse (reopening a closed ticket, say) is skipped, never failing the event.

use steward_domain::policy::{check, Action as Can};
use steward_domain::rules::{self, Action, Rule, RuleDef, Trigger};
use steward_domain::{validate, Actor, EventAction, MessageKind, Ticket, TicketPatch};
use steward_store::{Conn, StoreError};

use crate::error::NotFoundAs;
use crate::notify::StaffEvent;
use crate::{Result, Service, ServiceError};

/// A rule as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    pub name: String,
    pub position: i64,
    pub enabled: bool,
    pub def: RuleDef,
}

/// How many open tickets the test mode looks at.
const TEST_LIMIT: i64 = 1000;

impl Service {
    pub async fn rules(&self, actor: &Actor) -> Result<Vec<Rule>> {
        check(actor, Can::ViewServiceLevels).map_err(|d| ServiceError::denied(d, "rule"))?;
        Ok(self.store.read().await?.list_rules().await?)
    }

    fn check_rule(actor: &Actor, r: &RuleInput) -> Result<String> {
        check(actor, Can::ManageServiceLevels).map_err(|d| ServiceError::denied(d, "rule"))?;
        let name = validate::name("name", &r.name)?;
        r.def.check()?;
        Ok(name)
    }

    pub async fn create_rule(&self, actor: &Actor, r: RuleInput) -> Result<Rule> {
        let name = Self::check_rule(actor, &r)?;
        let mut tx = self.store.write().await?;
        let rule = tx
            .insert_rule(&name, r.position, r.enabled, &r.def, self.now())
            .await?;
        self.audit_setting(&mut tx, actor, "rule", rule.id, "created", &name)
            .await?;
        self.schedule_time_rules(&mut tx).await?;
        tx.commit().await?;
        Ok(rule)
    }

    pub async fn update_rule(&self, actor: &Actor, id: i64, r: RuleInput) -> Result<Rule> {
        let name = Self::check_rule(actor, &r)?;
        let mut tx = self.store.write().await?;
        let rule = tx
            .update_rule(id, &name, r.position, r.enabled, &r.def, self.now())
            .await
            .not_found_as("rule")?;
        self.audit_setting(&mut tx, actor, "rule", id, "changed", &name)
            .await?;
        self.schedule_time_rules(&mut tx).await?;
        tx.commit().await?;
        Ok(rule)
    }

    pub async fn delete_rule(&self, actor: &Actor, id: i64) -> Result<()> {
        check(actor, Can::ManageServiceLevels).map_err(|d| ServiceError::denied(d, "rule"))?;
        let mut tx = self.store.write().await?;
        tx.delete_rule(id).await.not_found_as("rule")?;
        self.audit_setting(&mut tx, actor, "rule", id, "deleted", "")
            .await?;
        self.schedule_time_rules(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Test mode: the open tickets (up to 1,000, oldest first) whose fields meet a rule's
    /// conditions now. Nothing is changed.
    pub async fn test_rule(&self, actor: &Actor, def: &RuleDef) -> Result<Vec<Ticket>> {
        check(actor, Can::ViewServiceLevels).map_err(|d| ServiceError::denied(d, "rule"))?;
        let now = self.now();
        let mut c = self.store.read().await?;
        let mut tickets = c.active_tickets(0, TEST_LIMIT).await?;
        tickets.retain(|t| def.conditions.hold(t, now));
        Ok(tickets)
    }

    /// Runs the rules set off by `trigger` on `t`, in its transaction.
    pub(crate) async fn run_rules(
        &self,
        tx: &mut Conn,
        t: &mut Ticket,
        trigger: Trigger,
    ) -> Result<()> {
        let all = tx.list_rules().await?;
        if all.is_empty() {
            return Ok(());
        }
        let now = self.now();
        for rule in rules::matching(&all, trigger, t, now) {
            for action in &rule.def.actions {
                self.run_action(tx, t, rule, trigger, action, now).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn run_action(
        &self,
        tx: &mut Conn,
        t: &mut Ticket,
        rule: &Rule,
        trigger: Trigger,
        action: &Action,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        let patch = match action {
            Action::SetStatus { status } => TicketPatch {
                status: Some(*status),
                ..Default::default()
            },
            Action::SetPriority { priority } => TicketPatch {
                priority: Some(*priority),
                ..Default::default()
            },
            Action::SetType { ticket_type } => TicketPatch {
                ticket_type: Some(*ticket_type),
                ..Default::default()
            },
            Action::SetTeam { team } => {
                if let Some(team) = team {
                    match tx.get_team(*team).await {
                        Ok(_) => {}
                        Err(StoreError::NotFound) => {
                            tracing::warn!(
                                rule = rule.id,
                                team = team.0,
                                "rule names a team that is gone"
                            );
                            return Ok(());
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                TicketPatch {
                    team_id: Some(*team),
                    ..Default::default()
                }
            }
            Action::Assign { person } => {
                if let Some(p) = person {
                    match tx.get_person(*p).await {
                        Ok(p) if p.active && p.role.is_staff() => {}
                        Err(e) if !matches!(e, StoreError::NotFound) => return Err(e.into()),
                        _ => {
                            tracing::warn!(
                                rule = rule.id,
                                person = p.0,
                                "rule assigns to someone who cannot take tickets"
                            );
                            return Ok(());
                        }
                    }
                }
                TicketPatch {
                    assignee_id: Some(*person),
                    ..Default::default()
                }
            }
            Action::SetCategory { category } => {
                if let Some(c) = category {
                    match tx.get_category(*c).await {
                        Ok(_) => {}
                        Err(StoreError::NotFound) => return Ok(()),
                        Err(e) => return Err(e.into()),
                    }
                }
                TicketPatch {
                    category_id: Some(*category),
                    ..Default::default()
                }
            }
            Action::AddTag { tag } => TicketPatch {
                add_tags: vec![tag.clone()],
                ..Default::default()
            },
            Action::RemoveTag { tag } => TicketPatch {
                remove_tags: vec![tag.clone()],
                ..Default::default()
            },
            Action::AddNote { text } => {
                if t.status == steward_domain::Status::Closed {
                    return Ok(());
                }
                tx.insert_message(t.id, None, MessageKind::Internal, text, now)
                    .await?;
                tx.record_history(t.id, None, now, EventAction::Noted, &[])
                    .await?;
                return Ok(());
            }
            Action::Notify { to, message } => {
                self.notify_staff(tx, t, StaffEvent::Rule(*to), None, message, now)
                    .await?;
                return Ok(());
            }
            Action::EmailRequester { subject, body } => {
                self.enqueue_rule_mail(tx, t, &rule.name, subject, body, now)
                    .await?;
                return Ok(());
            }
            Action::Webhook { url } => {
                let body = serde_json::json!({
                    "event": trigger,
                    "rule": rule.name,
                    "at": now.to_string(),
                    "ticket": {
                        "id": t.id.0, "number": t.number, "subject": t.subject,
                        "type": t.ticket_type, "status": t.status, "priority": t.priority,
                        "team_id": t.team_id.map(|x| x.0), "assignee_id": t.assignee_id.map(|x| x.0),
                        "requester_id": t.requester_id.0,
                        "organisation_id": t.organisation_id.map(|x| x.0), "tags": t.tags,
                        "rating": t.rating,
                    },
                });
                let payload = serde_json::json!({"url": url, "body": body}).to_string();
                tx.schedule_job(crate::jobs::WEBHOOK, Some(t.id), &payload, None, now, now)
                    .await?;
                return Ok(());
            }
        };
        let mut next = t.clone();
        match next.apply(patch, now) {
            Ok(changes) if !changes.is_empty() => {
                let tags = changes
                    .iter()
                    .any(|c| c.field == steward_domain::Field::Tags);
                tx.update_ticket(&next, tags).await?;
                tx.record_history(t.id, None, now, EventAction::Changed, &changes)
                    .await?;
                *t = next;
                if let Action::Assign { person: Some(p) } = action {
                    self.notify_staff(tx, t, StaffEvent::Assigned(*p), None, "", now)
                        .await?;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::info!(rule = rule.id, ticket = t.number, error = %e, "rule action skipped");
            }
        }
        Ok(())
    }
}
