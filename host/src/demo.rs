//! The shipped entity types and the demo data set behind `xrm serve --demo`: a few hundred
//! records of a fictional European B2B company with consistent relationships, generated
//! deterministically so that every demo (and every test) sees the same data.

use serde_json::{Map, Value, json};
use time::{Date, Duration, Month};

/// The shipped entity-type documents, lookup targets before the types that point at them.
pub fn shipped_entity_types() -> Vec<Value> {
    [
        include_str!("../../entity-schemas/customer.json"),
        include_str!("../../entity-schemas/contact.json"),
        include_str!("../../entity-schemas/product.json"),
        include_str!("../../entity-schemas/lead.json"),
        include_str!("../../entity-schemas/opportunity.json"),
        include_str!("../../entity-schemas/contract.json"),
        include_str!("../../entity-schemas/asset.json"),
        include_str!("../../entity-schemas/complaint.json"),
        include_str!("../../entity-schemas/activity.json"),
    ]
    .iter()
    .map(|text| serde_json::from_str(text).expect("shipped entity types are valid JSON"))
    .collect()
}

/// The demo records per type, in an order where every lookup points at an earlier record.
pub fn demo_records() -> Vec<(&'static str, Vec<Value>)> {
    Generator::new().generate()
}

const OWNERS: [&str; 6] = [
    "maria.keller",
    "jonas.berg",
    "amelie.laurent",
    "tomasz.nowak",
    "sofia.rossi",
    "liam.oconnor",
];
const AGENTS: [&str; 4] = [
    "lena.fischer",
    "mikkel.hansen",
    "ines.garcia",
    "rahul.mehta",
];
const PREFIXES: [&str; 12] = [
    "Nordlicht",
    "Alpen",
    "Baltic",
    "Rhein",
    "Iberia",
    "Atlas",
    "Helios",
    "Vega",
    "Orion",
    "Fjord",
    "Danube",
    "Kestrel",
];
const SUFFIXES: [(&str, &str); 8] = [
    ("Energie GmbH", "energy"),
    ("Logistics AB", "logistics"),
    ("Medical SA", "healthcare"),
    ("Retail BV", "retail"),
    ("Software Oy", "software"),
    ("Manufacturing Ltd", "manufacturing"),
    ("Telecom AS", "telecom"),
    ("Finance AG", "finance"),
];
const CITIES: [(&str, &str, &str); 15] = [
    ("Berlin", "DE", "+49 30"),
    ("Hamburg", "DE", "+49 40"),
    ("Munich", "DE", "+49 89"),
    ("Oslo", "NO", "+47 22"),
    ("Stockholm", "SE", "+46 8"),
    ("Copenhagen", "DK", "+45 33"),
    ("Amsterdam", "NL", "+31 20"),
    ("Paris", "FR", "+33 1"),
    ("Lyon", "FR", "+33 4"),
    ("Madrid", "ES", "+34 91"),
    ("Milan", "IT", "+39 02"),
    ("Warsaw", "PL", "+48 22"),
    ("Helsinki", "FI", "+358 9"),
    ("Vienna", "AT", "+43 1"),
    ("Zurich", "CH", "+41 44"),
];
const FIRST_NAMES: [&str; 20] = [
    "Anna", "Lukas", "Emma", "Noah", "Mia", "Elias", "Sofia", "Oskar", "Lea", "Jakub", "Chloé",
    "Mateo", "Ingrid", "Pieter", "Giulia", "Erik", "Zofia", "Hugo", "Aino", "Felix",
];
const LAST_NAMES: [&str; 20] = [
    "Schneider",
    "Johansson",
    "Dubois",
    "Kowalski",
    "Rossi",
    "Jansen",
    "Nielsen",
    "García",
    "Virtanen",
    "Huber",
    "Müller",
    "Lindqvist",
    "Moreau",
    "Nowak",
    "Bianchi",
    "de Vries",
    "Larsen",
    "Fernández",
    "Korhonen",
    "Weber",
];
const STREETS: [&str; 8] = [
    "Hauptstraße",
    "Storgatan",
    "Rue de la Paix",
    "Calle Mayor",
    "Via Roma",
    "Keizersgracht",
    "Ulica Długa",
    "Ringstraße",
];

/// A tiny deterministic generator (splitmix64): the demo must be the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    /// A value from `weights`: (value, weight) pairs.
    fn weighted<'a>(&mut self, weights: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = weights.iter().map(|(_, w)| w).sum();
        let mut roll = self.next() % total;
        for (value, weight) in weights {
            if roll < *weight {
                return value;
            }
            roll -= weight;
        }
        weights[0].0
    }
}

/// The day the demo data is "as of": statuses and dates are consistent with it.
fn today() -> Date {
    Date::from_calendar_date(2026, Month::November, 1).expect("valid date")
}

fn day(offset_from_today: i64) -> Date {
    today() + Duration::days(offset_from_today)
}

fn date_time(date: Date, hour: i64, minute: i64) -> String {
    format!("{date}T{hour:02}:{minute:02}:00Z")
}

fn money(amount: f64) -> Value {
    json!((amount * 100.0).round() / 100.0)
}

fn slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_ascii_alphanumeric() {
                Some(c.to_ascii_lowercase())
            } else {
                None
            }
        })
        .collect()
}

/// Letters only, for e-mail local parts: "García" → "garcia".
fn ascii_name(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' => 'a',
            'é' | 'è' => 'e',
            'í' => 'i',
            'ó' | 'ö' => 'o',
            'ú' | 'ü' => 'u',
            'ł' => 'l',
            'ń' => 'n',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

struct Customer {
    id: String,
    slug: String,
    owner: &'static str,
    city: usize,
    active: bool,
    contacts: Vec<String>,
    contracts: Vec<String>,
    assets: Vec<String>,
    opportunities: Vec<String>,
    complaints: Vec<String>,
}

struct Product {
    id: String,
    name: String,
    sku: String,
    price: f64,
    warranty_months: i64,
    hardware: bool,
}

struct Generator {
    rng: Rng,
    /// Milliseconds of the next id's UUIDv7 timestamp: ids sort in creation order.
    clock: u64,
    customers: Vec<Customer>,
    products: Vec<Product>,
}

impl Generator {
    fn new() -> Generator {
        Generator {
            rng: Rng(0x5EED_0FC0_FFEE),
            clock: 1_767_225_600_000,
            customers: Vec::new(),
            products: Vec::new(),
        }
    }

    fn id(&mut self) -> String {
        self.clock += 1 + self.rng.next() % 1000;
        let mut random = [0_u8; 10];
        random[..8].copy_from_slice(&self.rng.next().to_le_bytes());
        random[8..].copy_from_slice(&self.rng.next().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(self.clock, &random)
            .into_uuid()
            .to_string()
    }

    fn generate(mut self) -> Vec<(&'static str, Vec<Value>)> {
        let customers = self.customers();
        let contacts = self.contacts();
        let products = self.products();
        let leads = self.leads();
        let opportunities = self.opportunities();
        let contracts = self.contracts();
        let assets = self.assets();
        let complaints = self.complaints();
        let activities = self.activities();
        vec![
            ("customer", customers),
            ("contact", contacts),
            ("product", products),
            ("lead", leads),
            ("opportunity", opportunities),
            ("contract", contracts),
            ("asset", assets),
            ("complaint", complaints),
            ("activity", activities),
        ]
    }

    fn customers(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        for index in 0..60 {
            let prefix = PREFIXES[index % PREFIXES.len()];
            let (suffix, industry) = SUFFIXES[(index / PREFIXES.len() + index) % SUFFIXES.len()];
            let name = format!("{prefix} {suffix}");
            let short = suffix.split(' ').next().unwrap_or(suffix);
            let slug = slug(&format!("{prefix}{short}"));
            let city = self.rng.below(CITIES.len());
            let (city_name, country, dial) = CITIES[city];
            let status = self.rng.weighted(&[
                ("active", 60),
                ("inactive", 12),
                ("prospect", 16),
                ("churned", 12),
            ]);
            let owner = *self.rng.pick(&OWNERS);
            let employees = self.rng.between(12, 9000);
            let id = self.id();
            let mut record = json!({
                "id": id,
                "name": name,
                "legal_name": format!("{prefix} {suffix}"),
                "account_number": format!("ACC-{:06}", 100_001 + index),
                "relationship": if status == "prospect" { "prospect" } else if index % 17 == 5 { "partner" } else { "customer" },
                "status": status,
                "tier": self.rng.weighted(&[("bronze", 35), ("silver", 35), ("gold", 22), ("platinum", 8)]),
                "industry": industry,
                "website": format!("https://www.{slug}.example"),
                "email": format!("info@{slug}.example"),
                "phone": format!("{dial} {}", self.rng.between(1_000_000, 9_999_999)),
                "employees": employees,
                "annual_revenue": money(employees as f64 * self.rng.between(80_000, 260_000) as f64),
                "currency": "EUR",
                "credit_limit": money(self.rng.between(10, 500) as f64 * 1000.0),
                "owner": owner,
                "billing_address": {
                    "street": format!("{} {}", self.rng.pick(&STREETS), self.rng.between(1, 180)),
                    "city": city_name,
                    "postal_code": format!("{:05}", self.rng.between(10_000, 99_999)),
                    "country": country
                },
                "tags": if index % 4 == 0 { json!(["key-account"]) } else { json!([]) }
            });
            if status != "prospect" {
                record["customer_since"] = json!(day(-self.rng.between(200, 2500)).to_string());
            }
            if index >= 10 && index % 9 == 0 {
                record["parent_customer_id"] = json!(self.customers[index % 10].id);
            }
            self.customers.push(Customer {
                id,
                slug,
                owner,
                city,
                active: status == "active" || status == "inactive",
                contacts: Vec::new(),
                contracts: Vec::new(),
                assets: Vec::new(),
                opportunities: Vec::new(),
                complaints: Vec::new(),
            });
            records.push(record);
        }
        records
    }

    fn contacts(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        for index in 0..150 {
            let customer = if index < self.customers.len() {
                index
            } else {
                self.rng.below(self.customers.len())
            };
            let first = *self.rng.pick(&FIRST_NAMES);
            let last = *self.rng.pick(&LAST_NAMES);
            let id = self.id();
            let (_, _, dial) = CITIES[self.customers[customer].city];
            let record = json!({
                "id": id,
                "full_name": format!("{first} {last}"),
                "first_name": first,
                "last_name": last,
                "email": format!("{}.{}.{index}@{}.example", ascii_name(first), ascii_name(last), self.customers[customer].slug),
                "phone": format!("{dial} {}", self.rng.between(1_000_000, 9_999_999)),
                "job_title": *self.rng.pick(&["Purchasing Manager", "CTO", "Head of Operations", "CFO", "Service Lead", "Facility Manager", "CEO", "IT Administrator"]),
                "department": *self.rng.pick(&["purchasing", "it", "finance", "operations", "management", "engineering"]),
                "role": self.rng.weighted(&[("decision_maker", 20), ("influencer", 30), ("user", 35), ("champion", 10), ("gatekeeper", 5)]),
                "customer_id": self.customers[customer].id,
                "preferred_channel": *self.rng.pick(&["email", "phone", "email", "sms"]),
                "language": *self.rng.pick(&["en", "de", "fr", "sv", "es", "it", "pl"]),
                "birthday": Date::from_calendar_date(self.rng.between(1960, 1998) as i32, Month::try_from(self.rng.between(1, 12) as u8).expect("month"), self.rng.between(1, 28) as u8).expect("valid date").to_string(),
                "marketing_consent": self.rng.chance(60),
                "status": if self.rng.chance(92) { "active" } else { "inactive" },
                "owner": self.customers[customer].owner
            });
            self.customers[customer].contacts.push(id);
            records.push(record);
        }
        records
    }

    fn products(&mut self) -> Vec<Value> {
        let catalogue: [(&str, &str, &str, f64, &str, i64); 25] = [
            (
                "HW-1001",
                "Heat Pump HP-12",
                "hardware",
                8900.0,
                "piece",
                36,
            ),
            (
                "HW-1002",
                "Heat Pump HP-20",
                "hardware",
                12900.0,
                "piece",
                36,
            ),
            (
                "HW-1003",
                "Industrial Chiller IC-50",
                "hardware",
                24500.0,
                "piece",
                24,
            ),
            (
                "HW-1004",
                "Smart Meter SM-3",
                "hardware",
                290.0,
                "piece",
                24,
            ),
            (
                "HW-1005",
                "Battery Storage BS-10",
                "hardware",
                7400.0,
                "piece",
                60,
            ),
            (
                "HW-1006",
                "Solar Inverter SI-8",
                "hardware",
                1850.0,
                "piece",
                60,
            ),
            (
                "HW-1007",
                "Air Handling Unit AHU-4",
                "hardware",
                15800.0,
                "piece",
                24,
            ),
            (
                "HW-1008",
                "Control Panel CP-2",
                "hardware",
                2100.0,
                "piece",
                24,
            ),
            (
                "SP-2001",
                "Compressor Kit",
                "spare_part",
                640.0,
                "piece",
                12,
            ),
            ("SP-2002", "Filter Set F7", "spare_part", 85.0, "piece", 6),
            (
                "SP-2003",
                "Expansion Valve",
                "spare_part",
                210.0,
                "piece",
                12,
            ),
            (
                "SP-2004",
                "Circulation Pump",
                "spare_part",
                480.0,
                "piece",
                12,
            ),
            ("SP-2005", "Sensor Pack", "spare_part", 120.0, "piece", 6),
            (
                "SV-3001",
                "Installation Service",
                "service",
                95.0,
                "hour",
                0,
            ),
            (
                "SV-3002",
                "Annual Maintenance",
                "service",
                1200.0,
                "year",
                0,
            ),
            (
                "SV-3003",
                "Emergency Call-Out",
                "service",
                260.0,
                "piece",
                0,
            ),
            ("SV-3004", "Energy Audit", "service", 1800.0, "piece", 0),
            ("SV-3005", "Operator Training", "service", 950.0, "day", 0),
            (
                "SW-4001",
                "Fleet Monitor Basic",
                "subscription",
                49.0,
                "month",
                0,
            ),
            (
                "SW-4002",
                "Fleet Monitor Pro",
                "subscription",
                149.0,
                "month",
                0,
            ),
            (
                "SW-4003",
                "Energy Analytics",
                "subscription",
                390.0,
                "month",
                0,
            ),
            ("SW-4004", "Service Portal", "software", 4900.0, "piece", 12),
            (
                "SW-4005",
                "Predictive Maintenance",
                "subscription",
                690.0,
                "month",
                0,
            ),
            (
                "HW-1009",
                "Heat Pump HP-6 (discontinued)",
                "hardware",
                6400.0,
                "piece",
                24,
            ),
            (
                "SP-2006",
                "Refrigerant Pack R290",
                "spare_part",
                140.0,
                "kg",
                0,
            ),
        ];
        let mut records = Vec::new();
        for (sku, name, family, price, unit, warranty) in catalogue {
            let id = self.id();
            records.push(json!({
                "id": id,
                "sku": sku,
                "name": name,
                "description": format!("{name}: part of the {family} range."),
                "family": family,
                "unit_price": price,
                "currency": "EUR",
                "unit": unit,
                "tax_rate": 0.19,
                "warranty_months": warranty,
                "active": !name.contains("discontinued"),
                "launched_on": day(-self.rng.between(300, 3000)).to_string(),
                "datasheet_url": format!("https://docs.example/products/{}", sku.to_lowercase())
            }));
            self.products.push(Product {
                id,
                name: name.to_owned(),
                sku: sku.to_owned(),
                price,
                warranty_months: warranty,
                hardware: family == "hardware",
            });
        }
        records
    }

    fn leads(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        for index in 0..80 {
            let first = *self.rng.pick(&FIRST_NAMES);
            let last = *self.rng.pick(&LAST_NAMES);
            let company = format!(
                "{} {}",
                self.rng.pick(&[
                    "Polar", "Sunrise", "Meridian", "Granite", "Harbor", "Aurora", "Summit",
                    "Lumen"
                ]),
                self.rng
                    .pick(&["Foods", "Hotels", "Clinics", "Data", "Works", "Estates"])
            );
            let page_visits = self.rng.between(0, 60);
            let downloads = self.rng.between(0, 6);
            let webinar = self.rng.chance(30);
            let source = *self.rng.pick(&[
                "web_form",
                "referral",
                "trade_fair",
                "webinar",
                "cold_call",
                "partner",
                "advertising",
            ]);
            let score = (page_visits.min(30)
                + downloads * 6
                + if webinar { 15 } else { 0 }
                + if source == "referral" { 15 } else { 5 })
            .min(100);
            let grade = match score {
                80.. => "A",
                60..=79 => "B",
                40..=59 => "C",
                _ => "D",
            };
            let status = self.rng.weighted(&[
                ("new", 30),
                ("contacted", 25),
                ("qualified", 20),
                ("disqualified", 15),
                ("converted", 10),
            ]);
            let city = self.rng.below(CITIES.len());
            let mut record = json!({
                "id": self.id(),
                "full_name": format!("{first} {last}"),
                "company": company,
                "email": format!("{}.{}@{}.example", ascii_name(first), ascii_name(last), slug(&company)),
                "job_title": *self.rng.pick(&["Owner", "Operations Manager", "Facility Manager", "Buyer", "Head of IT"]),
                "source": source,
                "status": status,
                "score": score,
                "grade": grade,
                "industry": *self.rng.pick(&["retail", "healthcare", "logistics", "manufacturing", "other"]),
                "company_size": *self.rng.pick(&["1-10", "11-50", "51-200", "201-1000", "1000+"]),
                "country": CITIES[city].1,
                "page_visits": page_visits,
                "downloads": downloads,
                "webinar_attended": webinar,
                "owner": *self.rng.pick(&OWNERS)
            });
            if status == "disqualified" {
                record["disqualified_reason"] = json!(*self.rng.pick(&[
                    "No budget this year",
                    "Outside our service area",
                    "Student project",
                    "Duplicate of an existing account"
                ]));
            }
            if status == "converted" {
                record["converted_customer_id"] =
                    json!(self.customers[(index * 7) % self.customers.len()].id);
            }
            records.push(record);
        }
        records
    }

    fn opportunities(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        for _ in 0..90 {
            let customer = self.rng.below(self.customers.len());
            let stage = self.rng.weighted(&[
                ("prospecting", 15),
                ("qualification", 15),
                ("proposal", 20),
                ("negotiation", 15),
                ("closed_won", 20),
                ("closed_lost", 15),
            ]);
            let probability = match stage {
                "prospecting" => 10,
                "qualification" => 25,
                "proposal" => 50,
                "negotiation" => 75,
                "closed_won" => 100,
                _ => 0,
            };
            let mut lines = Vec::new();
            let mut amount = 0.0;
            for _ in 0..self.rng.between(1, 3) {
                let product = self.rng.below(self.products.len());
                let quantity = self.rng.between(1, 12) as f64;
                let discount = *self.rng.pick(&[0.0, 0.0, 0.05, 0.1]);
                let price = self.products[product].price;
                amount += quantity * price * (1.0 - discount);
                lines.push(json!({"product_id": self.products[product].id, "quantity": quantity, "unit_price": price, "discount": discount}));
            }
            let closed = stage.starts_with("closed");
            let expected_close = if closed {
                day(-self.rng.between(10, 300))
            } else {
                day(self.rng.between(10, 200))
            };
            let product_name = self.products[self.rng.below(self.products.len())]
                .name
                .clone();
            let id = self.id();
            let mut record = json!({
                "id": id,
                "name": format!("{} – {}", product_name, self.customers[customer].slug),
                "customer_id": self.customers[customer].id,
                "stage": stage,
                "amount": money(amount),
                "currency": "EUR",
                "probability": probability,
                "expected_close": expected_close.to_string(),
                "source": *self.rng.pick(&["lead", "existing_customer", "partner", "tender"]),
                "owner": self.customers[customer].owner,
                "lines": lines
            });
            if let Some(contact) = self.customers[customer].contacts.first() {
                record["contact_id"] = json!(contact);
            }
            if closed {
                record["closed_on"] =
                    json!((expected_close - Duration::days(self.rng.between(0, 20))).to_string());
            }
            if stage == "closed_lost" {
                record["lost_reason"] =
                    json!(
                        *self
                            .rng
                            .pick(&["price", "competitor", "no_budget", "no_decision"])
                    );
            }
            self.customers[customer].opportunities.push(id);
            records.push(record);
        }
        records
    }

    fn contracts(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        let mut number = 0;
        let active: Vec<usize> = (0..self.customers.len())
            .filter(|c| self.customers[*c].active)
            .collect();
        for base in 0..56 {
            let customer = active[base % active.len()];
            let start = day(-self.rng.between(-60, 900));
            let years = self.rng.between(1, 2);
            let end = start + Duration::days(365 * years - 1);
            let status = if start > today() {
                "draft"
            } else if end < today() {
                if self.rng.chance(55) {
                    "renewed"
                } else if self.rng.chance(50) {
                    "expired"
                } else {
                    "terminated"
                }
            } else if end < day(90) {
                "expiring"
            } else {
                "active"
            };
            number += 1;
            let (id, record) = self.contract(customer, number, start, end, status, None);
            records.push(record);
            if status == "renewed" {
                let next_start = end + Duration::days(1);
                let next_end = next_start + Duration::days(365 * years - 1);
                let next_status = if next_end < day(90) {
                    "expiring"
                } else {
                    "active"
                };
                number += 1;
                let (_, successor) = self.contract(
                    customer,
                    number,
                    next_start,
                    next_end,
                    next_status,
                    Some(id),
                );
                records.push(successor);
            }
        }
        records
    }

    fn contract(
        &mut self,
        customer: usize,
        number: usize,
        start: Date,
        end: Date,
        status: &str,
        renewed_from: Option<String>,
    ) -> (String, Value) {
        let id = self.id();
        let kind = *self.rng.pick(&[
            "service",
            "maintenance",
            "subscription",
            "license",
            "supply",
        ]);
        let mut record = json!({
            "id": id,
            "contract_number": format!("CTR-{}-{:04}", start.year(), number),
            "title": format!("{} agreement {}", match kind { "service" => "Service", "maintenance" => "Maintenance", "subscription" => "Subscription", "license" => "Licence", _ => "Supply" }, self.customers[customer].slug),
            "customer_id": self.customers[customer].id,
            "status": status,
            "type": kind,
            "start_date": start.to_string(),
            "end_date": end.to_string(),
            "value": money(self.rng.between(30, 900) as f64 * 100.0),
            "currency": "EUR",
            "billing_frequency": *self.rng.pick(&["monthly", "quarterly", "yearly"]),
            "auto_renew": self.rng.chance(40),
            "notice_period_days": *self.rng.pick(&[30_i64, 60, 90]),
            "owner": self.customers[customer].owner
        });
        if status != "draft" {
            record["signed_on"] =
                json!((start - Duration::days(self.rng.between(3, 30))).to_string());
            record["document_url"] = json!(format!(
                "https://dms.example/contracts/{}",
                record["contract_number"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
            ));
        }
        if let Some(previous) = renewed_from {
            record["renewed_from_id"] = json!(previous);
        }
        self.customers[customer].contracts.push(id.clone());
        (id, record)
    }

    fn assets(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        let hardware: Vec<usize> = (0..self.products.len())
            .filter(|p| self.products[*p].hardware)
            .collect();
        let active: Vec<usize> = (0..self.customers.len())
            .filter(|c| self.customers[*c].active)
            .collect();
        for index in 0..100 {
            let customer = active[self.rng.below(active.len())];
            let product = hardware[self.rng.below(hardware.len())];
            let installed = day(-self.rng.between(30, 1800));
            let status = self.rng.weighted(&[
                ("in_service", 60),
                ("installed", 15),
                ("under_repair", 10),
                ("retired", 10),
                ("ordered", 5),
            ]);
            let (city, country, _) = CITIES[self.customers[customer].city];
            let id = self.id();
            let mut record = json!({
                "id": id,
                "serial_number": format!("SN-{}-{:05}", self.products[product].sku, 10_000 + index),
                "name": format!("{} at {}", self.products[product].name, city),
                "product_id": self.products[product].id,
                "customer_id": self.customers[customer].id,
                "status": status,
                "location": {"site": format!("Building {}", (b'A' + self.rng.below(5) as u8) as char), "city": city, "country": country}
            });
            if status != "ordered" {
                let warranty_until =
                    installed + Duration::days(30 * self.products[product].warranty_months);
                let last_service = installed
                    + Duration::days(
                        self.rng
                            .between(0, (today() - installed).whole_days().max(1)),
                    );
                record["installed_on"] = json!(installed.to_string());
                record["warranty_until"] = json!(warranty_until.to_string());
                record["last_service_on"] = json!(last_service.to_string());
                record["next_service_due"] =
                    json!((last_service + Duration::days(365)).to_string());
                record["meter_reading"] = json!(self.rng.between(100, 40_000));
            }
            if let Some(contract) = self.customers[customer].contracts.last() {
                record["contract_id"] = json!(contract);
            }
            self.customers[customer].assets.push(id);
            records.push(record);
        }
        records
    }

    fn complaints(&mut self) -> Vec<Value> {
        const SUBJECTS: [(&str, &str); 10] = [
            ("Heat pump makes a loud noise at night", "technical"),
            ("Invoice shows the wrong maintenance fee", "billing"),
            ("Spare part delivered two weeks late", "delivery"),
            ("Technician did not show up for the appointment", "service"),
            ("Smart meter reports zero consumption", "technical"),
            ("Damaged packaging on delivery", "delivery"),
            ("Portal login fails since the update", "technical"),
            ("Charged twice for the same order", "billing"),
            ("Filter quality worse than the previous batch", "quality"),
            ("No answer from the hotline for three days", "service"),
        ];
        let mut records = Vec::new();
        for index in 0..80 {
            let customer = self.rng.below(self.customers.len());
            let (subject, category) = *self.rng.pick(&SUBJECTS);
            let priority =
                self.rng
                    .weighted(&[("low", 25), ("medium", 40), ("high", 25), ("critical", 10)]);
            let status = self.rng.weighted(&[
                ("new", 12),
                ("open", 15),
                ("in_progress", 18),
                ("waiting_on_customer", 10),
                ("resolved", 20),
                ("closed", 25),
            ]);
            let opened_day = day(-self.rng.between(0, 400));
            let hour = self.rng.between(7, 18);
            let sla_hours = match priority {
                "critical" => 4,
                "high" => 24,
                "medium" => 72,
                _ => 168,
            };
            let opened_minutes = hour * 60;
            let due_minutes = opened_minutes + sla_hours * 60;
            let id = self.id();
            let mut record = json!({
                "id": id,
                "case_number": format!("CASE-{:06}", 4_001 + index),
                "subject": subject,
                "description": format!("{subject}. Reported by the customer; first analysis pending."),
                "customer_id": self.customers[customer].id,
                "priority": priority,
                "category": category,
                "channel": *self.rng.pick(&["email", "phone", "web", "chat"]),
                "status": status,
                "opened_at": date_time(opened_day, hour, 15),
                "sla_due_at": date_time(opened_day + Duration::days(due_minutes / 1440), (due_minutes % 1440) / 60, 15),
                "assigned_to": *self.rng.pick(&AGENTS),
                "escalated": priority == "critical" && self.rng.chance(50),
                "owner": *self.rng.pick(&AGENTS)
            });
            if let Some(contact) = self.customers[customer].contacts.first() {
                record["contact_id"] = json!(contact);
            }
            if category == "technical"
                && let Some(asset) = self.customers[customer].assets.first()
            {
                record["asset_id"] = json!(asset);
            }
            if let Some(contract) = self.customers[customer].contracts.first() {
                record["contract_id"] = json!(contract);
            }
            if status == "resolved" || status == "closed" {
                let resolved_day = opened_day + Duration::days(self.rng.between(0, 10));
                record["resolved_at"] = json!(date_time(resolved_day, self.rng.between(8, 19), 40));
                record["resolution"] = json!(*self.rng.pick(&[
                    "Part replaced on site.",
                    "Credit note issued.",
                    "Configuration corrected remotely.",
                    "Replacement shipped by express."
                ]));
            }
            if status == "closed" {
                record["satisfaction"] = json!(self.rng.between(1, 5));
            }
            self.customers[customer].complaints.push(id);
            records.push(record);
        }
        records
    }

    fn activities(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        for _ in 0..250 {
            let customer = self.rng.below(self.customers.len());
            let kind = *self
                .rng
                .pick(&["call", "email", "meeting", "visit", "task", "note"]);
            let offset = self.rng.between(-300, 60);
            let status = if offset > 0 {
                "planned"
            } else if self.rng.chance(90) {
                "done"
            } else {
                "cancelled"
            };
            let due = day(offset);
            let hour = self.rng.between(8, 17);
            let subject = match kind {
                "call" => "Follow-up call",
                "email" => "Sent the updated quote",
                "meeting" => "Quarterly business review",
                "visit" => "On-site visit",
                "task" => "Prepare renewal offer",
                _ => "Notes from the trade fair",
            };
            let mut record = json!({
                "id": self.id(),
                "subject": subject,
                "type": kind,
                "status": status,
                "direction": if self.rng.chance(70) { "outbound" } else { "inbound" },
                "due_at": date_time(due, hour, 0),
                "duration_minutes": *self.rng.pick(&[15_i64, 30, 45, 60, 90]),
                "customer_id": self.customers[customer].id,
                "owner": self.customers[customer].owner
            });
            if status == "done" {
                record["completed_at"] = json!(date_time(due, hour, 30));
                record["outcome"] =
                    json!(
                        *self
                            .rng
                            .pick(&["positive", "neutral", "negative", "no_answer"])
                    );
            }
            let picks: [(&str, &Vec<String>); 3] = [
                ("contact_id", &self.customers[customer].contacts),
                ("opportunity_id", &self.customers[customer].opportunities),
                ("complaint_id", &self.customers[customer].complaints),
            ];
            let mut links = Map::new();
            for (field, ids) in picks {
                if let Some(first) = ids.first() {
                    links.insert(field.to_owned(), json!(first));
                }
            }
            if let Some(object) = record.as_object_mut() {
                object.extend(links);
            }
            records.push(record);
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::schema::EntityType;

    #[test]
    fn every_shipped_type_compiles() {
        let types = shipped_entity_types();
        assert_eq!(types.len(), 9);
        for document in types {
            let name = document["x-xrm"]["name"].as_str().unwrap().to_owned();
            EntityType::compile(document, 1).unwrap_or_else(|error| panic!("{name}: {error:?}"));
        }
    }

    #[test]
    fn every_demo_record_is_valid_and_its_lookups_resolve() {
        let types: HashMap<String, EntityType> = shipped_entity_types()
            .into_iter()
            .map(|document| {
                let compiled = EntityType::compile(document, 1).unwrap();
                (compiled.name.clone(), compiled)
            })
            .collect();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut total = 0;
        for (type_name, records) in demo_records() {
            let entity_type = &types[type_name];
            let mut unique_values: HashSet<String> = HashSet::new();
            for record in &records {
                let id = record["id"].as_str().unwrap().to_owned();
                let mut data = record.clone();
                data.as_object_mut().unwrap().remove("id");
                let errors = entity_type.validate(&data);
                assert!(errors.is_empty(), "{type_name} {id}: {errors:?}\n{data:#}");
                for (field, lookup) in &entity_type.annotations.lookups {
                    if let Some(target) = data.get(field).and_then(Value::as_str) {
                        assert_eq!(
                            seen.get(target),
                            Some(&lookup.target),
                            "{type_name}.{field} of {id} points at {target}"
                        );
                    }
                }
                for key in &entity_type.annotations.unique {
                    let value: Vec<String> =
                        key.iter().map(|path| data[&path[0]].to_string()).collect();
                    assert!(
                        unique_values.insert(format!("{key:?}{value:?}")),
                        "{type_name}: {value:?} repeats"
                    );
                }
                assert!(
                    seen.insert(id, type_name.to_owned()).is_none(),
                    "ids repeat"
                );
                total += 1;
            }
        }
        assert!(total > 800, "a demo of hundreds of records, got {total}");
    }

    #[test]
    fn the_demo_is_the_same_every_time() {
        assert_eq!(demo_records(), demo_records());
    }
}
