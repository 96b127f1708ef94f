//! `xrm plugin …` against the real binary: packages managed straight on the database while a
//! server runs on it (which picks the change up), and a scaffolded plugin crate that builds,
//! installs and runs as is.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::json;
use xrm_tests::{TestServer, both_backends, packages_dir, workspace_root, xrm_binary};

fn xrm(server: &TestServer, args: &[&str]) -> Output {
    Command::new(xrm_binary())
        .arg("plugin")
        .args(args)
        .args(server.database_args())
        .env_remove("XRM_CONFIG")
        .env_remove("XRM_DATABASE_URL")
        .env_remove("XRM_DATA_DIR")
        .output()
        .expect("the xrm binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Waits until the server lists the package (or no longer does).
async fn until_listed(server: &TestServer, name: &str, listed: bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = server.get(&format!("/api/v1/packages/{name}")).await.status;
        if (status == 200) == listed {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server never saw {name} listed={listed}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

both_backends! {
    async fn packages_are_managed_from_the_command_line(server: &TestServer) {
        let dir = packages_dir().join("contract-rules");
        let installed = xrm(server, &["install", dir.to_str().unwrap(), "--allow-unsigned"]);
        assert!(installed.status.success(), "{}", text(&installed));
        assert!(text(&installed).contains("installed contract-rules 1.1.0"), "{}", text(&installed));
        // The package brings its entity types.
        assert!(text(&installed).contains("entity type customer created (version 1)"), "{}", text(&installed));
        until_listed(server, "contract-rules", true).await;

        let listed = xrm(server, &["list"]);
        assert!(text(&listed).contains("contract-rules\t1.1.0\tenabled\tcontract-rules"), "{}", text(&listed));
        let again = xrm(server, &["install", dir.to_str().unwrap(), "--allow-unsigned"]);
        assert!(!again.status.success());
        assert!(text(&again).contains("already installed"), "{}", text(&again));
        let disabled = xrm(server, &["disable", "contract-rules"]);
        assert!(disabled.status.success(), "{}", text(&disabled));
        assert_eq!(server.get("/api/v1/packages/contract-rules").await.body["enabled"], false);

        // A broken package is refused whole, with every problem named.
        let broken = std::env::temp_dir().join(format!("xrm-broken-{}", std::process::id()));
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("xrm-package.json"), json!({"name": "Bad Name", "version": "one", "publisher": "x", "description": "", "api": "9.9.9", "plugins": []}).to_string()).unwrap();
        let refused = xrm(server, &["install", broken.to_str().unwrap(), "--allow-unsigned"]);
        let _ = std::fs::remove_dir_all(&broken);
        assert!(!refused.status.success());
        let message = text(&refused);
        for path in ["/name", "/version", "/api"] {
            assert!(message.contains(&format!("  {path}: ")), "{path} in {message}");
        }

        let removed = xrm(server, &["uninstall", "contract-rules"]);
        assert!(removed.status.success(), "{}", text(&removed));
        assert!(text(&removed).contains("kept its entity types with their records: contract, customer"), "{}", text(&removed));
        until_listed(server, "contract-rules", false).await;
        server.get("/api/v1/entity-types/contract").await.expect_status(200);

        // Installed again with its sample data: the kept types are adopted, the records loaded.
        let sampled = xrm(server, &["install", dir.to_str().unwrap(), "--allow-unsigned", "--sample-data"]);
        assert!(sampled.status.success(), "{}", text(&sampled));
        assert!(text(&sampled).contains("entity type contract adopted"), "{}", text(&sampled));
        assert!(text(&sampled).contains("loaded 6 sample records"), "{}", text(&sampled));
        assert_eq!(server.count("contract").await, 3);
        let both = xrm(server, &["install", dir.to_str().unwrap(), "--upgrade", "--sample-data"]);
        assert!(!both.status.success(), "sample data never comes with an upgrade");
        let removed = xrm(server, &["uninstall", "contract-rules"]);
        assert!(removed.status.success(), "{}", text(&removed));
        until_listed(server, "contract-rules", false).await;
        let missing = xrm(server, &["uninstall", "contract-rules"]);
        assert!(!missing.status.success());
        assert!(text(&missing).contains("package 'contract-rules'"), "{}", text(&missing));
    }
}

/// `xrm plugin new` makes a crate that builds into a component, installs and runs unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scaffolded_plugin_builds_installs_and_runs() {
    let server = TestServer::start(xrm_tests::Backend::Sqlite, &[]).await;
    let root = std::env::temp_dir().join(format!("xrm-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let crate_dir = root.join("tyre-rules");
    let sdk = workspace_root().join("sdk");
    let created = Command::new(xrm_binary())
        .args(["plugin", "new", "tyre-rules", "--dir"])
        .arg(&crate_dir)
        .arg("--sdk")
        .arg(&sdk)
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", text(&created));
    // Shared with later runs, so the SDK's dependencies compile once.
    let target = workspace_root().join("target").join("scaffold-test");
    let built = Command::new(crate_dir.join("build-package"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built));
    assert!(Path::new(&crate_dir.join("package/tyre_rules.wasm")).is_file());
    // Signed by its publisher and trusted by the admin, it installs where unsigned ones don't.
    let key = root.join("publisher.key");
    let keygen = Command::new(xrm_binary())
        .args(["plugin", "keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{}", text(&keygen));
    let public_key = String::from_utf8(keygen.stdout).unwrap().trim().to_owned();
    let package = crate_dir.join("package");
    let signed = Command::new(xrm_binary())
        .args(["plugin", "sign"])
        .arg(&package)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(signed.status.success(), "{}", text(&signed));
    let untrusted = xrm(&server, &["install", package.to_str().unwrap()]);
    assert!(!untrusted.status.success());
    assert!(
        text(&untrusted).contains("no trusted publisher has"),
        "{}",
        text(&untrusted)
    );
    let trusted = xrm(&server, &["trust", "Tyre Software", &public_key]);
    assert!(trusted.status.success(), "{}", text(&trusted));
    let installed = xrm(&server, &["install", package.to_str().unwrap()]);
    assert!(installed.status.success(), "{}", text(&installed));

    server
        .create_type(&json!({
            "type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {"name": {"type": "string"}},
            "x-xrm": {"name": "customer", "display_name": "Customer", "title_field": "name"}
        }))
        .await
        .expect_status(201);
    until_listed(&server, "tyre-rules", true).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = server
            .post_json("/api/v1/records/customer", &json!({"name": "   "}))
            .await;
        if response.status == 422 {
            response.expect_problem(422, "validation_failed");
            assert_eq!(response.error_paths(), vec!["/name"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scaffolded validate hook never ran"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server
        .create("customer", &json!({"name": "Nordlicht AG"}))
        .await;
    let _ = std::fs::remove_dir_all(&root);
}

/// A copy of a built package directory in a fresh temp directory, to sign or tamper with.
fn package_copy(name: &str) -> std::path::PathBuf {
    let source = packages_dir().with_file_name("test-packages").join(name);
    let copy = std::env::temp_dir().join(format!("xrm-pkg-{name}-{}", xrm_tests::unique_name()));
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    copy
}

fn tar_dir(dir: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap()
}

async fn upload(server: &TestServer, dir: &Path) -> xrm_tests::Response {
    server
        .send(
            xrm_tests::Method::POST,
            "/api/v1/packages",
            &[("content-type", "application/x-tar")],
            Some(tar_dir(dir)),
        )
        .await
}

both_backends! {
    async fn only_packages_signed_by_trusted_publishers_install(server: &TestServer) args ["--allow-unsigned-packages=false"] {
        let dir = package_copy("recorder");
        let refused = upload(server, &dir).await;
        refused.expect_problem(422, "unsigned_package");
        assert_eq!(refused.error_paths(), vec!["/xrm-package.sig"]);

        let key = dir.with_extension("key");
        let keygen = Command::new(xrm_binary()).args(["plugin", "keygen", "--out"]).arg(&key).output().unwrap();
        assert!(keygen.status.success(), "{}", text(&keygen));
        let public_key = String::from_utf8(keygen.stdout).unwrap().trim().to_owned();
        let again = Command::new(xrm_binary()).args(["plugin", "keygen", "--out"]).arg(&key).output().unwrap();
        assert!(!again.status.success(), "a key is never overwritten");
        let signed = Command::new(xrm_binary()).args(["plugin", "sign"]).arg(&dir).arg("--key").arg(&key).output().unwrap();
        assert!(signed.status.success(), "{}", text(&signed));

        upload(server, &dir).await.expect_problem(422, "untrusted_publisher");
        let bad = server
            .post_json("/api/v1/trusted-publishers", &json!({"name": "", "public_key": "not a key"}))
            .await;
        bad.expect_problem(422, "invalid_publisher");
        assert_eq!(bad.error_paths(), vec!["/name", "/public_key"]);
        server
            .post_json("/api/v1/trusted-publishers", &json!({"name": "xrm tests", "public_key": public_key}))
            .await
            .expect_status(201);
        server
            .post_json("/api/v1/trusted-publishers", &json!({"name": "again", "public_key": public_key}))
            .await
            .expect_problem(409, "publisher_exists");
        assert_eq!(server.get("/api/v1/trusted-publishers").await.values().len(), 1);

        // Changed after signing: refused even from a trusted publisher.
        let manifest = std::fs::read_to_string(dir.join("xrm-package.json")).unwrap();
        std::fs::write(dir.join("xrm-package.json"), manifest.replace("for the outbox tests only", "tampered")).unwrap();
        upload(server, &dir).await.expect_problem(422, "invalid_signature");
        std::fs::write(dir.join("xrm-package.json"), &manifest).unwrap();

        let installed = upload(server, &dir).await;
        installed.expect_status(201);
        assert_eq!(
            installed.body["signature"],
            json!({"status": "trusted", "public_key": public_key, "publisher": "xrm tests"})
        );
        server.delete("/api/v1/trusted-publishers/xrm%20tests").await.expect_status(204);
        let shown = server.get("/api/v1/packages/recorder").await;
        assert_eq!(shown.body["signature"]["status"], "untrusted");
        server.delete("/api/v1/trusted-publishers/nobody").await.expect_problem(404, "not_found");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&key);
    }
}
