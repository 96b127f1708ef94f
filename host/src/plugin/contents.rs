//! What a package carries beside its plugins: the entity-type documents it provides and its
//! sample records. Read and checked here, without a database, so that a broken package is
//! refused whole before anything is written. Every problem has a JSON Pointer that starts at
//! the manifest member naming the file and goes on inside the file:
//! `/entity_types/0/x-xrm/title_field` is `x-xrm/title_field` of the first listed document,
//! `/sample_data/contract/2/end_date` the `end_date` of the third sample contract.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::Value;

use super::{Manifest, PackageFiles};
use crate::error::FieldError;
use crate::schema::EntityType;

/// Most sample records one package may carry: sample data demonstrates, it does not migrate.
pub const MAX_SAMPLE_RECORDS: usize = 10_000;

/// One entity type a package provides, compiled (as version 1) from its file.
pub struct PackagedType {
    /// Its position in the manifest's `entity_types`, for error pointers.
    pub index: usize,
    /// The file inside the package.
    pub path: String,
    pub entity_type: EntityType,
}

/// One sample record: the type it belongs to, its position in the file, the body as written.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRecord {
    pub entity_type: String,
    pub index: usize,
    pub record: Value,
}

impl SampleRecord {
    /// The JSON Pointer of the record, from the manifest's `sample_data` into the file.
    pub fn pointer(&self) -> String {
        format!("/sample_data/{}/{}", self.entity_type, self.index)
    }

    fn id(&self) -> Option<String> {
        self.record
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    }
}

/// The entity types and sample records of a package, checked as far as the package alone can
/// say: the workspace's own types are known only at install.
pub struct PackageContents {
    /// In the manifest's order.
    pub types: Vec<PackagedType>,
    /// Every sample record, by type name, then in file order.
    pub sample: Vec<SampleRecord>,
}

impl PackageContents {
    /// Reads the files the manifest names and checks them: each entity type compiles as
    /// `POST /api/v1/entity-types` would, no two have the same name, the sample data is an
    /// object of arrays of records, with UUID ids used once, and the records of the package's
    /// own types are valid for them. Every problem is reported.
    pub fn load(
        manifest: &Manifest,
        files: &PackageFiles,
    ) -> Result<PackageContents, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut types: Vec<PackagedType> = Vec::new();
        for (index, path) in manifest.entity_types.iter().enumerate() {
            let at = format!("/entity_types/{index}");
            let Some(document) = read_json(files, path, &at, &mut errors) else {
                continue;
            };
            match EntityType::compile(document, 1) {
                Ok(entity_type) => {
                    if let Some(first) = types
                        .iter()
                        .find(|t| t.entity_type.name == entity_type.name)
                    {
                        errors.push(FieldError::new(
                            format!("{at}/x-xrm/name"),
                            "unique",
                            format!(
                                "{path}: entity type '{}' is also /entity_types/{} ({})",
                                entity_type.name, first.index, first.path
                            ),
                        ));
                        continue;
                    }
                    types.push(PackagedType {
                        index,
                        path: path.clone(),
                        entity_type,
                    });
                }
                Err(error) if error.field_errors().is_empty() => {
                    errors.push(FieldError::new(at, "x-xrm", format!("{path}: {error}")));
                }
                Err(error) => errors.extend(error.field_errors().iter().map(|e| {
                    FieldError::new(
                        format!("{at}{}", e.path),
                        e.keyword.clone(),
                        format!("{path}: {}", e.message),
                    )
                })),
            }
        }
        let mut sample = Vec::new();
        if let Some(path) = &manifest.sample_data
            && let Some(document) = read_json(files, path, "/sample_data", &mut errors)
        {
            sample = sample_records(path, document, &mut errors);
            let own: HashMap<&str, &EntityType> = types
                .iter()
                .map(|t| (t.entity_type.name.as_str(), &t.entity_type))
                .collect();
            for record in &sample {
                if let Some(entity_type) = own.get(record.entity_type.as_str()) {
                    errors.extend(record_errors(entity_type, record));
                }
            }
        }
        if errors.is_empty() {
            Ok(PackageContents { types, sample })
        } else {
            Err(errors)
        }
    }

    /// The compiled type of that name the package provides.
    pub fn provided(&self, name: &str) -> Option<&EntityType> {
        self.types
            .iter()
            .map(|t| &t.entity_type)
            .find(|t| t.name == name)
    }

    /// Checks the sample records of types the package does not provide against the
    /// workspace's types (a type neither has is an error), then orders every record so that a
    /// lookup between sample records points at one written before it. `types` resolves a name
    /// to its compiled type: the package's own first, then the workspace's.
    pub fn sample_in_order<'a>(
        &'a self,
        types: &dyn Fn(&str) -> Option<&'a EntityType>,
    ) -> Result<Vec<&'a SampleRecord>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut unknown = HashSet::new();
        for record in &self.sample {
            match types(&record.entity_type) {
                None => {
                    if unknown.insert(record.entity_type.as_str()) {
                        errors.push(FieldError::new(
                            format!("/sample_data/{}", record.entity_type),
                            "entity_type",
                            format!(
                                "there is sample data for entity type '{}', which the package does not provide and the workspace does not have",
                                record.entity_type
                            ),
                        ));
                    }
                }
                Some(entity_type) if self.provided(&record.entity_type).is_none() => {
                    errors.extend(record_errors(entity_type, record));
                }
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        order_by_lookups(&self.sample, types)
    }
}

/// A JSON file of the package, or the error that says why it cannot be read.
fn read_json(
    files: &PackageFiles,
    path: &str,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(bytes) = files.get(path) else {
        errors.push(FieldError::new(
            at,
            "file",
            format!("{path} is not in the package"),
        ));
        return None;
    };
    match serde_json::from_slice(bytes) {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(FieldError::new(
                at,
                "json",
                format!("{path} is not JSON: {error}"),
            ));
            None
        }
    }
}

/// The records of a sample-data document: `{"<type>": [record, ...], ...}`.
fn sample_records(path: &str, document: Value, errors: &mut Vec<FieldError>) -> Vec<SampleRecord> {
    let Value::Object(sets) = document else {
        errors.push(FieldError::new(
            "/sample_data",
            "type",
            format!("{path} must be an object of arrays of records by entity type name"),
        ));
        return Vec::new();
    };
    let sets: BTreeMap<String, Value> = sets.into_iter().collect();
    let mut records = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    for (type_name, set) in sets {
        let at = format!("/sample_data/{type_name}");
        if !crate::schema::is_valid_type_name(&type_name) {
            errors.push(FieldError::new(
                &at,
                "entity_type",
                format!("{type_name:?} is not an entity type name"),
            ));
            continue;
        }
        let Value::Array(items) = set else {
            errors.push(FieldError::new(
                &at,
                "type",
                format!("the sample {type_name} records must be an array"),
            ));
            continue;
        };
        for (index, record) in items.into_iter().enumerate() {
            let sample = SampleRecord {
                entity_type: type_name.clone(),
                index,
                record,
            };
            let pointer = sample.pointer();
            if !sample.record.is_object() {
                errors.push(FieldError::new(
                    &pointer,
                    "type",
                    "a sample record must be a JSON object",
                ));
                continue;
            }
            match sample.record.get("id") {
                None => {}
                Some(Value::String(id)) if uuid::Uuid::try_parse(id).is_ok() && id.len() == 36 => {
                    if let Some(first) = ids.insert(id.to_lowercase(), pointer.clone()) {
                        errors.push(FieldError::new(
                            format!("{pointer}/id"),
                            "unique",
                            format!("id {id} is also the id of {first}"),
                        ));
                    }
                }
                Some(other) => errors.push(FieldError::new(
                    format!("{pointer}/id"),
                    "format",
                    format!("{other} is not a record id: ids are UUIDs"),
                )),
            }
            records.push(sample);
        }
    }
    if records.len() > MAX_SAMPLE_RECORDS {
        errors.push(FieldError::new(
            "/sample_data",
            "maxItems",
            format!(
                "{path} has {} records; a package carries at most {MAX_SAMPLE_RECORDS}",
                records.len()
            ),
        ));
    }
    records
}

/// What is wrong with a sample record for its type: the schema and the state machine's initial
/// states, as a create would find (lookups and unique keys are checked when it is written).
fn record_errors(entity_type: &EntityType, record: &SampleRecord) -> Vec<FieldError> {
    let mut data = record.record.clone();
    if let Some(object) = data.as_object_mut() {
        object.remove("id");
    }
    let errors = entity_type.validate_new(&data);
    let pointer = record.pointer();
    errors
        .into_iter()
        .map(|e| FieldError::new(format!("{pointer}{}", e.path), e.keyword, e.message))
        .collect()
}

/// Orders sample records so that each comes after the sample records its lookups name (a
/// topological order; otherwise by type name and file order). A lookup naming a sample record
/// of another type than its target, and a cycle of lookups between sample records, are errors.
fn order_by_lookups<'a>(
    records: &'a [SampleRecord],
    types: &dyn Fn(&str) -> Option<&'a EntityType>,
) -> Result<Vec<&'a SampleRecord>, Vec<FieldError>> {
    let by_id: HashMap<String, usize> = records
        .iter()
        .enumerate()
        .filter_map(|(position, record)| record.id().map(|id| (id, position)))
        .collect();
    let mut errors = Vec::new();
    // For each record, the sample records it waits for, and who waits for it.
    let mut waiting = vec![0usize; records.len()];
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); records.len()];
    let mut needs: Vec<Vec<(String, usize)>> = vec![Vec::new(); records.len()];
    for (position, record) in records.iter().enumerate() {
        let Some(entity_type) = types(&record.entity_type) else {
            continue;
        };
        for (field, lookup) in &entity_type.annotations.lookups {
            let Some(id) = record.record.get(field).and_then(Value::as_str) else {
                continue;
            };
            let Some(&target) = by_id.get(&id.to_lowercase()) else {
                continue;
            };
            let target_type = &records[target].entity_type;
            if *target_type != lookup.target {
                errors.push(FieldError::new(
                    format!("{}/{field}", record.pointer()),
                    "x-xrm.lookups",
                    format!(
                        "'{id}' is the sample {target_type} record {}, but {field} must point at a {}",
                        records[target].pointer(),
                        lookup.target
                    ),
                ));
                continue;
            }
            if target != position {
                waiting[position] += 1;
                dependants[target].push(position);
                needs[position].push((field.clone(), target));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut ready: VecDeque<usize> = (0..records.len()).filter(|&p| waiting[p] == 0).collect();
    let mut ordered = Vec::with_capacity(records.len());
    while let Some(position) = ready.pop_front() {
        ordered.push(&records[position]);
        for &dependant in &dependants[position] {
            waiting[dependant] -= 1;
            if waiting[dependant] == 0 {
                ready.push_back(dependant);
            }
        }
    }
    if ordered.len() < records.len() {
        for (position, record) in records.iter().enumerate() {
            if waiting[position] == 0 {
                continue;
            }
            for (field, target) in &needs[position] {
                if waiting[*target] > 0 {
                    errors.push(FieldError::new(
                        format!("{}/{field}", record.pointer()),
                        "x-xrm.lookups",
                        format!(
                            "the sample records' lookups form a cycle through {}; no order writes each after the record it points at",
                            records[*target].pointer()
                        ),
                    ));
                }
            }
        }
        return Err(errors);
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn customer_type() -> Value {
        json!({
            "type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {"name": {"type": "string"}, "parent_id": {"type": "string", "format": "uuid"},
                           "status": {"type": "string", "enum": ["new", "active"]}},
            "x-xrm": {"name": "customer", "display_name": "Customer", "title_field": "name",
                      "lookups": {"parent_id": {"target": "customer", "on_delete": "set_null"}},
                      "state_machine": {"field": "status", "initial": ["new"], "transitions": {"new": ["active"], "active": []}}}
        })
    }

    fn order_type() -> Value {
        json!({
            "type": "object", "additionalProperties": false, "required": ["number", "customer_id"],
            "properties": {"number": {"type": "string"}, "customer_id": {"type": "string", "format": "uuid"}},
            "x-xrm": {"name": "order", "display_name": "Order", "title_field": "number",
                      "lookups": {"customer_id": {"target": "customer"}}}
        })
    }

    const C1: &str = "00000000-0000-7000-8000-000000000001";
    const C2: &str = "00000000-0000-7000-8000-000000000002";
    const O1: &str = "00000000-0000-7000-8000-000000000011";

    fn package(manifest_extra: Value, files: &[(&str, Value)]) -> (Manifest, PackageFiles) {
        let mut manifest =
            json!({"name": "p", "version": "1.0.0", "publisher": "x", "api": "0.1.0"});
        for (key, value) in manifest_extra.as_object().unwrap() {
            manifest[key] = value.clone();
        }
        let manifest = Manifest::parse(&serde_json::to_vec(&manifest).unwrap()).unwrap();
        let mut package = PackageFiles::default();
        for (path, value) in files {
            package
                .0
                .insert((*path).to_owned(), serde_json::to_vec(value).unwrap());
        }
        (manifest, package)
    }

    fn paths(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn types_and_sample_data_load_and_order_by_lookups() {
        let (manifest, files) = package(
            json!({"entity_types": ["types/customer.json", "types/order.json"], "sample_data": "sample.json"}),
            &[
                ("types/customer.json", customer_type()),
                ("types/order.json", order_type()),
                (
                    "sample.json",
                    json!({
                        // "order" sorts after "customer", but the child customer comes first in
                        // its file: the order follows the lookups, not the file.
                        "order": [{"id": O1, "number": "A-1", "customer_id": C2}],
                        "customer": [{"id": C2, "name": "Child", "parent_id": C1, "status": "new"},
                                     {"id": C1, "name": "Parent"}]
                    }),
                ),
            ],
        );
        let contents = PackageContents::load(&manifest, &files).unwrap();
        assert_eq!(contents.types.len(), 2);
        assert_eq!(contents.types[1].path, "types/order.json");
        let lookup = |name: &str| contents.provided(name);
        let ordered = contents.sample_in_order(&lookup).unwrap();
        let names: Vec<String> = ordered.iter().map(|r| r.pointer()).collect();
        assert_eq!(
            names,
            [
                "/sample_data/customer/1",
                "/sample_data/customer/0",
                "/sample_data/order/0"
            ]
        );
    }

    #[test]
    fn every_problem_of_files_types_and_records_is_reported_with_its_pointer() {
        let mut broken = customer_type();
        broken["x-xrm"]["title_field"] = json!("nme");
        let (manifest, files) = package(
            json!({"entity_types": ["missing.json", "broken.json", "notjson.json", "c.json", "again.json"],
                   "sample_data": "sample.json"}),
            &[
                ("broken.json", broken),
                ("c.json", customer_type()),
                ("again.json", customer_type()),
                (
                    "sample.json",
                    json!({
                        "customer": [{"name": 5}, {"id": "nope", "name": "x"}, {"name": "y", "status": "active"},
                                     {"id": C1, "name": "a"}, {"id": C1, "name": "b"}, "text"],
                        "Bad-Type": [],
                        "order": {}
                    }),
                ),
            ],
        );
        let mut files = files;
        files.0.insert("notjson.json".into(), b"{".to_vec());
        let errors = match PackageContents::load(&manifest, &files) {
            Err(errors) => errors,
            Ok(_) => panic!("a broken package loads"),
        };
        assert_eq!(
            paths(&errors),
            [
                "/entity_types/0",
                "/entity_types/1/x-xrm/title_field",
                "/entity_types/2",
                "/entity_types/4/x-xrm/name",
                "/sample_data/Bad-Type",
                "/sample_data/customer/1/id",
                "/sample_data/customer/4/id",
                "/sample_data/customer/5",
                "/sample_data/order",
                "/sample_data/customer/0/name",
                "/sample_data/customer/2/status",
            ],
            "{errors:#?}"
        );
        assert!(
            errors[0]
                .message
                .contains("missing.json is not in the package")
        );
        assert!(
            errors[1].message.starts_with("broken.json: "),
            "{}",
            errors[1].message
        );
        assert!(
            errors[6].message.contains("/sample_data/customer/3"),
            "{}",
            errors[6].message
        );
    }

    #[test]
    fn records_of_other_types_are_checked_against_the_workspace() {
        let (manifest, files) = package(
            json!({"entity_types": ["order.json"], "sample_data": "sample.json"}),
            &[
                ("order.json", order_type()),
                (
                    "sample.json",
                    json!({
                        "customer": [{"id": C1, "name": 7}],
                        "order": [{"number": "A-1", "customer_id": C1}],
                        "invoice": [{"total": 1}]
                    }),
                ),
            ],
        );
        let contents = PackageContents::load(&manifest, &files).unwrap();
        // Without a customer type in the workspace: customer and invoice are unknown.
        let only_own = |name: &str| contents.provided(name);
        let errors = contents.sample_in_order(&only_own).unwrap_err();
        assert_eq!(
            paths(&errors),
            ["/sample_data/customer", "/sample_data/invoice"]
        );
        assert!(
            errors[0]
                .message
                .contains("does not provide and the workspace does not have")
        );
        // With one, its sample record is checked against it.
        let workspace = EntityType::compile(customer_type(), 3).unwrap();
        let with_customer = |name: &str| {
            contents
                .provided(name)
                .or((name == "customer").then_some(&workspace))
        };
        let errors = contents.sample_in_order(&with_customer).unwrap_err();
        assert_eq!(
            paths(&errors),
            ["/sample_data/customer/0/name", "/sample_data/invoice"]
        );
    }

    #[test]
    fn a_lookup_to_the_wrong_type_and_a_cycle_are_refused() {
        let (manifest, files) = package(
            json!({"entity_types": ["customer.json", "order.json"], "sample_data": "sample.json"}),
            &[
                ("customer.json", customer_type()),
                ("order.json", order_type()),
                (
                    "sample.json",
                    json!({
                        "order": [{"id": O1, "number": "A-1", "customer_id": O1}]
                    }),
                ),
            ],
        );
        let contents = PackageContents::load(&manifest, &files).unwrap();
        let lookup = |name: &str| contents.provided(name);
        let errors = contents.sample_in_order(&lookup).unwrap_err();
        assert_eq!(paths(&errors), ["/sample_data/order/0/customer_id"]);
        assert!(
            errors[0].message.contains("must point at a customer"),
            "{}",
            errors[0].message
        );

        let (manifest, files) = package(
            json!({"entity_types": ["customer.json"], "sample_data": "sample.json"}),
            &[
                ("customer.json", customer_type()),
                (
                    "sample.json",
                    json!({"customer": [
                        {"id": C1, "name": "a", "parent_id": C2}, {"id": C2, "name": "b", "parent_id": C1}
                    ]}),
                ),
            ],
        );
        let contents = PackageContents::load(&manifest, &files).unwrap();
        let lookup = |name: &str| contents.provided(name);
        let errors = contents.sample_in_order(&lookup).unwrap_err();
        assert_eq!(
            paths(&errors),
            [
                "/sample_data/customer/0/parent_id",
                "/sample_data/customer/1/parent_id"
            ]
        );
        assert!(errors[0].message.contains("cycle"));
    }
}
