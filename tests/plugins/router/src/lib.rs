//! Lead routing on the plugin API 0.2.0. A new lead is inserted already owned by exactly one
//! rep: the user its `assign_to` names (with `assign_team`), or else the enabled member of the
//! team named by its `territory` with the fewest open leads (counted with an `owned_by` filter),
//! ties broken by display name. An update naming `assign_to` reassigns. The `assign` action
//! calls `assign_record`; `members` and `blind-members` (a plugin without the capability) call
//! `list_members`.

use xrm_sdk::prelude::*;

struct Router;

const LEAD: &str = "lead";

/// The enabled member of `territory`'s team with the least load, and that team's id.
fn pick<'m>(
    members: &'m [Member],
    territory: &str,
    load: impl Fn(&Member) -> Result<usize, HostError>,
) -> Result<Option<(&'m Member, String)>, HostError> {
    let mut best: Option<(usize, &Member)> = None;
    for member in members
        .iter()
        .filter(|m| !m.disabled && m.belongs_to(territory))
    {
        let count = load(member)?;
        let better = match best {
            None => true,
            Some((least, chosen)) => {
                (count, &member.display_name, &member.id)
                    < (least, &chosen.display_name, &chosen.id)
            }
        };
        if better {
            best = Some((count, member));
        }
    }
    Ok(best.map(|(_, member)| {
        let team = member
            .teams
            .iter()
            .find(|t| t.id == territory || t.name == territory)
            .map(|t| t.id.clone())
            .unwrap_or_default();
        (member, team)
    }))
}

/// How many open leads a member owns.
fn open_leads(member: &Member) -> Result<usize, HostError> {
    let filter = format!("owned_by eq '{}' and status eq 'open'", member.id);
    Ok(host::query_records(LEAD, &Query::filter(filter).top(500))?.len())
}

fn refusal(error: HostError) -> Refusal {
    Refusal::Conflict(error.to_string())
}

fn members_json() -> Result<Value, Refusal> {
    let members = host::list_members().map_err(refusal)?;
    Ok(Value::Array(
        members
            .into_iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "display_name": m.display_name,
                    "teams": m.teams.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
                    "disabled": m.disabled,
                })
            })
            .collect(),
    ))
}

impl Plugin for Router {
    fn before_change_with_owners(event: &RecordEvent) -> Result<BeforeChange, Refusal> {
        if let Some(user) = event.str_field("assign_to") {
            let owners = Owners {
                owned_by: Some(user.to_owned()),
                owning_team: event.str_field("assign_team").map(str::to_owned),
            };
            return Ok(BeforeChange::keep().owned_by(owners));
        }
        let (Operation::Create, Some(territory)) = (event.operation, event.str_field("territory"))
        else {
            return Ok(BeforeChange::keep());
        };
        let members = host::list_members().map_err(refusal)?;
        match pick(&members, territory, open_leads).map_err(refusal)? {
            Some((member, team)) => {
                Ok(BeforeChange::keep().owned_by(Owners::user(member.id.clone()).and_team(team)))
            }
            None => Err(Refusal::field(
                "/territory",
                "no-rep",
                format!("no enabled rep in the team {territory:?}"),
            )),
        }
    }

    fn action(request: &ActionRequest) -> Result<Value, Refusal> {
        match request.name.as_str() {
            "assign" => {
                let text = |name: &str| request.input[name].as_str().map(str::to_owned);
                let owners = Owners {
                    owned_by: text("owned_by"),
                    owning_team: text("owning_team"),
                };
                host::assign_record(LEAD, &request.id, &owners).map_err(refusal)
            }
            "members" | "blind-members" => members_json(),
            other => Err(Refusal::Conflict(format!("no action {other:?}"))),
        }
    }
}

export_plugin!(Router);

#[cfg(test)]
mod tests {
    use super::*;
    use xrm_sdk::testing::TestHost;

    fn team() -> TestHost {
        TestHost::new()
            .with_member(Member::new("u-ann", "Ann").in_team("t-north", "North"))
            .with_member(Member::new("u-bob", "Bob").in_team("t-north", "North"))
            .with_member(
                Member::new("u-cid", "Cid")
                    .in_team("t-north", "North")
                    .disabled(),
            )
            .with_member(Member::new("u-dan", "Dan").in_team("t-south", "South"))
            .on_query(|_, query, stored| {
                let filter = query.filter.clone().unwrap_or_default();
                Ok(stored
                    .iter()
                    .filter(|lead| {
                        filter.contains(&format!("'{}'", lead["owned_by"].as_str().unwrap_or("-")))
                    })
                    .cloned()
                    .collect())
            })
    }

    #[test]
    fn a_new_lead_goes_to_the_least_loaded_enabled_rep_of_its_territory() {
        let _host = team()
            .with_record(LEAD, json!({"owned_by": "u-ann", "status": "open"}))
            .install();
        let event = RecordEvent::create(LEAD, json!({"name": "Lead", "territory": "North"}));
        let change = Router::before_change_with_owners(&event).unwrap();
        assert_eq!(
            change.owners,
            Some(Owners::user("u-bob").and_team("t-north"))
        );
        assert_eq!(change.record, None);
    }

    #[test]
    fn ties_go_by_name_and_an_empty_territory_is_refused() {
        let _host = team().install();
        let event = RecordEvent::create(LEAD, json!({"territory": "t-north"}));
        let owners = Router::before_change_with_owners(&event)
            .unwrap()
            .owners
            .unwrap();
        assert_eq!(owners.owned_by.as_deref(), Some("u-ann"));
        let event = RecordEvent::create(LEAD, json!({"territory": "West"}));
        let Err(Refusal::Invalid(errors)) = Router::before_change_with_owners(&event) else {
            panic!("no rep in West");
        };
        assert_eq!(errors[0].keyword, "no-rep");
    }

    #[test]
    fn a_named_rep_is_taken_as_given_and_checked_by_the_host() {
        let host = team().install();
        let event = RecordEvent::create(
            LEAD,
            json!({"assign_to": "u-dan", "assign_team": "t-south"}),
        );
        let owners = Router::before_change_with_owners(&event)
            .unwrap()
            .owners
            .unwrap();
        assert!(host.check_owners(&owners).is_ok());
        let event = RecordEvent::create(LEAD, json!({"assign_to": "u-nobody"}));
        let owners = Router::before_change_with_owners(&event)
            .unwrap()
            .owners
            .unwrap();
        assert!(matches!(
            host.check_owners(&owners),
            Err(HostError::Invalid(_))
        ));
    }

    #[test]
    fn members_without_the_capability_are_refused() {
        let _host = TestHost::new().deny_members().install();
        let request = ActionRequest {
            entity_type: LEAD.into(),
            id: "l1".into(),
            name: "blind-members".into(),
            input: json!({}),
            actor: "test".into(),
        };
        assert!(
            matches!(Router::action(&request), Err(Refusal::Conflict(m)) if m.contains("denied"))
        );
    }
}
