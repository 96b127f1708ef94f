//! The entity types and sample data a package brings. Installing creates the package's types
//! (or adopts identical ones the workspace already has), upgrading changes them, uninstalling
//! releases them — always through the rules of the entity-type API and inside the transaction
//! of the package change, so a package change that fails leaves no type, record or row behind.
//! A type is managed by one package at most; a type no package manages is the admin's own, and
//! a package never changes it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::App;
use crate::error::{Error, FieldError, Result};
use crate::plugin::PackageContents;
use crate::schema::EntityType;
use crate::store::{Actor, AdminChange, ManagedType, Tx, same_json};

/// What the admin asked of an install or upgrade beyond the package itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstallOptions {
    /// Load the package's sample data. Only at install: an upgrade never adds records.
    pub sample_data: bool,
    /// Accept type changes that stored records violate, as
    /// `PUT /api/v1/entity-types/{name}?allow_invalid_records=true` does (upgrade).
    pub allow_invalid_records: bool,
    /// Replace types an admin changed since the package last set them (upgrade); without it
    /// such a change is refused rather than silently overwritten.
    pub replace_modified_types: bool,
}

/// What an install or upgrade did to one entity type.
pub(super) struct TypeChange {
    pub name: String,
    /// `created`, `adopted`, `updated` or `unchanged`.
    pub change: &'static str,
    /// The type at the version the package left it, compiled.
    pub entity_type: Arc<EntityType>,
}

impl TypeChange {
    pub fn json(&self) -> Value {
        json!({"name": self.name, "change": self.change, "version": self.entity_type.version})
    }
}

/// What the package wants done with one of its types, decided before anything is written.
enum Step {
    Create,
    /// The workspace's type is identical to the package's; the package takes it over as it is.
    Adopt(i64),
    /// The package already manages the type, and the document did not change.
    Unchanged(i64),
    Update,
}

/// The actor of the changes a package makes: the admin who installs it, through the package,
/// so the audit trail of each type and record says which package (and version) made it.
pub(super) fn through_package(actor: &Actor, package: &str, version: &str) -> Actor {
    Actor {
        via: format!("package {package}@{version} ({})", actor.via),
        ..actor.clone()
    }
}

/// An error about a part of the package, with its pointers moved under `prefix` (the manifest
/// member that names the file): `/x-xrm/unique` of the second type is
/// `/entity_types/1/x-xrm/unique`.
fn within(error: Error, prefix: &str) -> Error {
    let moved = |errors: Vec<FieldError>| -> Vec<FieldError> {
        if errors.is_empty() {
            return vec![FieldError::new(prefix, "package", "")];
        }
        errors
            .into_iter()
            .map(|e| FieldError::new(format!("{prefix}{}", e.path), e.keyword, e.message))
            .collect()
    };
    match error {
        Error::Unprocessable {
            code,
            detail,
            errors,
        } => Error::Unprocessable {
            code,
            errors: moved(errors)
                .into_iter()
                .map(|e| fill_message(e, &detail))
                .collect(),
            detail,
        },
        Error::Conflict {
            code,
            detail,
            errors,
        } => Error::Conflict {
            code,
            errors: moved(errors)
                .into_iter()
                .map(|e| fill_message(e, &detail))
                .collect(),
            detail,
        },
        other => other,
    }
}

/// An error entry made only to carry a pointer gets the error's detail as its message.
fn fill_message(mut error: FieldError, detail: &str) -> FieldError {
    if error.message.is_empty() {
        error.message = detail.to_owned();
    }
    error
}

impl App {
    /// Creates, adopts or updates the package's entity types in the install or upgrade
    /// transaction, and releases those an upgrade no longer provides. Every conflict is found
    /// before anything is written; a refused type change refuses the whole package change.
    /// The package row must already be saved in `tx`.
    pub(super) async fn apply_package_types(
        &self,
        tx: &mut Tx,
        workspace: &str,
        package: &str,
        contents: &PackageContents,
        options: InstallOptions,
        actor: &Actor,
    ) -> Result<(Vec<TypeChange>, Vec<String>)> {
        let managed = tx.managed_types(workspace).await?;
        let mut elsewhere = Vec::new();
        let mut conflicts = Vec::new();
        let mut modified = Vec::new();
        let mut steps = Vec::new();
        for packaged in &contents.types {
            let name = &packaged.entity_type.name;
            let at = format!("/entity_types/{}", packaged.index);
            let owner = managed.iter().find(|m| m.entity_type == *name);
            if let Some(owner) = owner.filter(|o| o.package != package) {
                elsewhere.push(FieldError::new(
                    at,
                    "x-xrm.name",
                    format!(
                        "entity type '{name}' is managed by package '{}'; a type belongs to one package at most",
                        owner.package
                    ),
                ));
                continue;
            }
            let step = match tx.lock_entity_type(workspace, name).await? {
                None => Step::Create,
                Some(version) => {
                    let current = self
                        .store
                        .get_entity_type(workspace, name)
                        .await?
                        .and_then(|stored| serde_json::from_str::<Value>(&stored.document).ok())
                        .unwrap_or(Value::Null);
                    let identical = same_json(&current, &packaged.entity_type.document);
                    match owner {
                        None if identical => Step::Adopt(version),
                        None => {
                            conflicts.push(FieldError::new(
                                at,
                                "x-xrm.name",
                                format!(
                                    "the workspace has its own entity type '{name}' (version {version}), and {} differs from it",
                                    packaged.path
                                ),
                            ));
                            continue;
                        }
                        Some(_) if identical => Step::Unchanged(version),
                        Some(own)
                            if own.type_version != version && !options.replace_modified_types =>
                        {
                            modified.push(FieldError::new(
                                at,
                                "x-xrm.name",
                                format!(
                                    "entity type '{name}' was changed since the package set version {} (it is at version {version}); repeat with replace_modified_types=true to replace that change",
                                    own.type_version
                                ),
                            ));
                            continue;
                        }
                        Some(_) => Step::Update,
                    }
                }
            };
            steps.push((packaged, step));
        }
        let names = |errors: &[FieldError]| -> String {
            errors
                .iter()
                .filter_map(|e| {
                    let index: usize = e.path.rsplit('/').next()?.parse().ok()?;
                    Some(format!(
                        "'{}'",
                        contents
                            .types
                            .iter()
                            .find(|t| t.index == index)?
                            .entity_type
                            .name
                    ))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (code, errors, detail) in [
            (
                "entity_type_managed_elsewhere",
                elsewhere,
                "another package manages entity type {}; uninstall it or leave the type out",
            ),
            (
                "entity_type_conflict",
                conflicts,
                "the workspace already has entity type {} of its own, different from the package's; rename or delete it, or make it identical to be adopted",
            ),
            (
                "entity_type_modified",
                modified,
                "entity type {} was changed by an admin since the package last set it; repeat with replace_modified_types=true to replace the change",
            ),
        ] {
            if !errors.is_empty() {
                let detail = detail.replacen("{}", &names(&errors), 1);
                return Err(Error::conflict(code, detail, errors));
            }
        }

        let mut changes = Vec::new();
        for (packaged, step) in steps {
            let name = packaged.entity_type.name.clone();
            let at = format!("/entity_types/{}", packaged.index);
            let document = packaged.entity_type.document.clone();
            let (change, entity_type) = match step {
                Step::Create => {
                    let (_, entity_type) = self
                        .create_entity_type_in(tx, workspace, document, actor)
                        .await
                        .map_err(|e| within(e, &at))?;
                    ("created", entity_type)
                }
                Step::Update => {
                    let (_, entity_type) = self
                        .update_entity_type_in(
                            tx,
                            workspace,
                            &name,
                            document,
                            options.allow_invalid_records,
                            None,
                            actor,
                        )
                        .await
                        .map_err(|e| within(e, &at))?;
                    ("updated", entity_type)
                }
                Step::Adopt(version) => {
                    tx.audit(
                        workspace,
                        actor,
                        AdminChange {
                            action: "entity_type.adopt".to_owned(),
                            subject_kind: "entity_type",
                            subject_type: None,
                            subject_id: name.clone(),
                            before: None,
                            after: Some(json!({"package": package, "version": version})),
                        },
                    );
                    ("adopted", EntityType::compile(document, version)?)
                }
                Step::Unchanged(version) => ("unchanged", EntityType::compile(document, version)?),
            };
            tx.manage_type(
                workspace,
                &ManagedType {
                    entity_type: name.clone(),
                    package: package.to_owned(),
                    type_version: entity_type.version,
                },
            )
            .await?;
            changes.push(TypeChange {
                name,
                change,
                entity_type: Arc::new(entity_type),
            });
        }

        let mut released = Vec::new();
        for dropped in managed
            .iter()
            .filter(|m| m.package == package && contents.provided(&m.entity_type).is_none())
        {
            tx.release_type(workspace, &dropped.entity_type).await?;
            self.audit_release(tx, workspace, package, &dropped.entity_type, actor);
            released.push(dropped.entity_type.clone());
        }
        Ok((changes, released))
    }

    /// Notes in the audit trail that a package let go of a type (which stays, with its records).
    pub(super) fn audit_release(
        &self,
        tx: &mut Tx,
        workspace: &str,
        package: &str,
        entity_type: &str,
        actor: &Actor,
    ) {
        tx.audit(
            workspace,
            actor,
            AdminChange {
                action: "entity_type.release".to_owned(),
                subject_kind: "entity_type",
                subject_type: None,
                subject_id: entity_type.to_owned(),
                before: Some(json!({"package": package})),
                after: None,
            },
        );
    }

    /// Writes the package's sample records in the install transaction, each as a create would
    /// (schema, state machine, lookups, unique keys), lookup targets first. `provided` holds the
    /// package's types at the versions the install left them; records of other types go into
    /// the workspace's types of that name. Returns how many records were written.
    pub(super) async fn load_sample_data(
        &self,
        tx: &mut Tx,
        workspace: &str,
        contents: &PackageContents,
        provided: &[TypeChange],
        actor: &Actor,
    ) -> Result<usize> {
        let mut types: HashMap<String, Arc<EntityType>> = provided
            .iter()
            .map(|change| (change.name.clone(), change.entity_type.clone()))
            .collect();
        for record in &contents.sample {
            if types.contains_key(&record.entity_type) {
                continue;
            }
            match self
                .types
                .get(&self.store, workspace, &record.entity_type)
                .await
            {
                Ok(entity_type) => {
                    types.insert(record.entity_type.clone(), entity_type);
                }
                Err(Error::NotFound { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        let resolve = |name: &str| types.get(name).map(|t| t.as_ref());
        let ordered = contents.sample_in_order(&resolve).map_err(|errors| {
            Error::unprocessable(
                "invalid_package",
                "the package's sample data cannot be loaded into this workspace",
                errors,
            )
        })?;
        for record in &ordered {
            let entity_type = &types[&record.entity_type];
            App::create_of_type_in(tx, workspace, entity_type, &record.record, actor)
                .await
                .map_err(|e| within(e, &record.pointer()))?;
        }
        Ok(ordered.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_move_under_the_manifest_member_that_names_the_file() {
        let moved = within(
            Error::conflict(
                "unique_key_violated_by_records",
                "cannot make (code) unique",
                vec![FieldError::new("/x-xrm/unique", "unique", "repeats")],
            ),
            "/entity_types/1",
        );
        assert_eq!(moved.code(), "unique_key_violated_by_records");
        assert_eq!(moved.field_errors()[0].path, "/entity_types/1/x-xrm/unique");

        let bare = within(
            Error::unprocessable("validation_failed", "not valid", vec![]),
            "/sample_data/customer/0",
        );
        assert_eq!(bare.field_errors()[0].path, "/sample_data/customer/0");
        assert_eq!(bare.field_errors()[0].message, "not valid");
    }

    #[test]
    fn a_package_actor_names_the_package_and_keeps_the_person() {
        let admin = Actor {
            via: "POST /api/v1/packages".to_owned(),
            user: Some("u1".to_owned()),
            ..Actor::system("x")
        };
        let actor = through_package(&admin, "contract-rules", "1.1.0");
        assert_eq!(
            actor.via,
            "package contract-rules@1.1.0 (POST /api/v1/packages)"
        );
        assert_eq!(actor.recorded(), admin.recorded());
        assert_eq!(actor.user, admin.user);
    }
}
