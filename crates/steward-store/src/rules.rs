//! Queries for automation rules.

use steward_domain::rules::{Rule, RuleDef};
use steward_domain::Timestamp;

use crate::query::q;
use crate::rows::ts;
use crate::{Conn, Result, StoreError};

type RuleRow = (i64, String, i64, bool, String);

fn rule(r: RuleRow) -> Result<Rule> {
    let (id, name, position, enabled, definition) = r;
    Ok(Rule {
        id,
        name,
        position,
        enabled,
        def: serde_json::from_str(&definition)
            .map_err(|e| StoreError::Corrupt(format!("rule {id}: {e}")))?,
    })
}

fn json(def: &RuleDef) -> Result<String> {
    serde_json::to_string(def).map_err(|e| StoreError::Corrupt(format!("encoding a rule: {e}")))
}

impl Conn {
    /// Every rule, in order.
    pub async fn list_rules(&mut self) -> Result<Vec<Rule>> {
        let rows: Vec<RuleRow> = self
            .fetch_all(q(
                "SELECT id, name, position, enabled, definition FROM rules ORDER BY position, id",
            ))
            .await?;
        rows.into_iter().map(rule).collect()
    }

    pub async fn get_rule(&mut self, id: i64) -> Result<Rule> {
        let row: RuleRow = self
            .fetch_one(
                q("SELECT id, name, position, enabled, definition FROM rules WHERE id = $1")
                    .bind(id),
            )
            .await?;
        rule(row)
    }

    pub async fn insert_rule(
        &mut self,
        name: &str,
        position: i64,
        enabled: bool,
        def: &RuleDef,
        now: Timestamp,
    ) -> Result<Rule> {
        let row: RuleRow = self
            .fetch_one(
                q("INSERT INTO rules (name, position, enabled, definition, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $5) RETURNING id, name, position, enabled, definition")
                .bind(name)
                .bind(position)
                .bind(enabled)
                .bind(json(def)?)
                .bind(ts(now)),
            )
            .await?;
        rule(row)
    }

    pub async fn update_rule(
        &mut self,
        id: i64,
        name: &str,
        position: i64,
        enabled: bool,
        def: &RuleDef,
        now: Timestamp,
    ) -> Result<Rule> {
        let row: RuleRow = self
            .fetch_one(
                q("UPDATE rules SET name = $1, position = $2, enabled = $3, definition = $4, updated_at = $5
                   WHERE id = $6 RETURNING id, name, position, enabled, definition")
                .bind(name)
                .bind(position)
                .bind(enabled)
                .bind(json(def)?)
                .bind(ts(now))
                .bind(id),
            )
            .await?;
        rule(row)
    }

    pub async fn delete_rule(&mut self, id: i64) -> Result<()> {
        let n = self
            .execute(q("DELETE FROM rules WHERE id = $1").bind(id))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
