//! Criterion benchmarks of the per-request work that does not touch the database: validating a
//! record against a compiled entity type, and turning `$filter`/`$orderby` text into SQL.
//! Run: `cargo bench -p xrm-host --bench core`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use xrm::query::{check_filter, check_orderby, parse_filter, parse_orderby};
use xrm::schema::EntityType;
use xrm::store::{Dialect, ListPlan, SortKey, list_sql};

/// The 8-field customer of the peers benchmark, with the same rules.
fn customer_type() -> EntityType {
    EntityType::compile(
        json!({
            "type": "object", "additionalProperties": false, "required": ["name", "email"],
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
                "tier": {"enum": ["bronze", "silver", "gold"]},
                "lifetime_value": {"type": "number", "minimum": 0},
                "status": {"enum": ["lead", "active", "churned"]},
                "country": {"type": "string"},
                "signed_up": {"type": "string", "format": "date-time"},
                "notes": {"type": "string"}
            },
            "x-xrm": {"name": "customers", "display_name": "Customer", "title_field": "name",
                      "indexed": ["status", "lifetime_value"]}
        }),
        1,
    )
    .expect("the bench schema compiles")
}

fn valid_customer() -> Value {
    json!({"name": "Customer w1-t1-1", "email": "w1-t1-1@bench.example.com", "tier": "gold",
           "lifetime_value": 1234.5, "status": "active", "country": "DE",
           "signed_up": "2021-04-12T10:20:00Z", "notes": "Met at trade fair; follow up next quarter"})
}

fn validation(c: &mut Criterion) {
    let entity_type = customer_type();
    let valid = valid_customer();
    let mut invalid = valid.clone();
    invalid.as_object_mut().unwrap().remove("email");
    invalid["tier"] = json!("platinum");
    c.bench_function("validate/valid customer", |b| {
        b.iter(|| black_box(entity_type.validate(black_box(&valid))))
    });
    c.bench_function("validate/invalid customer (2 errors)", |b| {
        b.iter(|| black_box(entity_type.validate(black_box(&invalid))))
    });
}

fn filter_compilation(c: &mut Criterion) {
    let entity_type = customer_type();
    let filter_text = "status eq 'active' and lifetime_value gt 1000";
    let order_text = "lifetime_value desc";
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        c.bench_function(&format!("filter/parse+check+compile ({dialect:?})"), |b| {
            b.iter(|| {
                let filter = parse_filter(black_box(filter_text)).unwrap();
                check_filter(&filter, &entity_type).unwrap();
                let keys = parse_orderby(black_box(order_text)).unwrap();
                check_orderby(&keys, &entity_type).unwrap();
                let order = keys
                    .iter()
                    .map(|key| SortKey {
                        path: key.path.segments.clone(),
                        kind: xrm::query::FieldCatalog::kind_of(&entity_type, &key.path.segments)
                            .unwrap(),
                        system: false,
                        descending: key.descending,
                    })
                    .collect();
                let plan = ListPlan {
                    workspace: "default",
                    entity_type: &entity_type,
                    filter: Some(&filter),
                    pointing_at: None,
                    owners: None,
                    search: None,
                    order,
                    id_descending: true,
                    after: None,
                    limit: 51,
                };
                black_box(list_sql(dialect, &plan).sql.len())
            })
        });
    }
}

criterion_group!(benches, validation, filter_compilation);
criterion_main!(benches);
