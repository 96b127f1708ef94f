//! Running the host: open the store, optionally load the demo, serve HTTP until a signal, then
//! drain in-flight requests and close the database cleanly.

use serde_json::Value;

use crate::config::ServeConfig;
use crate::error::{Error, Result};
use crate::service::{Actor, App, BulkMode};
use crate::store::Store;

/// Serves until SIGTERM or Ctrl-C. Prints `xrm listening on http://ADDR` on stdout once the
/// socket is bound, so scripts and tests can wait for it.
pub async fn serve(config: ServeConfig) -> Result<()> {
    let store = Store::open(&config.store).await?;
    let app = App::new(
        store.clone(),
        Some(config.store.data_dir.join("plugin-cache")),
        config.host,
    )?;
    for workspace in store.list_workspaces().await? {
        app.ensure_builtin_roles(&workspace.id).await?;
    }
    if let Some((email, password)) = &config.bootstrap_admin
        && app.bootstrap_admin(email, password).await?
    {
        tracing::info!(%email, "created the first instance admin from XRM_BOOTSTRAP_ADMIN_EMAIL");
    }
    if config.demo {
        load_demo(&app, config.demo_packages.as_deref()).await?;
    }
    if store.count_users().await? == 0 {
        tracing::warn!(
            "there is no user yet: create the first instance admin with `xrm user add --instance-admin …` \
             or XRM_BOOTSTRAP_ADMIN_EMAIL / XRM_BOOTSTRAP_ADMIN_PASSWORD (docs/security.md)"
        );
    }
    load_plugins(&app).await;
    tokio::spawn(maintain(store.clone()));
    tokio::spawn(purge_sessions(app.clone()));
    tokio::spawn(app.clone().run_deliveries());
    tokio::spawn(app.clone().run_schedules());
    let router = crate::api::router(app, config.max_body_bytes, &config.ui_dir, &config.http);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| Error::Internal(format!("cannot listen on {}: {error}", config.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|error| Error::Internal(error.to_string()))?;
    tracing::info!(%address, database = %describe(&config), "xrm is serving");
    println!("xrm listening on http://{address}");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut stopping = stop_rx.clone();
    let timeout = config.shutdown_timeout;
    tokio::select! {
        result = server => result.map_err(|error| Error::Internal(format!("server error: {error}")))?,
        () = async {
            let _ = stopping.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(timeout).await;
        } => tracing::warn!(seconds = timeout.as_secs(), "in-flight requests did not finish in time; stopping anyway"),
    }
    store.close().await;
    tracing::info!("xrm stopped");
    Ok(())
}

fn describe(config: &ServeConfig) -> String {
    match &config.store.database_url {
        Some(url) => crate::store::redact_url(url),
        None => Store::sqlite_path(&config.store.data_dir)
            .display()
            .to_string(),
    }
}

/// Background upkeep of the database: WAL checkpoints every second, and planner statistics
/// as data grows (see `Store::checkpoint` and `Store::refresh_statistics`).
async fn maintain(store: Store) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    for tick in 0_u64.. {
        interval.tick().await;
        if let Err(error) = store.checkpoint().await {
            tracing::warn!(%error, "could not checkpoint the write-ahead log");
        }
        if tick % 10 == 0
            && let Err(error) = store.refresh_statistics().await
        {
            tracing::warn!(%error, "could not refresh planner statistics");
        }
    }
}

/// Removes expired sessions every hour.
async fn purge_sessions(app: std::sync::Arc<App>) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        interval.tick().await;
        if let Err(error) = app.purge_sessions().await {
            tracing::warn!(%error, "could not remove expired sessions");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Compiles (or loads from the on-disk cache) every workspace's plugins before the first request,
/// so that no request pays for it. A plugin that cannot be loaded is logged; its workspace
/// retries on first use.
async fn load_plugins(app: &App) {
    let started = std::time::Instant::now();
    let workspaces = match app.store.list_workspaces_with_packages().await {
        Ok(workspaces) => workspaces,
        Err(error) => {
            tracing::error!(%error, "cannot list installed packages");
            return;
        }
    };
    let mut loaded = 0;
    for workspace in &workspaces {
        match app.workspace_plugins(workspace).await {
            Ok(plugins) => loaded += plugins.plugins.len(),
            Err(error) => tracing::error!(workspace, %error, "cannot load the workspace's plugins"),
        }
    }
    if loaded > 0 {
        tracing::info!(
            plugins = loaded,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "plugins loaded"
        );
    }
}

/// Loads the shipped entity types and demo records, unless the workspace already has types,
/// then installs the packages found in `packages` (after the records, so that plugin rules see
/// only what users do next).
pub async fn load_demo(app: &App, packages: Option<&std::path::Path>) -> Result<()> {
    let workspace = crate::api::DEFAULT_WORKSPACE;
    if !app.store.list_entity_types(workspace).await?.is_empty() {
        tracing::info!("demo: the workspace already has entity types; leaving it as it is");
        return Ok(());
    }
    let admin = demo_accounts(app, workspace).await?;
    let actor = Actor {
        user: Some(admin),
        ..Actor::system("demo")
    };
    for document in crate::demo::shipped_entity_types() {
        app.create_entity_type(workspace, document, &actor).await?;
    }
    let access = crate::service::Access::system(workspace, actor.clone());
    let mut total = 0;
    for (type_name, records) in crate::demo::demo_records() {
        for chunk in records.chunks(crate::service::MAX_BULK_ITEMS) {
            let chunk: Vec<Value> = chunk.to_vec();
            total += chunk.len();
            app.bulk_write(&access, type_name, BulkMode::Create, chunk)
                .await?;
        }
    }
    tracing::info!(
        records = total,
        "demo: loaded the shipped entity types and demo records"
    );
    if let Some(dir) = packages {
        install_demo_packages(app, workspace, dir, &actor).await?;
    }
    Ok(())
}

/// The demo's accounts (their passwords are public, in docs/security.md) and a sales team
/// of the admin and the rep, so the rep may work on the demo records the admin owns.
/// Returns the admin's user id.
async fn demo_accounts(app: &App, workspace: &str) -> Result<String> {
    let actor = Actor::system("demo");
    let mut ids = Vec::new();
    for (email, name, password, role, instance_admin) in [
        (
            "admin@demo.xrm",
            "Demo Admin",
            "xrm-demo-admin",
            "admin",
            true,
        ),
        ("rep@demo.xrm", "Demo Rep", "xrm-demo-rep", "member", false),
        (
            "viewer@demo.xrm",
            "Demo Viewer",
            "xrm-demo-viewer",
            "viewer",
            false,
        ),
    ] {
        let id = match app.store.user_by_email(workspace, email).await? {
            Some(user) => user.id,
            None => {
                let user = crate::service::NewUser {
                    email,
                    display_name: name,
                    password,
                    role,
                    instance_admin,
                };
                app.add_user_as_system(workspace, &user, &actor).await?.id
            }
        };
        ids.push(id);
    }
    let access = crate::service::Access::system(workspace, actor);
    if app.list_teams(&access).await?.is_empty() {
        app.create_team(&access, "Sales", &ids[..2]).await?;
    }
    tracing::warn!(
        "demo: signing in as admin@demo.xrm / xrm-demo-admin (also rep@ and viewer@demo.xrm); these passwords are public"
    );
    Ok(ids.swap_remove(0))
}

async fn install_demo_packages(
    app: &App,
    workspace: &str,
    dir: &std::path::Path,
    actor: &Actor,
) -> Result<()> {
    let unreadable = |e: std::io::Error| {
        crate::error::Error::Internal(format!("demo packages in {}: {e}", dir.display()))
    };
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join(crate::plugin::package::MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    for path in dirs {
        let files = crate::plugin::PackageFiles::from_dir(&path).map_err(unreadable)?;
        let package = app
            .install_package(
                workspace,
                files,
                None,
                crate::service::InstallOptions::default(),
                actor,
            )
            .await?;
        tracing::info!(package = %package["name"], version = %package["version"], "demo: installed package");
    }
    Ok(())
}
