//! `xrm plugin …`: scaffold a plugin crate, and manage a workspace's packages straight on the
//! database — the same service calls the API makes, so the same checks apply. Hosts serving
//! that database pick the change up within seconds (they recheck their plugin set).

use std::path::{Path, PathBuf};

use crate::config::PluginCommand;
use crate::plugin::PackageFiles;
use crate::service::{Actor, App, HostSettings};
use crate::store::{Store, StoreConfig};

/// Runs one `xrm plugin` subcommand; the error is the message for the terminal.
pub async fn run(command: &PluginCommand, store: Option<StoreConfig>) -> Result<(), String> {
    if let PluginCommand::New { name, dir, sdk } = command {
        let dir = dir.clone().unwrap_or_else(|| PathBuf::from(name));
        let written = scaffold(name, &dir, sdk.as_deref())?;
        println!("xrm: created plugin {name} in {}:", dir.display());
        for file in written {
            println!("  {file}");
        }
        println!(
            "build and install it with: (cd {} && ./build-package) && xrm plugin install {}/package",
            dir.display(),
            dir.display()
        );
        return Ok(());
    }
    match command {
        PluginCommand::Keygen { out } => return keygen(out),
        PluginCommand::Sign { dir, key } => return sign(dir, key),
        _ => {}
    }
    let store_config = store.ok_or("no database settings")?;
    let store = Store::open(&store_config)
        .await
        .map_err(|e| e.to_string())?;
    let allow_unsigned_packages = matches!(
        command,
        PluginCommand::Install {
            allow_unsigned: true,
            ..
        }
    );
    let app = App::new(
        store.clone(),
        Some(store_config.data_dir.join("plugin-cache")),
        HostSettings {
            allow_unsigned_packages,
            ..HostSettings::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let outcome = manage(&app, command).await;
    store.close().await;
    outcome
}

/// `xrm user …`: user management on the database, for the first admin and for recovery.
pub async fn run_user(
    command: &crate::config::UserCommand,
    store_config: crate::store::StoreConfig,
) -> Result<(), String> {
    let crate::config::UserCommand::Add {
        email,
        workspace,
        display_name,
        role,
        instance_admin,
        password_stdin: _,
    } = command;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let store = Store::open(&store_config)
        .await
        .map_err(|e| e.to_string())?;
    let app = App::new(store.clone(), None, HostSettings::default()).map_err(|e| e.to_string())?;
    if store
        .get_workspace(workspace)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        store.close().await;
        return Err(format!("there is no workspace '{workspace}'"));
    }
    let outcome = app
        .add_user_as_system(
            workspace,
            &crate::service::NewUser {
                email,
                display_name: display_name.as_deref().unwrap_or(email),
                password,
                role,
                instance_admin: *instance_admin,
            },
            &Actor::system("cli"),
        )
        .await;
    store.close().await;
    let user = outcome.map_err(|e| describe(&e))?;
    println!(
        "xrm: user {} ({}) added to workspace {workspace} with role {role}",
        user.email, user.id
    );
    Ok(())
}

async fn manage(app: &App, command: &PluginCommand) -> Result<(), String> {
    let actor = Actor::system("cli");
    match command {
        PluginCommand::New { .. } | PluginCommand::Keygen { .. } | PluginCommand::Sign { .. } => {
            unreachable!("handled before the database is opened")
        }
        PluginCommand::Trust {
            name,
            public_key,
            workspace,
        } => {
            app.trust_publisher(workspace, name, public_key, &actor)
                .await
                .map_err(|e| describe(&e))?;
            println!("xrm: packages signed by {name} now install in workspace {workspace}");
            Ok(())
        }
        PluginCommand::Install {
            path,
            upgrade,
            sample_data,
            allow_invalid_records,
            replace_modified_types,
            workspace,
            ..
        } => {
            let files = read_package(path)?;
            let name = files
                .get(crate::plugin::package::MANIFEST_FILE)
                .and_then(|m| serde_json::from_slice::<serde_json::Value>(m).ok())
                .and_then(|m| m["name"].as_str().map(str::to_owned));
            let upgrade_name = if *upgrade { name.as_deref() } else { None };
            let options = crate::service::InstallOptions {
                sample_data: *sample_data,
                allow_invalid_records: *allow_invalid_records,
                replace_modified_types: *replace_modified_types,
            };
            let package = app
                .install_package(workspace, files, upgrade_name, options, &actor)
                .await
                .map_err(|e| describe(&e))?;
            println!(
                "xrm: {} {} {}",
                if *upgrade { "upgraded" } else { "installed" },
                package["name"].as_str().unwrap_or_default(),
                package["version"].as_str().unwrap_or_default()
            );
            let changes = &package["changes"];
            for change in changes["entity_types"].as_array().into_iter().flatten() {
                println!(
                    "xrm: entity type {} {} (version {})",
                    change["name"].as_str().unwrap_or_default(),
                    change["change"].as_str().unwrap_or_default(),
                    change["version"]
                );
            }
            for name in changes["released_entity_types"]
                .as_array()
                .into_iter()
                .flatten()
            {
                println!(
                    "xrm: entity type {} released: kept with its records, no longer managed by the package",
                    name.as_str().unwrap_or_default()
                );
            }
            if *sample_data {
                println!("xrm: loaded {} sample records", changes["sample_records"]);
            }
            Ok(())
        }
        PluginCommand::List { workspace } => {
            let packages = app
                .list_packages(workspace)
                .await
                .map_err(|e| describe(&e))?;
            if packages.is_empty() {
                println!("xrm: no packages installed in workspace {workspace}");
            }
            for package in packages {
                let plugins: Vec<&str> = package["plugins"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    package["name"].as_str().unwrap_or_default(),
                    package["version"].as_str().unwrap_or_default(),
                    if package["enabled"] == true {
                        "enabled"
                    } else {
                        "disabled"
                    },
                    plugins.join(",")
                );
            }
            Ok(())
        }
        PluginCommand::Enable { name, workspace } | PluginCommand::Disable { name, workspace } => {
            let enable = matches!(command, PluginCommand::Enable { .. });
            app.set_package_enabled(workspace, name, enable, &actor)
                .await
                .map_err(|e| describe(&e))?;
            println!(
                "xrm: {} {name}",
                if enable { "enabled" } else { "disabled" }
            );
            Ok(())
        }
        PluginCommand::Uninstall { name, workspace } => {
            let managed: Vec<String> = app
                .get_package(workspace, name)
                .await
                .map_err(|e| describe(&e))?["entity_types"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            app.uninstall_package(workspace, name, &actor)
                .await
                .map_err(|e| describe(&e))?;
            println!("xrm: uninstalled {name}");
            if !managed.is_empty() {
                println!(
                    "xrm: kept its entity types with their records: {}",
                    managed.join(", ")
                );
            }
            Ok(())
        }
    }
}

fn keygen(out: &Path) -> Result<(), String> {
    if out.exists() {
        return Err(format!(
            "{} exists; a key is never overwritten",
            out.display()
        ));
    }
    let (secret, public) = crate::plugin::signature::generate_key()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    std::io::Write::write_all(&mut file, format!("{secret}\n").as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("{public}");
    eprintln!(
        "xrm: secret key written to {}; the public key above is what admins trust (xrm plugin trust NAME KEY, or POST /api/v1/trusted-publishers)",
        out.display()
    );
    Ok(())
}

fn sign(dir: &Path, key: &Path) -> Result<(), String> {
    let secret = std::fs::read_to_string(key)
        .map_err(|e| format!("cannot read the key {}: {e}", key.display()))?;
    let mut files = read_package(dir)?;
    files.0.remove(crate::plugin::signature::SIGNATURE_FILE);
    let signature = crate::plugin::signature::sign(&files, &secret)?;
    let path = dir.join(crate::plugin::signature::SIGNATURE_FILE);
    std::fs::write(&path, signature)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("xrm: signed {} ({} files)", dir.display(), files.0.len());
    Ok(())
}

/// An error with its field problems, one per line, as a terminal shows them best.
fn describe(error: &crate::error::Error) -> String {
    let mut text = error.to_string();
    for problem in error.field_errors() {
        text.push_str(&format!("\n  {}: {}", problem.path, problem.message));
    }
    text
}

/// A package from a directory (holding `xrm-package.json`) or a tar archive.
fn read_package(path: &Path) -> Result<PackageFiles, String> {
    if path.is_dir() {
        return PackageFiles::from_dir(path)
            .map_err(|e| format!("cannot read the package directory {}: {e}", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    PackageFiles::from_tar(&bytes).map_err(|e| format!("{}: {}", path.display(), e.message))
}

/// Writes a plugin crate that builds into a component and packages as is. `sdk`: the `sdk/`
/// directory of an xrm checkout; by default the nearest one above `dir`.
pub fn scaffold(name: &str, dir: &Path, sdk: Option<&Path>) -> Result<Vec<String>, String> {
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(format!(
            "the plugin name {name:?} must match ^[a-z][a-z0-9-]{{0,62}}$ (it names the package too)"
        ));
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{} exists and is not empty; choose another --dir",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir.join("src"))
        .and_then(|()| std::fs::create_dir_all(dir.join(".cargo")))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
    let sdk = match sdk {
        Some(path) => path
            .canonicalize()
            .map_err(|e| format!("--sdk {}: {e}", path.display()))?,
        None => dir
            .ancestors()
            .map(|a| a.join("sdk"))
            .find(|candidate| is_sdk(candidate))
            .ok_or_else(|| {
                "no xrm sdk/ directory found above the new crate; pass --sdk PATH/TO/xrm/sdk"
                    .to_owned()
            })?,
    };
    if !is_sdk(&sdk) {
        return Err(format!("{} is not the xrm-sdk crate", sdk.display()));
    }
    let crate_name = name.to_owned();
    let component = format!("{}.wasm", name.replace('-', "_"));
    let title = name
        .split('-')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<String>();
    let sdk_path = sdk.display().to_string().replace('\\', "/");
    let files = [
        (
            "Cargo.toml",
            CARGO_TOML
                .replace("{name}", &crate_name)
                .replace("{sdk}", &sdk_path),
        ),
        (".cargo/config.toml", CARGO_CONFIG.to_owned()),
        (
            "src/lib.rs",
            LIB_RS.replace("{title}", &title).replace("{name}", name),
        ),
        (
            "xrm-package.json",
            MANIFEST
                .replace("{name}", name)
                .replace("{component}", &component)
                .replace("{api}", crate::plugin::ApiVersion::NEWEST.as_str()),
        ),
        (
            "build-package",
            BUILD_PACKAGE.replace("{component}", &component),
        ),
        (".gitignore", "/target\n/package\n".to_owned()),
    ];
    let mut written = Vec::new();
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(file.to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("build-package");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", script.display()))?;
    }
    Ok(written)
}

fn is_sdk(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .map(|text| text.contains("name = \"xrm-sdk\""))
        .unwrap_or(false)
}

const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
xrm-sdk = { path = "{sdk}" }
serde_json = "1"

# A crate of its own, not a member of a surrounding workspace.
[workspace]

# Small components instantiate faster: optimise for size, no unwinding.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = true
"#;

const CARGO_CONFIG: &str = r#"# A hook runs briefly with shallow frames: a 256 KiB stack (instead of 1 MiB) makes every
# fresh instance cheaper.
[target.wasm32-wasip2]
rustflags = ["-C", "link-arg=-zstack-size=262144"]
"#;

const LIB_RS: &str = r#"//! {title}: an xrm plugin. The manifest (xrm-package.json) subscribes it to hooks; each handler
//! below has a default in `Plugin`, so implement only what the manifest names.

use xrm_sdk::prelude::*;

struct {title};

impl Plugin for {title} {
    /// Rules beyond JSON Schema: field errors join the schema's in one 422 response.
    fn validate(event: &RecordEvent) -> Vec<FieldError> {
        match event.str_field("name") {
            Some(name) if name.trim().is_empty() => {
                vec![FieldError::new("/name", "not-blank", "the name must not be blank")]
            }
            _ => Vec::new(),
        }
    }
}

export_plugin!({title});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_name_is_refused() {
        let _host = xrm_sdk::testing::TestHost::new().install();
        let event = RecordEvent::create("customer", json!({"name": "  "}));
        assert_eq!({title}::validate(&event)[0].keyword, "not-blank");
        let event = RecordEvent::create("customer", json!({"name": "Nordlicht AG"}));
        assert!({title}::validate(&event).is_empty());
    }
}
"#;

const MANIFEST: &str = r#"{
  "name": "{name}",
  "version": "0.1.0",
  "publisher": "Your company",
  "description": "What {name} does, for whom.",
  "api": "{api}",
  "plugins": [{
    "name": "{name}",
    "component": "{component}",
    "capabilities": { "read": ["customer"], "write": [] },
    "hooks": [{ "hook": "validate", "entity_type": "customer" }]
  }]
}
"#;

const BUILD_PACKAGE: &str = r#"#!/usr/bin/env bash
# Builds the component and assembles the package directory ./package: install it with
# `xrm plugin install package`, or upload `tar -C package -cf plugin.tar .` to the API.
set -euo pipefail
cd "$(dirname "$0")"
rustup target list --installed | grep -x wasm32-wasip2 >/dev/null || rustup target add wasm32-wasip2
cargo build --release --target wasm32-wasip2
rm -rf package
mkdir -p package
cp xrm-package.json package/
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{component}" package/
echo "package/"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scaffold_is_a_complete_crate_and_package() {
        let root = std::env::temp_dir().join(format!("xrm-scaffold-{}", uuid::Uuid::now_v7()));
        let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        let dir = root.join("tyre-rules");
        let written = scaffold("tyre-rules", &dir, Some(&sdk)).unwrap();
        assert!(written.contains(&"src/lib.rs".to_owned()));
        let manifest =
            crate::plugin::Manifest::parse(&std::fs::read(dir.join("xrm-package.json")).unwrap())
                .expect("the scaffold's manifest is valid");
        assert_eq!(manifest.plugins[0].component, "tyre_rules.wasm");
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("struct TyreRules;"));
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains(&format!(
            "path = \"{}\"",
            sdk.canonicalize().unwrap().display()
        )));
        // A second scaffold into the same directory is refused; so are bad names.
        assert!(
            scaffold("tyre-rules", &dir, Some(&sdk))
                .unwrap_err()
                .contains("not empty")
        );
        assert!(
            scaffold("Tyre", &root.join("x"), Some(&sdk))
                .unwrap_err()
                .contains("must match")
        );
        let _ = std::fs::remove_dir_all(root);
    }
}
