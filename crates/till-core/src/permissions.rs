//! The shop's permission table: which sales action needs whose approval.
//!
//! [`Action::policy`] is the built-in table. A shop (its `till.toml`
//! `[rules.permissions]`, or head office's ruleset) may move a sales action
//! to another level: `cashier` (anyone who sells may do it alone),
//! `supervisor` or `manager` (that role or above does it alone and approves
//! it for the others). What is not a sales action (users, configuration,
//! diagnostics) keeps its built-in row: a ruleset cannot hand those out.

use crate::auth::{
    is_approved, Action, ApprovalRequired, AuthError, Permission, Policy, Role, User,
};
use crate::records::ApprovalRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Changes to the built-in permission table, per action (empty: the
/// built-in table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permissions(BTreeMap<Action, Role>);

/// The table cannot say this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    /// No such action.
    #[error("unknown action {0:?} (one of: {list})", list = Permissions::configurable_names().join(", "))]
    UnknownAction(String),
    /// Not a sales action: its row is fixed.
    #[error("{0:?} cannot be changed by the rules (users, configuration and diagnostics keep their built-in permissions)")]
    Fixed(String),
    /// The level is not a sales role.
    #[error("{action:?}: {level:?} is not one of cashier, supervisor, manager")]
    BadLevel {
        /// The action.
        action: String,
        /// As written.
        level: String,
    },
}

const SELLERS: &[Role] = &[Role::Cashier, Role::Supervisor, Role::Manager];
const SUP: &[Role] = &[Role::Supervisor, Role::Manager];
const MGR: &[Role] = &[Role::Manager];

impl Permissions {
    /// Whether a ruleset may move `action` (a sales action).
    pub fn is_configurable(action: Action) -> bool {
        !matches!(
            action,
            Action::Sell | Action::ConfigChange | Action::DeviceDiagnostics | Action::ManageUsers
        )
    }

    /// The names a ruleset may use, in the stable order.
    pub fn configurable_names() -> Vec<&'static str> {
        Action::ALL
            .into_iter()
            .filter(|a| Self::is_configurable(*a))
            .map(|a| a.as_str())
            .collect()
    }

    /// The table from `action name -> level name` (as in till.toml).
    pub fn from_names(map: &BTreeMap<String, String>) -> Result<Permissions, PermissionError> {
        let mut out = BTreeMap::new();
        for (name, level) in map {
            let action = Action::from_name(name)
                .ok_or_else(|| PermissionError::UnknownAction(name.clone()))?;
            if !Self::is_configurable(action) {
                return Err(PermissionError::Fixed(name.clone()));
            }
            let role = match level.as_str() {
                "cashier" => Role::Cashier,
                "supervisor" => Role::Supervisor,
                "manager" => Role::Manager,
                _ => {
                    return Err(PermissionError::BadLevel {
                        action: name.clone(),
                        level: level.clone(),
                    })
                }
            };
            out.insert(action, role);
        }
        Ok(Permissions(out))
    }

    /// The level set for `action`, if the table changes it.
    pub fn level(&self, action: Action) -> Option<Role> {
        self.0.get(&action).copied()
    }

    /// The row in force for `action`.
    pub fn policy(&self, action: Action) -> Policy {
        match self.level(action) {
            None => action.policy(),
            Some(Role::Cashier) => Policy {
                alone: SELLERS,
                approvers: &[],
            },
            Some(Role::Supervisor) => Policy {
                alone: SUP,
                approvers: SUP,
            },
            Some(_) => Policy {
                alone: MGR,
                approvers: MGR,
            },
        }
    }

    /// What `role` may do about `action` under this table.
    pub fn permission(&self, role: Role, action: Action) -> Permission {
        let p = self.policy(action);
        if p.alone.contains(&role) {
            return Permission::Allowed;
        }
        match p.approvers.first() {
            // A technician is never approved into a sales action: the till is not theirs to run.
            Some(&min_role) if role != Role::Technician => Permission::NeedsApproval { min_role },
            _ => Permission::Forbidden,
        }
    }

    /// [`crate::auth::authorize`] under this table.
    pub fn authorize(
        &self,
        role: Role,
        approvals: &[ApprovalRecord],
        action: Action,
        detail: String,
    ) -> Result<(), AuthError> {
        match self.permission(role, action) {
            Permission::Allowed => Ok(()),
            Permission::Forbidden => Err(AuthError::Forbidden { role, action }),
            Permission::NeedsApproval { min_role } => {
                let req = ApprovalRequired {
                    action,
                    min_role,
                    detail,
                };
                if is_approved(approvals, &req) {
                    Ok(())
                } else {
                    Err(req.into())
                }
            }
        }
    }

    /// [`crate::auth::approve`] under this table.
    pub fn approve(
        &self,
        required: &ApprovalRequired,
        approver: &User,
        requester: &User,
    ) -> Result<ApprovalRecord, AuthError> {
        if approver.id == requester.id {
            return Err(AuthError::SelfApproval(approver.id.clone()));
        }
        if !self
            .policy(required.action)
            .approvers
            .contains(&approver.role)
        {
            return Err(AuthError::ApproverNotAllowed {
                role: approver.role,
                action: required.action,
            });
        }
        Ok(ApprovalRecord {
            action: required.action.as_str().to_string(),
            requested_by: requester.id.clone(),
            approved_by: approver.id.clone(),
            detail: required.detail.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::user;

    fn table(pairs: &[(&str, &str)]) -> Result<Permissions, PermissionError> {
        Permissions::from_names(
            &pairs
                .iter()
                .map(|(a, l)| (a.to_string(), l.to_string()))
                .collect(),
        )
    }

    #[test]
    fn empty_table_is_the_built_in_one() {
        let t = Permissions::default();
        for a in Action::ALL {
            for r in [
                Role::Cashier,
                Role::Supervisor,
                Role::Manager,
                Role::Technician,
            ] {
                assert_eq!(
                    t.permission(r, a),
                    crate::auth::permission(r, a),
                    "{a:?} {r:?}"
                );
            }
        }
    }

    #[test]
    fn a_level_moves_who_does_alone_and_who_approves() {
        let t = table(&[
            ("refund", "manager"),
            ("no_sale_drawer", "cashier"),
            ("abandon_basket", "supervisor"),
        ])
        .unwrap();
        assert_eq!(
            t.permission(Role::Supervisor, Action::Refund),
            Permission::NeedsApproval {
                min_role: Role::Manager
            }
        );
        assert_eq!(
            t.permission(Role::Cashier, Action::NoSaleDrawer),
            Permission::Allowed
        );
        assert_eq!(
            t.permission(Role::Cashier, Action::AbandonBasket),
            Permission::NeedsApproval {
                min_role: Role::Supervisor
            }
        );
        let req = ApprovalRequired {
            action: Action::Refund,
            min_role: Role::Manager,
            detail: "x".into(),
        };
        let c = user("c1", Role::Cashier);
        assert!(t.approve(&req, &user("s1", Role::Supervisor), &c).is_err());
        assert!(t.approve(&req, &user("m1", Role::Manager), &c).is_ok());
    }

    #[test]
    fn fixed_rows_unknown_actions_and_levels_are_refused_by_name() {
        assert_eq!(
            table(&[("manage_users", "cashier")]),
            Err(PermissionError::Fixed("manage_users".into()))
        );
        let e = table(&[("refnd", "manager")]).unwrap_err().to_string();
        assert!(
            e.contains("refnd") && e.contains("refund_without_receipt"),
            "{e}"
        );
        let e = table(&[("refund", "boss")]).unwrap_err().to_string();
        assert!(e.contains("boss") && e.contains("supervisor"), "{e}");
    }
}
