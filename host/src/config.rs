//! Command line and configuration. Every setting can come from a flag, an `XRM_*` environment
//! variable or the config file, in that order of precedence; `xrm --help` documents them all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::store::{SqliteSync, StoreConfig};

/// xrm: an xRM platform. Entity types are JSON Schema documents; the host stores, validates,
/// queries and secures their records.
#[derive(Debug, Parser)]
#[command(name = "xrm", version, about, long_about = None)]
pub struct Cli {
    /// A TOML config file whose keys are the long flag names with underscores
    /// (listen, data_dir, database_url, …). Flags and XRM_* variables override it.
    #[arg(long, env = "XRM_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrating the database first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Scaffold a plugin crate, or install, list, enable, disable and uninstall packages
    /// directly on the database (hosts serving it pick the change up within seconds).
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Manage users directly on the database: the first instance admin, a locked-out admin.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The subcommands of `xrm user`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of standard input.
    Add {
        #[arg(long, value_name = "ADDRESS")]
        email: String,
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
        /// The name people see [default: the e-mail address]
        #[arg(long, value_name = "NAME")]
        display_name: Option<String>,
        #[arg(long, default_value = "admin", value_name = "ROLE")]
        role: String,
        /// May create and remove workspaces.
        #[arg(long)]
        instance_admin: bool,
        /// Read the password from standard input (required: a password is never a flag).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// The subcommands of `xrm plugin`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate that builds into a component and packages as is.
    New {
        /// The plugin's (and its package's) name, e.g. `tyre-rules`.
        name: String,
        /// Where to create it [default: ./NAME]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The `sdk/` directory of an xrm checkout [default: the nearest one above DIR]
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
    },
    /// Install a package from its directory (holding xrm-package.json) or a tar archive.
    Install {
        path: PathBuf,
        /// Install it even though no trusted publisher signed it.
        #[arg(long)]
        allow_unsigned: bool,
        /// Upgrade the installed package of the same name (its version must rise).
        #[arg(long)]
        upgrade: bool,
        /// Load the package's sample data too (install only; never on upgrade).
        #[arg(long, conflicts_with = "upgrade")]
        sample_data: bool,
        /// Upgrade: accept entity-type changes that stored records violate (they stay as they
        /// are and must pass on their next write).
        #[arg(long, requires = "upgrade")]
        allow_invalid_records: bool,
        /// Upgrade: replace entity types an admin changed since the package last set them.
        #[arg(long, requires = "upgrade")]
        replace_modified_types: bool,
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
    },
    /// Make an ed25519 key pair for signing packages: the secret key goes to FILE (keep it
    /// secret), the public key is printed for admins to trust.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a package directory with a secret key made by `keygen` (writes xrm-package.sig).
    Sign {
        dir: PathBuf,
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Trust a publisher's public key (base64) in a workspace.
    Trust {
        name: String,
        public_key: String,
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
    },
    /// List installed packages: name, version, state, plugins.
    List {
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
    },
    /// Resume a package's hooks, actions, reports and schedules.
    Enable {
        name: String,
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
    },
    /// Stop a package's hooks, actions, reports and schedules, keeping it installed.
    Disable {
        name: String,
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
    },
    /// Remove a package, its settings and its pending deliveries.
    Uninstall {
        name: String,
        #[arg(long, default_value = "default", value_name = "ID")]
        workspace: String,
    },
}

/// Where the data lives.
#[derive(Debug, Args, Default, Clone)]
pub struct DatabaseArgs {
    /// Directory of the embedded SQLite database [default: ./xrm-data]
    #[arg(long, env = "XRM_DATA_DIR", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL (postgres://user:password@host/db) for production; without it the
    /// embedded SQLite file in the data directory is used.
    #[arg(
        long,
        env = "XRM_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,

    /// Most database connections the host opens [default: 16]
    #[arg(long, env = "XRM_MAX_CONNECTIONS", value_name = "N", global = true)]
    pub max_connections: Option<u32>,

    /// SQLite durability: normal survives a process crash, full also a power loss [default: normal]
    #[arg(long, env = "XRM_SQLITE_SYNC", value_enum, global = true)]
    pub sqlite_sync: Option<SqliteSync>,
}

/// Settings of `xrm serve`.
#[derive(Debug, Args, Default, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080]
    #[arg(long, env = "XRM_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Load the shipped entity types and a demo data set into an empty workspace.
    #[arg(long, env = "XRM_DEMO")]
    pub demo: bool,

    /// With --demo: also install every package directory found here (each holding an
    /// xrm-package.json), e.g. target/packages as made by scripts/build-plugins
    #[arg(long, env = "XRM_DEMO_PACKAGES", value_name = "DIR")]
    pub demo_packages: Option<PathBuf>,

    /// The admin UI's built files (index.html and assets), served at `/`
    /// [default: admin-ui/dist]
    #[arg(long, env = "XRM_UI_DIR", value_name = "DIR")]
    pub ui_dir: Option<PathBuf>,

    /// Install packages that no trusted publisher signed (development, demos; `--demo` implies
    /// it) [default: false]
    #[arg(long, env = "XRM_ALLOW_UNSIGNED_PACKAGES", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub allow_unsigned_packages: Option<bool>,

    /// Attempts of an after-change or schedule delivery before it is dead-lettered [default: 8]
    #[arg(long, env = "XRM_JOB_MAX_ATTEMPTS", value_name = "N")]
    pub job_max_attempts: Option<u32>,

    /// Wait before the first retry of a failed delivery, doubling with each further one
    /// [default: 2000]
    #[arg(long, env = "XRM_JOB_RETRY_BASE_MS", value_name = "MS")]
    pub job_retry_base_ms: Option<u64>,

    /// Longest wait between two attempts of a delivery [default: 3600000]
    #[arg(long, env = "XRM_JOB_RETRY_MAX_MS", value_name = "MS")]
    pub job_retry_max_ms: Option<u64>,

    /// After-change and schedule deliveries this host runs at once, 1–64 [default: 16]
    #[arg(long, env = "XRM_JOB_CONCURRENCY", value_name = "N")]
    pub job_concurrency: Option<u32>,

    /// Log format on stderr [default: human]
    #[arg(long, env = "XRM_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Log filter, e.g. `info` or `xrm=debug,sqlx=warn` [default: info]
    #[arg(long, env = "XRM_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// Largest request body for single records and schemas, in bytes [default: 1048576]
    #[arg(long, env = "XRM_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C [default: 30]
    #[arg(long, env = "XRM_SHUTDOWN_TIMEOUT", value_name = "SECONDS")]
    pub shutdown_timeout: Option<u64>,

    /// Lifetime of a sign-in session [default: 12]
    #[arg(long, env = "XRM_SESSION_TTL_HOURS", value_name = "HOURS")]
    pub session_ttl_hours: Option<u64>,

    /// Mark the session cookie Secure and send Strict-Transport-Security: set it whenever
    /// clients reach xrm over HTTPS [default: false]
    #[arg(long, env = "XRM_SECURE_COOKIES", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub secure_cookies: Option<bool>,

    /// An origin allowed to call the API from a browser with a token (CORS); repeatable or
    /// comma-separated [default: none]
    #[arg(
        long,
        env = "XRM_CORS_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origin: Vec<String>,

    /// Requests per second and client address (and burst size), per host; 0 is no limit. Set
    /// it when clients reach xrm directly: behind a proxy every client has the proxy's address
    /// [default: 0]
    #[arg(long, env = "XRM_RATE_LIMIT_PER_SECOND", value_name = "N")]
    pub rate_limit_per_second: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// The config file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    max_connections: Option<u32>,
    sqlite_sync: Option<SqliteSync>,
    demo: Option<bool>,
    demo_packages: Option<PathBuf>,
    ui_dir: Option<PathBuf>,
    allow_unsigned_packages: Option<bool>,
    job_max_attempts: Option<u32>,
    job_retry_base_ms: Option<u64>,
    job_retry_max_ms: Option<u64>,
    job_concurrency: Option<u32>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    max_body_bytes: Option<usize>,
    shutdown_timeout: Option<u64>,
    session_ttl_hours: Option<u64>,
    secure_cookies: Option<bool>,
    cors_origin: Option<Vec<String>>,
    rate_limit_per_second: Option<u32>,
}

/// The resolved settings of the server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub store: StoreConfig,
    pub demo: bool,
    pub demo_packages: Option<PathBuf>,
    /// Where the admin UI's built files are; `/` answers a hint page when it holds none.
    pub ui_dir: PathBuf,
    pub host: crate::service::HostSettings,
    pub log_format: LogFormat,
    pub log: String,
    pub max_body_bytes: usize,
    pub shutdown_timeout: Duration,
    pub http: HttpSecurity,
    /// The first instance admin, from `XRM_BOOTSTRAP_ADMIN_EMAIL` and
    /// `XRM_BOOTSTRAP_ADMIN_PASSWORD` (environment only: a password is no flag).
    pub bootstrap_admin: Option<(String, String)>,
}

/// How the HTTP layer protects itself and its clients (`docs/security.md`).
#[derive(Debug, Clone, Default)]
pub struct HttpSecurity {
    pub secure_cookies: bool,
    pub cors_origins: Vec<String>,
    /// Requests per second and client address; 0 is no limit.
    pub rate_limit_per_second: u32,
}

fn read_file(path: Option<&Path>) -> Result<FileConfig, String> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read config file {}: {error}", path.display()))?;
    toml::from_str(&text).map_err(|error| format!("config file {}: {error}", path.display()))
}

fn store_config(args: &DatabaseArgs, file: &FileConfig) -> StoreConfig {
    StoreConfig {
        database_url: args
            .database_url
            .clone()
            .or_else(|| file.database_url.clone())
            .filter(|u| !u.is_empty()),
        data_dir: args
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("xrm-data")),
        max_connections: args
            .max_connections
            .or(file.max_connections)
            .unwrap_or(16)
            .max(1),
        sqlite_sync: args
            .sqlite_sync
            .or(file.sqlite_sync)
            .unwrap_or(SqliteSync::Normal),
        acquire_timeout: Duration::from_secs(10),
    }
}

/// Resolves `xrm serve`'s settings: flag, then environment (both via clap), then file, then default.
pub fn serve_config(args: &ServeArgs, config_file: Option<&Path>) -> Result<ServeConfig, String> {
    let file = read_file(config_file)?;
    Ok(ServeConfig {
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        store: store_config(&args.database, &file),
        demo: args.demo || file.demo.unwrap_or(false),
        demo_packages: args
            .demo_packages
            .clone()
            .or_else(|| file.demo_packages.clone()),
        ui_dir: args
            .ui_dir
            .clone()
            .or_else(|| file.ui_dir.clone())
            .unwrap_or_else(|| PathBuf::from("admin-ui/dist")),
        host: crate::service::HostSettings {
            jobs: job_settings(args, &file),
            allow_unsigned_packages: args
                .allow_unsigned_packages
                .or(file.allow_unsigned_packages)
                .unwrap_or(args.demo || file.demo.unwrap_or(false)),
            auth: crate::service::AuthSettings {
                session_ttl: Duration::from_secs(
                    3600 * args
                        .session_ttl_hours
                        .or(file.session_ttl_hours)
                        .unwrap_or(12)
                        .clamp(1, 24 * 366),
                ),
            },
        },
        bootstrap_admin: match (
            std::env::var("XRM_BOOTSTRAP_ADMIN_EMAIL"),
            std::env::var("XRM_BOOTSTRAP_ADMIN_PASSWORD"),
        ) {
            (Ok(email), Ok(password)) if !email.is_empty() => Some((email, password)),
            _ => None,
        },
        http: HttpSecurity {
            secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            cors_origins: if args.cors_origin.is_empty() {
                file.cors_origin.clone().unwrap_or_default()
            } else {
                args.cors_origin.clone()
            },
            rate_limit_per_second: args
                .rate_limit_per_second
                .or(file.rate_limit_per_second)
                .unwrap_or(0),
        },
        log_format: args
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Human),
        log: args
            .log
            .clone()
            .or_else(|| file.log.clone())
            .unwrap_or_else(|| "info".to_owned()),
        max_body_bytes: args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(crate::api::DEFAULT_BODY_LIMIT),
        shutdown_timeout: Duration::from_secs(
            args.shutdown_timeout
                .or(file.shutdown_timeout)
                .unwrap_or(30),
        ),
    })
}

fn job_settings(args: &ServeArgs, file: &FileConfig) -> crate::service::JobSettings {
    let defaults = crate::service::JobSettings::default();
    let retry_base = args
        .job_retry_base_ms
        .or(file.job_retry_base_ms)
        .map_or(defaults.retry_base, |ms| Duration::from_millis(ms.max(1)));
    crate::service::JobSettings {
        max_attempts: args
            .job_max_attempts
            .or(file.job_max_attempts)
            .map_or(defaults.max_attempts, |n| i64::from(n.max(1))),
        retry_base,
        retry_max: args
            .job_retry_max_ms
            .or(file.job_retry_max_ms)
            .map_or(defaults.retry_max, Duration::from_millis)
            .max(retry_base),
        concurrency: args
            .job_concurrency
            .or(file.job_concurrency)
            .map_or(defaults.concurrency, |n| n.clamp(1, 64) as usize),
        ..defaults
    }
}

/// Resolves `xrm migrate`'s settings.
pub fn migrate_config(
    args: &DatabaseArgs,
    config_file: Option<&Path>,
) -> Result<StoreConfig, String> {
    Ok(store_config(args, &read_file(config_file)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("xrm-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("xrm.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\nmax_connections = 4\nlog = \"debug\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            log: Some("warn".into()),
            ..ServeArgs::default()
        };
        let config = serve_config(&args, Some(&path)).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.store.max_connections, 4);
        assert_eq!(config.log, "warn");
        assert_eq!(config.store.data_dir, PathBuf::from("xrm-data"));
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(
            serve_config(&args, Some(&path))
                .unwrap_err()
                .contains("lisen")
        );
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
