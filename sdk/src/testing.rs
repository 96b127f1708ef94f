//! A host for unit tests: in-memory records, a fixed clock, a configuration and captured logs,
//! so a plugin author tests handlers with plain `cargo test`, no server and no wasm.
//!
//! ```
//! use xrm_sdk::testing::TestHost;
//! use xrm_sdk::{host, json};
//!
//! let test = TestHost::new()
//!     .with_record("customer", json!({"id": "c1", "name": "Acme"}))
//!     .with_now("2026-11-23T10:00:00.000000Z")
//!     .install();
//! assert_eq!(host::get_record("customer", "c1").unwrap().unwrap()["name"], "Acme");
//! assert_eq!(host::now(), "2026-11-23T10:00:00.000000Z");
//! host::create_record("complaint", &json!({"subject": "Broken"})).unwrap();
//! assert_eq!(test.records("complaint").len(), 1);
//! ```
//!
//! Members (API 0.2.0) are the directory behind `list_members` and `assign_record`:
//!
//! ```
//! use xrm_sdk::testing::TestHost;
//! use xrm_sdk::{host, json, Member, Owners};
//!
//! let test = TestHost::new()
//!     .with_member(Member::new("u1", "Ada").in_team("t1", "Service"))
//!     .with_record("complaint", json!({"id": "k1"}))
//!     .install();
//! assert_eq!(host::list_members().unwrap()[0].teams[0].name, "Service");
//! host::assign_record("complaint", "k1", &Owners::user("u1").and_team("t1")).unwrap();
//! assert_eq!(test.record("complaint", "k1").unwrap()["owned_by"], "u1");
//! assert!(host::assign_record("complaint", "k1", &Owners::user("nobody")).is_err());
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::events::FieldError;
use crate::host::{HostError, Level, Query};
use crate::ownership::{Member, Owners};

type QueryFn = dyn Fn(&str, &Query, &[Value]) -> Result<Vec<Value>, HostError>;

/// The state behind the host calls in a native test.
pub struct TestHost {
    records: BTreeMap<String, Vec<Value>>,
    pub(crate) config: Value,
    pub(crate) now: String,
    pub(crate) logs: Vec<(Level, String)>,
    denied: Vec<String>,
    on_query: Option<Box<QueryFn>>,
    next_id: u64,
    members: Vec<Member>,
    members_denied: bool,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost::new()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<TestHost>>>> = const { RefCell::new(None) };
}

pub(crate) fn with_host<R>(f: impl FnOnce(&mut TestHost) -> R) -> R {
    let host = CURRENT.with(|current| current.borrow().clone()).expect(
        "no TestHost on this thread: host calls in native tests need `TestHost::new().install()`",
    );
    let mut host = host.borrow_mut();
    f(&mut host)
}

impl TestHost {
    pub fn new() -> TestHost {
        TestHost {
            records: BTreeMap::new(),
            config: Value::Object(Map::new()),
            now: "2026-01-01T00:00:00.000000Z".to_owned(),
            logs: Vec::new(),
            denied: Vec::new(),
            on_query: None,
            next_id: 1,
            members: Vec::new(),
            members_denied: false,
        }
    }

    /// Adds a user of the workspace (with their teams): listed by `list_members`, and a valid
    /// owner (user, or any of their teams) for `assign_record` and before-hook owners.
    pub fn with_member(mut self, member: Member) -> TestHost {
        self.members.push(member);
        self
    }

    /// Makes `list_members` fail with `Denied`, as a manifest without the `members`
    /// capability would.
    pub fn deny_members(mut self) -> TestHost {
        self.members_denied = true;
        self
    }

    /// Adds a stored record; it gets an `id` if it has none.
    pub fn with_record(mut self, entity_type: &str, mut record: Value) -> TestHost {
        if record.get("id").is_none() {
            record["id"] = Value::String(self.fresh_id());
        }
        self.records
            .entry(entity_type.to_owned())
            .or_default()
            .push(record);
        self
    }

    pub fn with_config(mut self, config: Value) -> TestHost {
        self.config = config;
        self
    }

    pub fn with_now(mut self, now: &str) -> TestHost {
        self.now = now.to_owned();
        self
    }

    /// Makes every call on `entity_type` fail with `Denied`, as a missing capability would.
    pub fn deny(mut self, entity_type: &str) -> TestHost {
        self.denied.push(entity_type.to_owned());
        self
    }

    /// Answers `query_records` with `f(entity_type, query, stored records of the type)`. Without
    /// it a query returns every stored record of the type (up to `top`): the test host does not
    /// evaluate filters.
    pub fn on_query(
        mut self,
        f: impl Fn(&str, &Query, &[Value]) -> Result<Vec<Value>, HostError> + 'static,
    ) -> TestHost {
        self.on_query = Some(Box::new(f));
        self
    }

    /// Makes this the host of the current thread's calls; the handle reads the state back.
    pub fn install(self) -> TestHandle {
        let host = Rc::new(RefCell::new(self));
        CURRENT.with(|current| *current.borrow_mut() = Some(host.clone()));
        TestHandle(host)
    }

    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        format!("00000000-0000-7000-8000-{:012x}", self.next_id)
    }

    fn check(&self, entity_type: &str) -> Result<(), HostError> {
        if self.denied.iter().any(|denied| denied == entity_type) {
            return Err(HostError::Denied(format!(
                "the test host denies access to entity type {entity_type:?}"
            )));
        }
        Ok(())
    }

    fn find(&mut self, entity_type: &str, id: &str) -> Option<&mut Value> {
        self.records
            .get_mut(entity_type)?
            .iter_mut()
            .find(|record| record["id"] == id)
    }

    pub(crate) fn get_record(
        &mut self,
        entity_type: &str,
        id: &str,
    ) -> Result<Option<Value>, HostError> {
        self.check(entity_type)?;
        Ok(self.find(entity_type, id).cloned())
    }

    pub(crate) fn query_records(
        &mut self,
        entity_type: &str,
        query: &Query,
    ) -> Result<Vec<Value>, HostError> {
        self.check(entity_type)?;
        let stored = self
            .records
            .get(entity_type)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut found = match &self.on_query {
            Some(f) => f(entity_type, query, stored)?,
            None => stored.to_vec(),
        };
        if let Some(top) = query.top {
            found.truncate(top as usize);
        }
        Ok(found)
    }

    pub(crate) fn create_record(
        &mut self,
        entity_type: &str,
        data: &Value,
    ) -> Result<Value, HostError> {
        self.check(entity_type)?;
        let Value::Object(_) = data else {
            return Err(HostError::BadRequest(
                "a record must be a JSON object".into(),
            ));
        };
        let mut record = data.clone();
        if record.get("id").is_none() {
            record["id"] = Value::String(self.fresh_id());
        }
        record["version"] = Value::from(1);
        self.records
            .entry(entity_type.to_owned())
            .or_default()
            .push(record.clone());
        Ok(record)
    }

    pub(crate) fn update_record(
        &mut self,
        entity_type: &str,
        id: &str,
        patch: &Value,
    ) -> Result<Value, HostError> {
        self.check(entity_type)?;
        let record = self
            .find(entity_type, id)
            .ok_or_else(|| HostError::NotFound(format!("{entity_type} {id}")))?;
        merge_patch(record, patch);
        let version = record["version"].as_i64().unwrap_or(1) + 1;
        record["version"] = Value::from(version);
        Ok(record.clone())
    }

    /// Refuses owners that are not a member (or a team of one), as the host does.
    pub fn check_owners(&self, owners: &Owners) -> Result<(), HostError> {
        let mut errors = Vec::new();
        if let Some(user) = &owners.owned_by
            && !self.members.iter().any(|m| &m.id == user)
        {
            errors.push(FieldError::new(
                "/owned_by",
                "user",
                format!("there is no user '{user}' in this workspace"),
            ));
        }
        if let Some(team) = &owners.owning_team
            && !self
                .members
                .iter()
                .any(|m| m.teams.iter().any(|t| &t.id == team))
        {
            errors.push(FieldError::new(
                "/owning_team",
                "team",
                format!("there is no team '{team}' in this workspace"),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(HostError::Invalid(errors))
        }
    }

    pub(crate) fn assign_record(
        &mut self,
        entity_type: &str,
        id: &str,
        owners: &Owners,
    ) -> Result<Value, HostError> {
        self.check(entity_type)?;
        self.check_owners(owners)?;
        let record = self
            .find(entity_type, id)
            .ok_or_else(|| HostError::NotFound(format!("{entity_type} {id}")))?;
        record["owned_by"] = owners.owned_by.clone().into();
        record["owning_team"] = owners.owning_team.clone().into();
        let version = record["version"].as_i64().unwrap_or(1) + 1;
        record["version"] = Value::from(version);
        Ok(record.clone())
    }

    pub(crate) fn list_members(&mut self) -> Result<Vec<Member>, HostError> {
        if self.members_denied {
            return Err(HostError::Denied(
                "the test host denies the members capability".into(),
            ));
        }
        let mut members = self.members.clone();
        members.sort_by(|a, b| (&a.display_name, &a.id).cmp(&(&b.display_name, &b.id)));
        Ok(members)
    }

    pub(crate) fn delete_record(&mut self, entity_type: &str, id: &str) -> Result<(), HostError> {
        self.check(entity_type)?;
        let records = self.records.entry(entity_type.to_owned()).or_default();
        let before = records.len();
        records.retain(|record| record["id"] != id);
        if records.len() == before {
            return Err(HostError::NotFound(format!("{entity_type} {id}")));
        }
        Ok(())
    }
}

/// Reads back what handlers did to the [`TestHost`].
pub struct TestHandle(Rc<RefCell<TestHost>>);

impl TestHandle {
    /// The stored records of a type, in insertion order.
    pub fn records(&self, entity_type: &str) -> Vec<Value> {
        self.0
            .borrow()
            .records
            .get(entity_type)
            .cloned()
            .unwrap_or_default()
    }

    /// A stored record by id.
    pub fn record(&self, entity_type: &str, id: &str) -> Option<Value> {
        self.0.borrow_mut().find(entity_type, id).cloned()
    }

    /// Checks owners a before-hook returned against the members, as the host would before
    /// inserting the record.
    pub fn check_owners(&self, owners: &Owners) -> Result<(), HostError> {
        self.0.borrow().check_owners(owners)
    }

    /// The log lines written so far.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.0.borrow().logs.clone()
    }
}

/// RFC 7396 JSON merge patch, as the host applies it.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let target = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::host;

    #[test]
    fn host_calls_reach_the_installed_test_host() {
        let test = TestHost::new()
            .with_record(
                "customer",
                json!({"id": "c1", "name": "Acme", "tier": "gold"}),
            )
            .with_config(json!({"days": 30}))
            .install();
        assert_eq!(host::config()["days"], 30);
        let updated =
            host::update_record("customer", "c1", &json!({"tier": null, "city": "Bonn"})).unwrap();
        assert_eq!(
            updated,
            json!({"id": "c1", "name": "Acme", "version": 2, "city": "Bonn"})
        );
        assert_eq!(host::get_record("customer", "nope").unwrap(), None,);
        assert!(matches!(
            host::delete_record("customer", "nope"),
            Err(HostError::NotFound(_))
        ));
        host::delete_record("customer", "c1").unwrap();
        assert!(test.records("customer").is_empty());
        host::log(host::Level::Warn, "careful");
        assert_eq!(test.logs(), vec![(host::Level::Warn, "careful".to_owned())]);
    }

    #[test]
    fn denied_types_fail_like_a_missing_capability() {
        let _test = TestHost::new().deny("contract").install();
        assert!(matches!(
            host::get_record("contract", "x"),
            Err(HostError::Denied(_))
        ));
        assert!(matches!(
            host::create_record("contract", &json!({})),
            Err(HostError::Denied(_))
        ));
    }

    #[test]
    fn members_and_assignment() {
        let test = TestHost::new()
            .with_member(Member::new("u2", "Bea").in_team("t1", "North"))
            .with_member(Member::new("u1", "Ada").disabled())
            .with_record("lead", json!({"id": "l1", "version": 1}))
            .install();
        let members = host::list_members().unwrap();
        assert_eq!(members[0].display_name, "Ada");
        assert!(members[0].disabled);
        assert!(members[1].belongs_to("North") && members[1].belongs_to("t1"));
        let assigned =
            host::assign_record("lead", "l1", &Owners::user("u2").and_team("t1")).unwrap();
        assert_eq!(assigned["owned_by"], "u2");
        assert_eq!(assigned["owning_team"], "t1");
        assert_eq!(assigned["version"], 2);
        let Err(HostError::Invalid(errors)) =
            host::assign_record("lead", "l1", &Owners::user("u9").and_team("t9"))
        else {
            panic!("unknown owners must be refused");
        };
        assert_eq!(errors[0].path, "/owned_by");
        assert_eq!(errors[1].path, "/owning_team");
        assert_eq!(test.record("lead", "l1").unwrap()["owned_by"], "u2");
        assert!(matches!(
            host::assign_record("lead", "nope", &Owners::default()),
            Err(HostError::NotFound(_))
        ));
        assert!(test.check_owners(&Owners::team("t1")).is_ok());
    }

    #[test]
    fn members_can_be_denied() {
        let _test = TestHost::new().deny_members().install();
        assert!(matches!(host::list_members(), Err(HostError::Denied(_))));
    }

    #[test]
    fn queries_use_the_custom_answer_and_top() {
        let _test = TestHost::new()
            .with_record("asset", json!({"serial": "A"}))
            .with_record("asset", json!({"serial": "B"}))
            .with_record("asset", json!({"serial": "C"}))
            .on_query(|_, query, stored| {
                assert_eq!(query.filter.as_deref(), Some("serial ne 'B'"));
                Ok(stored
                    .iter()
                    .filter(|r| r["serial"] != "B")
                    .cloned()
                    .collect())
            })
            .install();
        let found = host::query_records("asset", &Query::filter("serial ne 'B'").top(1)).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["serial"], "A");
    }
}
