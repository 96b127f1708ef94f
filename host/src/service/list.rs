//! Listing records with the OData-style query options: parse, check against the entity type,
//! plan, page with an opaque keyset cursor, then shape (`$select`) and expand (`$expand`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::App;
use super::access::{Access, RecordOp};
use crate::error::{Error, FieldError, Result};
use crate::query::{self, FieldCatalog, QueryError};
use crate::schema::EntityType;
use crate::store::{ListPlan, SortKey, StoredRecord, sql::stable_hash};

/// Page size when `$top` is not given.
pub const DEFAULT_TOP: u32 = 50;
/// Largest page a client may ask for.
pub const MAX_TOP: u32 = 1000;

/// The query options of a list request, as the client sent them.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListRequest {
    #[serde(rename = "$filter")]
    pub filter: Option<String>,
    #[serde(rename = "$orderby")]
    pub orderby: Option<String>,
    #[serde(rename = "$select")]
    pub select: Option<String>,
    #[serde(rename = "$top")]
    pub top: Option<String>,
    #[serde(rename = "$count")]
    pub count: Option<String>,
    #[serde(rename = "$expand")]
    pub expand: Option<String>,
    #[serde(rename = "$search")]
    pub search: Option<String>,
    #[serde(rename = "$cursor")]
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    /// Each record as JSON text, ready to be joined into the response.
    pub records: Vec<String>,
    pub count: Option<i64>,
    pub next_cursor: Option<String>,
}

impl From<QueryError> for Error {
    fn from(error: QueryError) -> Self {
        Error::BadRequest {
            code: "invalid_query",
            detail: error.to_string(),
            errors: vec![FieldError::new(error.option, "syntax", error.to_string())],
        }
    }
}

impl App {
    /// Lists a type's records; `pointing_at` = (lookup field, id) restricts the list to the
    /// records whose lookup names that id (reverse navigation).
    pub async fn list_records(
        &self,
        access: &Access,
        type_name: &str,
        request: &ListRequest,
        pointing_at: Option<(&str, &str)>,
    ) -> Result<Page> {
        let workspace = access.workspace.as_str();
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let owners = access.owner_filter(type_name, RecordOp::Read);
        let hidden = access.hidden_fields(type_name);
        // What filters, sorts and selections may name: every field but those the role hides.
        let catalog = super::field_access::UnhiddenFields {
            entity_type: &entity_type,
            hidden: &hidden,
        };
        if !hidden.is_empty() {
            check_search_unhidden(&entity_type, &hidden, request)?;
        }
        let filter = match request.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(text) => {
                let filter = query::parse_filter(text)?;
                query::check_filter(&filter, &catalog)?;
                Some(filter)
            }
            None => None,
        };
        let (order, id_descending) = sort_keys(&entity_type, &catalog, request.orderby.as_deref())?;
        let select = match request.select.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(text) => {
                let paths = query::parse_select(text)?;
                query::check_select(&paths, &catalog)?;
                Some(paths.into_iter().map(|p| p.segments).collect::<Vec<_>>())
            }
            None => None,
        };
        let expand = match request.expand.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(text) => {
                let fields = query::parse_expand(text)?;
                for field in &fields {
                    if !entity_type.annotations.lookups.contains_key(field) {
                        let lookups: Vec<&String> =
                            entity_type.annotations.lookups.keys().collect();
                        return Err(QueryError {
                            option: "$expand",
                            position: None,
                            message: format!(
                                "'{field}' is not a lookup of {}; lookups: {}",
                                entity_type.name,
                                if lookups.is_empty() {
                                    "none".to_owned()
                                } else {
                                    lookups
                                        .iter()
                                        .map(|s| s.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }
                            ),
                        }
                        .into());
                    }
                }
                fields
            }
            None => Vec::new(),
        };
        let top = match request.top.as_deref() {
            Some(text) => query::parse_top(text, MAX_TOP)?,
            None => DEFAULT_TOP,
        };
        let with_count = match request.count.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(QueryError {
                    option: "$count",
                    position: Some(0),
                    message: format!("expected true or false, found '{other}'"),
                }
                .into());
            }
        };
        let search = match request
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(text) if text.chars().count() > 256 => {
                return Err(QueryError {
                    option: "$search",
                    position: None,
                    message: "the search text is longer than 256 characters".into(),
                }
                .into());
            }
            Some(text) if crate::store::has_search_words(text) => Some(text),
            Some(_) => {
                return Err(QueryError {
                    option: "$search",
                    position: None,
                    message: "the search text has no letters or digits to look for".into(),
                }
                .into());
            }
            None => None,
        };

        let fingerprint = query_fingerprint(&entity_type.name, request, pointing_at);
        let after = match request.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(cursor) => Some(decode_cursor(cursor, fingerprint, order.len())?),
            None => None,
        };

        let mut plan = ListPlan {
            workspace,
            entity_type: &entity_type,
            filter: filter.as_ref(),
            pointing_at,
            owners: owners.as_ref(),
            search,
            order,
            id_descending,
            after,
            limit: i64::from(top) + 1,
        };
        let mut rows = self.store.list_records(&plan).await?;
        let next_cursor = if rows.len() > top as usize {
            rows.truncate(top as usize);
            let last = rows.last().expect("more rows than top");
            Some(encode_cursor(&plan.order, last, fingerprint)?)
        } else {
            None
        };
        let count = if with_count {
            plan.after = None;
            Some(self.store.count_records(&plan).await?)
        } else {
            None
        };

        if !hidden.is_empty() {
            rows = rows
                .into_iter()
                .map(|row| access.visible(type_name, row))
                .collect();
        }
        // The common case — whole records — copies the stored JSON without parsing it.
        let records = if select.is_none() && expand.is_empty() {
            rows.iter().map(record_text).collect()
        } else {
            let mut values = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut value = record_json(row)?;
                if let Some(select) = &select {
                    value = project(value, select);
                }
                values.push(value);
            }
            if !expand.is_empty() {
                self.expand(access, &entity_type, &rows, &expand, &mut values)
                    .await?;
            }
            values.iter().map(Value::to_string).collect()
        };
        Ok(Page {
            records,
            count,
            next_cursor,
        })
    }

    async fn expand(
        &self,
        access: &Access,
        entity_type: &EntityType,
        rows: &[StoredRecord],
        fields: &[String],
        records: &mut [Value],
    ) -> Result<()> {
        let mut ids: Vec<String> = Vec::new();
        let parsed: Vec<Value> = rows
            .iter()
            .map(|r| serde_json::from_str(&r.data).unwrap_or(Value::Null))
            .collect();
        for data in &parsed {
            for field in fields {
                if let Some(id) = data.get(field).and_then(Value::as_str)
                    && !ids.iter().any(|known| known == id)
                {
                    ids.push(id.to_owned());
                }
            }
        }
        let targets = self.store.get_records(&access.workspace, &ids).await?;
        for (data, record) in parsed.iter().zip(records.iter_mut()) {
            let mut expanded = Map::new();
            for field in fields {
                let target_type = &entity_type.annotations.lookups[field].target;
                let target = data.get(field).and_then(Value::as_str).and_then(|id| {
                    targets
                        .iter()
                        .find(|t| t.id == id && &t.entity_type == target_type)
                        // A target the caller may not read expands to null, like a missing one.
                        .filter(|t| access.check_record(target_type, RecordOp::Read, t).is_ok())
                });
                expanded.insert(
                    field.clone(),
                    match target {
                        Some(target) => record_json(&access.visible(target_type, target.clone()))?,
                        None => Value::Null,
                    },
                );
            }
            if let Some(object) = record.as_object_mut() {
                object.insert("_expand".to_owned(), Value::Object(expanded));
            }
        }
        Ok(())
    }
}

/// A stored record as the API shows it: system fields first, then the data fields.
pub fn record_json(record: &StoredRecord) -> Result<Value> {
    let data: Map<String, Value> = serde_json::from_str(&record.data).map_err(|error| {
        Error::Internal(format!(
            "stored record {} is not a JSON object: {error}",
            record.id
        ))
    })?;
    let mut object = Map::with_capacity(data.len() + 6);
    object.insert("id".into(), Value::String(record.id.clone()));
    object.insert("version".into(), Value::from(record.version));
    object.insert(
        "created_at".into(),
        Value::String(record.created_at.clone()),
    );
    object.insert(
        "updated_at".into(),
        Value::String(record.updated_at.clone()),
    );
    object.insert(
        "created_by".into(),
        Value::String(record.created_by.clone()),
    );
    object.insert(
        "updated_by".into(),
        Value::String(record.updated_by.clone()),
    );
    object.insert("owned_by".into(), record.owned_by.clone().into());
    object.insert("owning_team".into(), record.owning_team.clone().into());
    object.extend(data);
    Ok(Value::Object(object))
}

/// A stored record as the API shows it, as JSON text, without parsing its data: the system
/// fields are written in front of the stored object's members.
pub fn record_text(record: &StoredRecord) -> String {
    let mut text = String::with_capacity(record.data.len() + 256);
    text.push_str("{\"id\":");
    push_json_string(&mut text, &record.id);
    text.push_str(",\"version\":");
    text.push_str(&record.version.to_string());
    for (name, value) in [
        ("created_at", &record.created_at),
        ("updated_at", &record.updated_at),
        ("created_by", &record.created_by),
        ("updated_by", &record.updated_by),
    ] {
        text.push_str(",\"");
        text.push_str(name);
        text.push_str("\":");
        push_json_string(&mut text, value);
    }
    for (name, value) in [
        ("owned_by", &record.owned_by),
        ("owning_team", &record.owning_team),
    ] {
        text.push_str(",\"");
        text.push_str(name);
        text.push_str("\":");
        match value {
            Some(value) => push_json_string(&mut text, value),
            None => text.push_str("null"),
        }
    }
    let data = record.data.trim();
    let members = data
        .strip_prefix('{')
        .and_then(|d| d.strip_suffix('}'))
        .unwrap_or_default()
        .trim();
    if !members.is_empty() {
        text.push(',');
        text.push_str(members);
    }
    text.push('}');
    text
}

fn push_json_string(out: &mut String, value: &str) {
    out.push_str(&Value::String(value.to_owned()).to_string());
}

/// Keeps only the selected paths (and `id`, which every record keeps).
fn project(value: Value, select: &[Vec<String>]) -> Value {
    let mut out = Map::new();
    if let Some(id) = value.get("id") {
        out.insert("id".into(), id.clone());
    }
    for path in select {
        let Some(found) = path.iter().try_fold(&value, |v, segment| v.get(segment)) else {
            continue;
        };
        let mut slot = &mut out;
        for segment in &path[..path.len() - 1] {
            slot = slot
                .entry(segment.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("projection builds objects");
        }
        slot.insert(path[path.len() - 1].clone(), found.clone());
    }
    Value::Object(out)
}

/// Resolves `$orderby` into sort keys. `id` as the last key sets the direction of the id
/// tiebreaker; otherwise the tiebreaker follows the first key.
/// Refuses full-text search when a searched field is hidden from the caller's role.
fn check_search_unhidden(
    entity_type: &EntityType,
    hidden: &[String],
    request: &ListRequest,
) -> Result<()> {
    if request
        .search
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
        && entity_type
            .search_fields()
            .iter()
            .any(|f| hidden.contains(f))
    {
        return Err(QueryError {
            option: "$search",
            position: None,
            message: "search is not available on this type: it searches a field your role hides"
                .into(),
        }
        .into());
    }
    Ok(())
}

fn sort_keys(
    entity_type: &EntityType,
    catalog: &impl query::FieldCatalog,
    orderby: Option<&str>,
) -> Result<(Vec<SortKey>, bool)> {
    let Some(text) = orderby.filter(|t| !t.trim().is_empty()) else {
        return Ok((Vec::new(), false));
    };
    let keys = query::parse_orderby(text)?;
    query::check_orderby(&keys, catalog)?;
    let mut sort = Vec::new();
    let mut id_descending = keys.first().is_some_and(|k| k.descending);
    for (index, key) in keys.iter().enumerate() {
        if key.path.segments == ["id"] {
            if index + 1 != keys.len() {
                return Err(QueryError {
                    option: "$orderby",
                    position: Some(key.path.position),
                    message: "id is unique, so it can only be the last sort key".into(),
                }
                .into());
            }
            id_descending = key.descending;
            break;
        }
        let info = entity_type
            .field(&key.path.segments)
            .expect("checked above");
        sort.push(SortKey {
            path: key.path.segments.clone(),
            kind: entity_type.kind_of(&key.path.segments).unwrap_or(info.kind),
            system: info.system,
            descending: key.descending,
        });
    }
    Ok((sort, id_descending))
}

/// A hash of everything that decides a list's order and membership: a cursor only continues
/// the query it was made for.
fn query_fingerprint(
    type_name: &str,
    request: &ListRequest,
    pointing_at: Option<(&str, &str)>,
) -> u64 {
    let (field, id) = pointing_at.unwrap_or_default();
    stable_hash(&[
        type_name,
        request.filter.as_deref().unwrap_or_default(),
        request.orderby.as_deref().unwrap_or_default(),
        request.search.as_deref().unwrap_or_default(),
        field,
        id,
    ])
}

fn encode_cursor(order: &[SortKey], last: &StoredRecord, fingerprint: u64) -> Result<String> {
    let data: Value = serde_json::from_str(&last.data).unwrap_or(Value::Null);
    let values: Vec<Value> = order
        .iter()
        .map(|key| {
            if key.system {
                match key.path[0].as_str() {
                    "version" => Value::from(last.version),
                    "created_at" => Value::String(last.created_at.clone()),
                    "updated_at" => Value::String(last.updated_at.clone()),
                    "created_by" => Value::String(last.created_by.clone()),
                    "updated_by" => Value::String(last.updated_by.clone()),
                    "owned_by" => last.owned_by.clone().into(),
                    "owning_team" => last.owning_team.clone().into(),
                    _ => Value::String(last.id.clone()),
                }
            } else {
                key.path
                    .iter()
                    .try_fold(&data, |v, s| v.get(s))
                    .cloned()
                    .unwrap_or(Value::Null)
            }
        })
        .collect();
    let payload = json!({ "q": format!("{fingerprint:016x}"), "k": values, "id": last.id });
    Ok(URL_SAFE_NO_PAD.encode(payload.to_string()))
}

fn decode_cursor(cursor: &str, fingerprint: u64, keys: usize) -> Result<(Vec<Value>, String)> {
    let invalid = |message: &str| -> Error {
        QueryError {
            option: "$cursor",
            position: None,
            message: message.to_owned(),
        }
        .into()
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .map_err(|_| invalid("the cursor is not one this server issued"))?;
    let payload: Value = serde_json::from_slice(&bytes)
        .map_err(|_| invalid("the cursor is not one this server issued"))?;
    if payload.get("q").and_then(Value::as_str) != Some(format!("{fingerprint:016x}").as_str()) {
        return Err(invalid(
            "the cursor belongs to a different query; repeat the same $filter, $orderby and $search with it",
        ));
    }
    let values = payload
        .get("k")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let id = payload
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if values.len() != keys || super::records::check_id(&id).is_err() {
        return Err(invalid("the cursor is not one this server issued"));
    }
    Ok((values, id))
}
