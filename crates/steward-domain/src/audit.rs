//! What the audit log records: the security-relevant actions, each with its name in the log, the
//! API and the exports, and a sentence for people reading it.

use serde::{Deserialize, Serialize};

/// A kind of audit-log event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignInLocked,
    SignOut,
    SessionEnded,
    PasswordChanged,
    PasswordSet,
    PasswordResetRequested,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesReplaced,
    InvitationCreated,
    InvitationUsed,
    PersonCreated,
    PersonChanged,
    TokenCreated,
    TokenRevoked,
    SettingsChanged,
    Export,
    Backup,
    Import,
    AuditPruned,
}

impl AuditAction {
    /// Every action, in the order the admin page lists them.
    pub const ALL: [AuditAction; 22] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignInLocked,
        AuditAction::SignOut,
        AuditAction::SessionEnded,
        AuditAction::PasswordChanged,
        AuditAction::PasswordSet,
        AuditAction::PasswordResetRequested,
        AuditAction::TwoFactorEnabled,
        AuditAction::TwoFactorDisabled,
        AuditAction::RecoveryCodesReplaced,
        AuditAction::InvitationCreated,
        AuditAction::InvitationUsed,
        AuditAction::PersonCreated,
        AuditAction::PersonChanged,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::SettingsChanged,
        AuditAction::Export,
        AuditAction::Backup,
        AuditAction::Import,
        AuditAction::AuditPruned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignInLocked => "sign_in_locked",
            AuditAction::SignOut => "sign_out",
            AuditAction::SessionEnded => "session_ended",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordSet => "password_set",
            AuditAction::PasswordResetRequested => "password_reset_requested",
            AuditAction::TwoFactorEnabled => "two_factor_enabled",
            AuditAction::TwoFactorDisabled => "two_factor_disabled",
            AuditAction::RecoveryCodesReplaced => "recovery_codes_replaced",
            AuditAction::InvitationCreated => "invitation_created",
            AuditAction::InvitationUsed => "invitation_used",
            AuditAction::PersonCreated => "person_created",
            AuditAction::PersonChanged => "person_changed",
            AuditAction::TokenCreated => "token_created",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::SettingsChanged => "settings_changed",
            AuditAction::Export => "export",
            AuditAction::Backup => "backup",
            AuditAction::Import => "import",
            AuditAction::AuditPruned => "audit_pruned",
        }
    }

    /// The action named `s`, if there is one.
    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// What it means, for the admin page and the docs.
    pub fn describe(self) -> &'static str {
        match self {
            AuditAction::SignIn => "signed in",
            AuditAction::SignInFailed => "failed to sign in (wrong address or password)",
            AuditAction::SignInLocked => "sign-in refused: too many failures",
            AuditAction::SignOut => "signed out",
            AuditAction::SessionEnded => "a session was ended from the sessions list",
            AuditAction::PasswordChanged => "changed their own password",
            AuditAction::PasswordSet => "a password was set by an administrator or a link",
            AuditAction::PasswordResetRequested => "a password-reset link was mailed",
            AuditAction::TwoFactorEnabled => "two-factor sign-in was turned on",
            AuditAction::TwoFactorDisabled => "two-factor sign-in was turned off",
            AuditAction::RecoveryCodesReplaced => "new recovery codes were made",
            AuditAction::InvitationCreated => "a set-password link was made",
            AuditAction::InvitationUsed => "a set-password link was used",
            AuditAction::PersonCreated => "a person was created",
            AuditAction::PersonChanged => "a person's role, access or status changed",
            AuditAction::TokenCreated => "an API token was created",
            AuditAction::TokenRevoked => "an API token was revoked",
            AuditAction::SettingsChanged => "a setting changed (calendars, policies, rules, …)",
            AuditAction::Export => "data was exported",
            AuditAction::Backup => "a backup was taken",
            AuditAction::Import => "data was imported or restored",
            AuditAction::AuditPruned => "old audit entries were deleted (retention)",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert!(seen.insert(a.as_str()), "{a} twice");
            assert_eq!(
                serde_json::to_value(a).ok(),
                Some(serde_json::Value::String(a.as_str().into()))
            );
        }
        assert_eq!(AuditAction::parse("SIGN_IN"), None);
        assert_eq!(AuditAction::parse(""), None);
    }
}
