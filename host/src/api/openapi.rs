//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 description generated from the live entity
//! types, so integrators get typed paths for every type the moment an admin defines it.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::schema::EntityType;
use crate::service::{Access, App, DEFAULT_TOP, MAX_BULK_ITEMS, MAX_TOP};

pub async fn document(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Json<Value>> {
    let types = app.types.all(&app.store, &access.workspace).await?;
    Ok(Json(build(&types)))
}

/// The whole OpenAPI document for a set of entity types.
pub fn build(types: &[Arc<EntityType>]) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Problem".into(), problem_schema());
    schemas.insert("EntityType".into(), json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"}, "version": {"type": "integer"},
            "display_name": {"type": "string"}, "plural_name": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
            "created_by": {"type": "string"}, "updated_by": {"type": "string"},
            "schema": {"type": "object", "description": "The JSON Schema document with its x-xrm annotations (docs/entity-types.md)."}
        }
    }));
    entity_type_paths(&mut paths);
    for entity_type in types {
        let name = &entity_type.name;
        let title = pascal_case(name);
        schemas.insert(format!("{title}Input"), input_schema(entity_type));
        schemas.insert(title.clone(), record_schema(entity_type));
        record_paths(&mut paths, entity_type, &title);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "xrm API",
            "version": "1",
            "description": "Records of every entity type defined in this workspace, plus the entity types themselves. Errors are RFC 9457 problem documents."
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        // Either credential works everywhere; docs/security.md has the model.
        "security": [{"token": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer",
                          "description": "An API token (xrm_…) made with POST /api/v1/tokens."},
                "session": {"type": "apiKey", "in": "cookie", "name": "xrm_session",
                            "description": "The cookie of POST /api/v1/auth/login; changes also need the X-CSRF-Token header."}
            },
            "schemas": schemas,
            "responses": {
                "Problem": {"description": "The request was refused; see the problem document.",
                             "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            },
            "parameters": list_parameters()
        }
    })
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": {
            "type": {"type": "string", "description": "urn:xrm:problem:<code>"},
            "title": {"type": "string"}, "status": {"type": "integer"},
            "code": {"type": "string", "description": "Stable machine-readable code; docs/api.md lists them."},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "path": {"type": "string", "description": "JSON Pointer into the request body, or the query option."},
                "keyword": {"type": "string"}, "message": {"type": "string"}}}},
            "request_id": {"type": "string"}
        }
    })
}

/// The document a client sends: the type's schema as the admin wrote it.
fn input_schema(entity_type: &EntityType) -> Value {
    let mut schema = entity_type.document.clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("$id");
    }
    schema
}

/// What the API returns: the type's schema plus the system fields.
fn record_schema(entity_type: &EntityType) -> Value {
    let mut schema = input_schema(entity_type);
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        let mut with_system = Map::new();
        with_system.insert(
            "id".into(),
            json!({"type": "string", "format": "uuid", "readOnly": true}),
        );
        with_system.insert(
            "version".into(),
            json!({"type": "integer", "minimum": 1, "readOnly": true}),
        );
        for field in ["created_at", "updated_at"] {
            with_system.insert(
                field.into(),
                json!({"type": "string", "format": "date-time", "readOnly": true}),
            );
        }
        for field in ["created_by", "updated_by"] {
            with_system.insert(field.into(), json!({"type": "string", "readOnly": true}));
        }
        with_system.extend(std::mem::take(properties));
        *properties = with_system;
        with_system_required(&mut schema);
    }
    schema
}

fn with_system_required(schema: &mut Value) {
    let mut required: Vec<Value> = [
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
    ]
    .into_iter()
    .map(Value::from)
    .collect();
    if let Some(existing) = schema.get("required").and_then(Value::as_array) {
        required.extend(existing.iter().cloned());
    }
    schema["required"] = Value::Array(required);
}

fn list_parameters() -> Value {
    json!({
        "filter": {"name": "$filter", "in": "query", "schema": {"type": "string"},
                   "description": "OData-style filter: eq ne gt ge lt le, and or not, in (...), contains/startswith/endswith(field,'text'), null checks, nested paths a/b."},
        "orderby": {"name": "$orderby", "in": "query", "schema": {"type": "string"}, "description": "field [asc|desc], ..."},
        "select": {"name": "$select", "in": "query", "schema": {"type": "string"}, "description": "Comma-separated fields to return (id is always returned)."},
        "top": {"name": "$top", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": DEFAULT_TOP}},
        "count": {"name": "$count", "in": "query", "schema": {"type": "boolean"}, "description": "Include the number of matching records."},
        "expand": {"name": "$expand", "in": "query", "schema": {"type": "string"}, "description": "Lookup fields whose target records are returned under _expand."},
        "search": {"name": "$search", "in": "query", "schema": {"type": "string"}, "description": "Full-text search; every word must occur (as a prefix)."},
        "cursor": {"name": "$cursor", "in": "query", "schema": {"type": "string"}, "description": "Opaque cursor from next_cursor: continues the same query."},
        "ifMatch": {"name": "If-Match", "in": "header", "schema": {"type": "string"}, "description": "ETag of the version you read; 412 if it is no longer current."}
    })
}

fn problem_responses(codes: &[&str]) -> Map<String, Value> {
    codes
        .iter()
        .map(|code| {
            (
                (*code).to_owned(),
                json!({"$ref": "#/components/responses/Problem"}),
            )
        })
        .collect()
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn entity_type_paths(paths: &mut Map<String, Value>) {
    let type_ref = json!({"$ref": "#/components/schemas/EntityType"});
    let mut list_responses = problem_responses(&["500"]);
    list_responses.insert("200".into(), json!({"description": "Every entity type", "content": json_content(json!({"type": "object", "properties": {"value": {"type": "array", "items": type_ref}}}))}));
    let mut create_responses = problem_responses(&["400", "409", "413", "415", "422"]);
    create_responses.insert(
        "201".into(),
        json!({"description": "Created", "content": json_content(type_ref.clone())}),
    );
    paths.insert("/api/v1/entity-types".into(), json!({
        "get": {"summary": "List entity types", "tags": ["entity types"], "responses": list_responses},
        "post": {"summary": "Define an entity type", "tags": ["entity types"],
                 "requestBody": {"required": true, "content": json_content(json!({"type": "object"}))},
                 "responses": create_responses}
    }));
    let mut get_responses = problem_responses(&["404"]);
    get_responses.insert(
        "200".into(),
        json!({"description": "The current version", "content": json_content(type_ref.clone())}),
    );
    let mut put_responses = problem_responses(&["400", "404", "409", "412", "413", "415", "422"]);
    put_responses.insert(
        "200".into(),
        json!({"description": "The new version", "content": json_content(type_ref)}),
    );
    let mut delete_responses = problem_responses(&["404", "409"]);
    delete_responses.insert("204".into(), json!({"description": "Deleted"}));
    paths.insert("/api/v1/entity-types/{name}".into(), json!({
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {"summary": "Get an entity type", "tags": ["entity types"], "responses": get_responses},
        "put": {"summary": "Change an entity type (a new version)", "tags": ["entity types"],
                "parameters": [{"name": "allow_invalid_records", "in": "query", "schema": {"type": "boolean"},
                                "description": "Accept the schema even though stored records violate it."},
                               {"$ref": "#/components/parameters/ifMatch"}],
                "requestBody": {"required": true, "content": json_content(json!({"type": "object"}))},
                "responses": put_responses},
        "delete": {"summary": "Delete an entity type", "tags": ["entity types"],
                   "parameters": [{"name": "delete_records", "in": "query", "schema": {"type": "boolean"}}],
                   "responses": delete_responses}
    }));
    paths.insert("/api/v1/entity-types/{name}/versions".into(), json!({
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {"summary": "Every kept version of an entity type", "tags": ["entity types"],
                "responses": {"200": {"description": "Versions, oldest first"}, "404": {"$ref": "#/components/responses/Problem"}}}
    }));
}

fn record_paths(paths: &mut Map<String, Value>, entity_type: &EntityType, title: &str) {
    let name = &entity_type.name;
    let plural = &entity_type.annotations.plural_name;
    let record_ref = json!({"$ref": format!("#/components/schemas/{title}")});
    let input_ref = json!({"$ref": format!("#/components/schemas/{title}Input")});
    let tag = json!([entity_type.annotations.display_name]);

    let mut list_responses = problem_responses(&["400", "404"]);
    list_responses.insert("200".into(), json!({"description": format!("A page of {plural}"), "content": json_content(json!({
        "type": "object",
        "properties": {"value": {"type": "array", "items": record_ref}, "count": {"type": "integer"},
                       "next_cursor": {"type": "string"}, "next_link": {"type": "string"}}
    }))}));
    let mut create_responses = problem_responses(&["400", "409", "413", "415", "422"]);
    create_responses.insert("201".into(), json!({"description": "Created; ETag and Location headers", "content": json_content(record_ref.clone())}));
    let list_params: Vec<Value> = [
        "filter", "orderby", "select", "top", "count", "expand", "search", "cursor",
    ]
    .iter()
    .map(|p| json!({"$ref": format!("#/components/parameters/{p}")}))
    .collect();
    paths.insert(format!("/api/v1/records/{name}"), json!({
        "get": {"summary": format!("List {plural}"), "tags": tag, "parameters": list_params, "responses": list_responses},
        "post": {"summary": format!("Create a {}", entity_type.annotations.display_name), "tags": tag,
                 "requestBody": {"required": true, "content": json_content(input_ref.clone())},
                 "responses": create_responses}
    }));

    let mut bulk_responses = problem_responses(&["400", "413", "415", "422"]);
    bulk_responses.insert(
        "200".into(),
        json!({"description": "Every record was written"}),
    );
    paths.insert(format!("/api/v1/records/{name}/bulk"), json!({
        "post": {"summary": format!("Create or upsert up to {MAX_BULK_ITEMS} {plural} in one transaction"), "tags": tag,
                 "requestBody": {"required": true, "content": json_content(json!({
                     "type": "object", "required": ["records"],
                     "properties": {"mode": {"enum": ["create", "upsert"]}, "records": {"type": "array", "items": input_ref, "maxItems": MAX_BULK_ITEMS}}
                 }))},
                 "responses": bulk_responses}
    }));

    let mut get_responses = problem_responses(&["400", "404"]);
    get_responses.insert("200".into(), json!({"description": "The record; ETag header", "content": json_content(record_ref.clone())}));
    let mut write_responses = problem_responses(&["400", "404", "409", "412", "413", "415", "422"]);
    write_responses.insert(
        "200".into(),
        json!({"description": "The new version", "content": json_content(record_ref)}),
    );
    let mut delete_responses = problem_responses(&["400", "404", "409", "412"]);
    delete_responses.insert("204".into(), json!({"description": "Deleted"}));
    paths.insert(format!("/api/v1/records/{name}/{{id}}"), json!({
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "get": {"summary": format!("Get a {}", entity_type.annotations.display_name), "tags": tag, "responses": get_responses},
        "put": {"summary": "Replace the record's data", "tags": tag, "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
                "requestBody": {"required": true, "content": json_content(input_ref)}, "responses": write_responses.clone()},
        "patch": {"summary": "Change fields (JSON Merge Patch, RFC 7396)", "tags": tag, "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
                  "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}}},
                  "responses": write_responses},
        "delete": {"summary": "Delete the record (lookups' on_delete rules apply)", "tags": tag,
                   "parameters": [{"$ref": "#/components/parameters/ifMatch"}], "responses": delete_responses}
    }));
}

/// `parking_violation` → `ParkingViolation`, for component names.
fn pascal_case(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_are_pascal_case() {
        assert_eq!(pascal_case("parking_violation"), "ParkingViolation");
        assert_eq!(pascal_case("customer"), "Customer");
    }
}
