//! Record ownership and the workspace's members (API 0.2.0): who a record belongs to, what a
//! before-hook may set besides the record's data, and the people work can be routed to.

use serde_json::Value;

/// Who owns a record: a user and a team, each by id, each optional. Ownership decides who may
/// see and change the record under an `own` or `team` scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    pub owned_by: Option<String>,
    pub owning_team: Option<String>,
}

impl Owners {
    /// Owned by one user, no team.
    pub fn user(id: impl Into<String>) -> Owners {
        Owners {
            owned_by: Some(id.into()),
            owning_team: None,
        }
    }

    /// Owned by one team, no user.
    pub fn team(id: impl Into<String>) -> Owners {
        Owners {
            owned_by: None,
            owning_team: Some(id.into()),
        }
    }

    /// These owners with `id` as the owning team too.
    pub fn and_team(mut self, id: impl Into<String>) -> Owners {
        self.owning_team = Some(id.into());
        self
    }
}

/// What a before-* hook leaves: the record to store instead (`None` keeps it) and the owners to
/// give it (`None` keeps them: on create, the request's user). Both are ignored on delete.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BeforeChange {
    pub record: Option<Value>,
    pub owners: Option<Owners>,
}

impl BeforeChange {
    /// Nothing changes.
    pub fn keep() -> BeforeChange {
        BeforeChange::default()
    }

    /// Store `record` instead of the one given.
    pub fn record(record: Value) -> BeforeChange {
        BeforeChange {
            record: Some(record),
            owners: None,
        }
    }

    /// Give the record these owners: on create it is inserted already owned by them.
    pub fn owned_by(mut self, owners: Owners) -> BeforeChange {
        self.owners = Some(owners);
        self
    }
}

impl From<Option<Value>> for BeforeChange {
    fn from(record: Option<Value>) -> BeforeChange {
        BeforeChange {
            record,
            owners: None,
        }
    }
}

/// A team a member belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRef {
    pub id: String,
    pub name: String,
}

/// A user of the workspace as routing needs them (no e-mail, role or sign-in data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub display_name: String,
    pub teams: Vec<TeamRef>,
    /// A disabled user cannot sign in: route nothing new to them.
    pub disabled: bool,
}

impl Member {
    /// An enabled member in no team (tests, routing tables).
    pub fn new(id: &str, display_name: &str) -> Member {
        Member {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            teams: Vec::new(),
            disabled: false,
        }
    }

    /// This member, also in team `id` named `name`.
    pub fn in_team(mut self, id: &str, name: &str) -> Member {
        self.teams.push(TeamRef {
            id: id.to_owned(),
            name: name.to_owned(),
        });
        self
    }

    /// This member, disabled.
    pub fn disabled(mut self) -> Member {
        self.disabled = true;
        self
    }

    /// Whether the member belongs to the team with this id or name.
    pub fn belongs_to(&self, team: &str) -> bool {
        self.teams.iter().any(|t| t.id == team || t.name == team)
    }
}
