//! Settings and where each comes from: a flag, then the environment (DESIGN.md's
//! `CONNECTWISE_*`), then a profile of the config file, then the client's default.
//!
//! The config file is `$CW_CONFIG`, else `$XDG_CONFIG_HOME/cw/config.toml`, else
//! `~/.config/cw/config.toml`:
//!
//! ```toml
//! default_profile = "acme"
//!
//! [profiles.acme]
//! company_id = "acme"
//! public_key = "..."
//! private_key = "..."
//! client_id = "00000000-0000-4000-8000-000000000000"
//! site = "na"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use crate::error::{CliError, CliResult};

/// Connection flags, accepted before the subcommand and by every command that talks to the
/// API (not global: `sandbox serve` has its own `--profile` and `--rate-limit`).
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Profile of the config file [default: $CW_PROFILE, else the file's default_profile, else
    /// `default`].
    #[arg(
        id = "conn_profile",
        long = "profile",
        value_name = "NAME",
        help_heading = "Connection"
    )]
    pub profile: Option<String>,
    /// ConnectWise site: a region (na, eu, au, staging) or a host [env: CONNECTWISE_SITE].
    #[arg(
        id = "conn_site",
        long = "site",
        value_name = "SITE",
        help_heading = "Connection"
    )]
    pub site: Option<String>,
    /// Company id you log in with [env: CONNECTWISE_COMPANY_ID].
    #[arg(
        id = "conn_company_id",
        long = "company-id",
        value_name = "ID",
        help_heading = "Connection"
    )]
    pub company_id: Option<String>,
    /// API member's public key [env: CONNECTWISE_PUBLIC_KEY]. The private key is never taken
    /// from the command line: use CONNECTWISE_PRIVATE_KEY or a profile.
    #[arg(
        id = "conn_public_key",
        long = "public-key",
        value_name = "KEY",
        help_heading = "Connection"
    )]
    pub public_key: Option<String>,
    /// Integration's clientId, a UUID [env: CONNECTWISE_CLIENT_ID].
    #[arg(
        id = "conn_client_id",
        long = "client-id",
        value_name = "UUID",
        help_heading = "Connection"
    )]
    pub client_id: Option<String>,
    /// Codebase, e.g. v4_6_release/ (discovered when absent) [env: CONNECTWISE_CODEBASE].
    #[arg(
        id = "conn_codebase",
        long = "codebase",
        value_name = "CODEBASE",
        help_heading = "Connection"
    )]
    pub codebase: Option<String>,
    /// Full API base URL, overriding site and codebase [env: CONNECTWISE_BASE_URL].
    #[arg(
        id = "conn_base_url",
        long = "base-url",
        value_name = "URL",
        help_heading = "Connection"
    )]
    pub base_url: Option<String>,
    /// API version sent in Accept, e.g. 2025.1 [env: CONNECTWISE_API_VERSION].
    #[arg(
        id = "conn_api_version",
        long = "api-version",
        value_name = "VERSION",
        help_heading = "Connection"
    )]
    pub api_version: Option<String>,
    /// Client-side request budget: N/SECONDSs (60/60s by default) or off
    /// [env: CONNECTWISE_RATE_LIMIT].
    #[arg(
        id = "conn_rate_limit",
        long = "rate-limit",
        value_name = "N/Ss|off",
        help_heading = "Connection"
    )]
    pub rate_limit: Option<String>,
}

impl ConnectionArgs {
    /// These flags with `inner`'s (given after the subcommand) taking precedence.
    #[must_use]
    pub fn overlay(&self, inner: &ConnectionArgs) -> ConnectionArgs {
        let pick = |outer: &Option<String>, inner: &Option<String>| {
            inner.clone().or_else(|| outer.clone())
        };
        ConnectionArgs {
            profile: pick(&self.profile, &inner.profile),
            site: pick(&self.site, &inner.site),
            company_id: pick(&self.company_id, &inner.company_id),
            public_key: pick(&self.public_key, &inner.public_key),
            client_id: pick(&self.client_id, &inner.client_id),
            codebase: pick(&self.codebase, &inner.codebase),
            base_url: pick(&self.base_url, &inner.base_url),
            api_version: pick(&self.api_version, &inner.api_version),
            rate_limit: pick(&self.rate_limit, &inner.rate_limit),
        }
    }
}

/// One setting.
#[allow(clippy::enum_variant_names)] // `PublicKey`, `PrivateKey`: the API's own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    CompanyId,
    PublicKey,
    PrivateKey,
    ClientId,
    Site,
    Codebase,
    BaseUrl,
    ApiVersion,
    RateLimit,
}

impl Key {
    /// Sets this key's value on a client config builder; `Err` says why the value is invalid.
    pub fn apply(
        self,
        b: cwpsa::ConfigBuilder,
        value: &str,
    ) -> Result<cwpsa::ConfigBuilder, String> {
        Ok(match self {
            Key::CompanyId => b.company_id(value),
            Key::PublicKey => b.public_key(value),
            Key::PrivateKey => b.private_key(value),
            Key::ClientId => b.client_id(value),
            Key::Site => b.site(value),
            Key::Codebase => b.codebase(value),
            Key::BaseUrl => b.base_url(value),
            Key::ApiVersion => b.api_version(value),
            Key::RateLimit => b.rate_limit(value.parse()?),
        })
    }

    pub const ALL: [Key; 9] = [
        Key::CompanyId,
        Key::PublicKey,
        Key::PrivateKey,
        Key::ClientId,
        Key::Site,
        Key::Codebase,
        Key::BaseUrl,
        Key::ApiVersion,
        Key::RateLimit,
    ];

    /// The name in the profile file, in `config show`, and in the client's messages.
    pub fn name(self) -> &'static str {
        match self {
            Key::CompanyId => "company_id",
            Key::PublicKey => "public_key",
            Key::PrivateKey => "private_key",
            Key::ClientId => "client_id",
            Key::Site => "site",
            Key::Codebase => "codebase",
            Key::BaseUrl => "base_url",
            Key::ApiVersion => "api_version",
            Key::RateLimit => "rate_limit",
        }
    }

    pub fn env(self) -> &'static str {
        match self {
            Key::CompanyId => "CONNECTWISE_COMPANY_ID",
            Key::PublicKey => "CONNECTWISE_PUBLIC_KEY",
            Key::PrivateKey => "CONNECTWISE_PRIVATE_KEY",
            Key::ClientId => "CONNECTWISE_CLIENT_ID",
            Key::Site => "CONNECTWISE_SITE",
            Key::Codebase => "CONNECTWISE_CODEBASE",
            Key::BaseUrl => "CONNECTWISE_BASE_URL",
            Key::ApiVersion => "CONNECTWISE_API_VERSION",
            Key::RateLimit => "CONNECTWISE_RATE_LIMIT",
        }
    }

    /// The flag, for every key but the private key.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Key::CompanyId => Some("--company-id"),
            Key::PublicKey => Some("--public-key"),
            Key::PrivateKey => None,
            Key::ClientId => Some("--client-id"),
            Key::Site => Some("--site"),
            Key::Codebase => Some("--codebase"),
            Key::BaseUrl => Some("--base-url"),
            Key::ApiVersion => Some("--api-version"),
            Key::RateLimit => Some("--rate-limit"),
        }
    }

    pub fn is_secret(self) -> bool {
        self == Key::PrivateKey
    }

    fn in_flags(self, flags: &ConnectionArgs) -> Option<&String> {
        match self {
            Key::CompanyId => flags.company_id.as_ref(),
            Key::PublicKey => flags.public_key.as_ref(),
            Key::PrivateKey => None,
            Key::ClientId => flags.client_id.as_ref(),
            Key::Site => flags.site.as_ref(),
            Key::Codebase => flags.codebase.as_ref(),
            Key::BaseUrl => flags.base_url.as_ref(),
            Key::ApiVersion => flags.api_version.as_ref(),
            Key::RateLimit => flags.rate_limit.as_ref(),
        }
    }

    fn in_profile(self, p: &ProfileDoc) -> Option<&String> {
        match self {
            Key::CompanyId => p.company_id.as_ref(),
            Key::PublicKey => p.public_key.as_ref(),
            Key::PrivateKey => p.private_key.as_ref(),
            Key::ClientId => p.client_id.as_ref(),
            Key::Site => p.site.as_ref(),
            Key::Codebase => p.codebase.as_ref(),
            Key::BaseUrl => p.base_url.as_ref(),
            Key::ApiVersion => p.api_version.as_ref(),
            Key::RateLimit => p.rate_limit.as_ref(),
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile(String),
    Sandbox,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Profile(name) => write!(f, "profile {name}"),
            Source::Sandbox => f.write_str("--sandbox"),
        }
    }
}

/// The effective settings.
#[derive(Clone)]
pub struct Settings {
    values: Vec<(Key, Option<(String, Source)>)>,
    /// The config file, when one could be located.
    pub file: Option<PathBuf>,
    pub file_exists: bool,
    /// The profile in use and why (`--profile`, `CW_PROFILE`, `default_profile`, `default`).
    pub profile: Option<(String, String)>,
    /// Warnings to show once (a config file readable by others).
    pub warnings: Vec<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Settings");
        for (key, value) in &self.values {
            match value {
                Some((_, source)) if key.is_secret() => {
                    d.field(key.name(), &format_args!("*** ({source})"));
                }
                Some((v, source)) => {
                    d.field(key.name(), &format_args!("{v} ({source})"));
                }
                None => {
                    d.field(key.name(), &format_args!("unset"));
                }
            }
        }
        d.finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, ProfileDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileDoc {
    company_id: Option<String>,
    public_key: Option<String>,
    private_key: Option<String>,
    client_id: Option<String>,
    site: Option<String>,
    codebase: Option<String>,
    base_url: Option<String>,
    api_version: Option<String>,
    rate_limit: Option<String>,
}

/// The config file's location.
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = env("CW_CONFIG") {
        return Some(PathBuf::from(p));
    }
    if let Some(dir) = env("XDG_CONFIG_HOME") {
        return Some(Path::new(&dir).join("cw").join("config.toml"));
    }
    env("HOME").map(|home| {
        Path::new(&home)
            .join(".config")
            .join("cw")
            .join("config.toml")
    })
}

/// The process environment, empty values counting as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Settings {
    /// Flags over the environment over the profile.
    pub fn resolve(
        flags: &ConnectionArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> CliResult<Settings> {
        let file = config_path(env);
        let mut warnings = Vec::new();
        let (doc, file_exists) = match &file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => {
                    let doc: FileDoc = toml::from_str(&text).map_err(|e| {
                        CliError::config(format!("cannot read {}", path.display()))
                            .with_detail(e.to_string().trim_end().to_owned())
                    })?;
                    if doc.profiles.values().any(|p| p.private_key.is_some()) {
                        warnings.extend(readable_by_others(path));
                    }
                    (doc, true)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (FileDoc::default(), false),
                Err(e) => {
                    return Err(CliError::config(format!(
                        "cannot read {}: {e}",
                        path.display()
                    )));
                }
            },
            None => (FileDoc::default(), false),
        };
        let chosen = if let Some(name) = &flags.profile {
            Some((name.clone(), "--profile".to_owned(), true))
        } else if let Some(name) = env("CW_PROFILE") {
            Some((name, "CW_PROFILE".to_owned(), true))
        } else if let Some(name) = &doc.default_profile {
            Some((name.clone(), "default_profile".to_owned(), true))
        } else {
            Some(("default".to_owned(), "the default".to_owned(), false))
        };
        let mut profile = None;
        let mut profile_doc = None;
        if let Some((name, why, explicit)) = chosen {
            match doc.profiles.get(&name) {
                Some(p) => {
                    profile_doc = Some(p);
                    profile = Some((name, why));
                }
                None if explicit => {
                    let known: Vec<&str> = doc.profiles.keys().map(String::as_str).collect();
                    let where_ = file
                        .as_ref()
                        .map_or_else(|| "no config file".to_owned(), |p| p.display().to_string());
                    let mut e = CliError::config(format!(
                        "profile `{name}` (from {why}) is not in {where_}"
                    ));
                    e = if known.is_empty() {
                        e.with_detail("no profiles yet: `cw config init --profile NAME` writes one")
                    } else {
                        e.with_detail(format!("profiles: {}", known.join(", ")))
                    };
                    return Err(e);
                }
                None => {}
            }
        }
        let values = Key::ALL
            .iter()
            .map(|&key| {
                let clean = |v: &String| {
                    let v = v.trim();
                    (!v.is_empty()).then(|| v.to_owned())
                };
                let value = key
                    .in_flags(flags)
                    .and_then(clean)
                    .map(|v| (v, Source::Flag(key.flag().unwrap_or_default())))
                    .or_else(|| env(key.env()).map(|v| (v, Source::Env(key.env()))))
                    .or_else(|| {
                        let (p, (name, _)) = (profile_doc?, profile.as_ref()?);
                        key.in_profile(p)
                            .and_then(clean)
                            .map(|v| (v, Source::Profile(name.clone())))
                    });
                (key, value)
            })
            .collect();
        Ok(Settings {
            values,
            file,
            file_exists,
            profile,
            warnings,
        })
    }

    /// The sandbox's fixed demo credentials.
    pub fn sandbox(base_url: &str) -> Settings {
        use cwpsa_sandbox::config::{CLIENT_ID, COMPANY_ID, PRIVATE_KEY, PUBLIC_KEY};
        let values = Key::ALL
            .iter()
            .map(|&key| {
                let value = match key {
                    Key::CompanyId => Some(COMPANY_ID),
                    Key::PublicKey => Some(PUBLIC_KEY),
                    Key::PrivateKey => Some(PRIVATE_KEY),
                    Key::ClientId => Some(CLIENT_ID),
                    Key::BaseUrl => Some(base_url),
                    Key::RateLimit => Some("off"),
                    Key::Site | Key::Codebase | Key::ApiVersion => None,
                };
                (key, value.map(|v| (v.to_owned(), Source::Sandbox)))
            })
            .collect();
        Settings {
            values,
            file: None,
            file_exists: false,
            profile: None,
            warnings: Vec::new(),
        }
    }

    pub fn get(&self, key: Key) -> Option<&(String, Source)> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_ref())
    }

    pub fn value(&self, key: Key) -> Option<&str> {
        self.get(key).map(|(v, _)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (Key, Option<&(String, Source)>)> {
        self.values.iter().map(|(k, v)| (*k, v.as_ref()))
    }

    /// A client configuration, or a config error naming what is missing and where to set it.
    pub fn builder(&self) -> CliResult<cwpsa::ConfigBuilder> {
        let mut missing = Vec::new();
        for key in [
            Key::CompanyId,
            Key::PublicKey,
            Key::PrivateKey,
            Key::ClientId,
        ] {
            if self.get(key).is_none() {
                missing.push(key);
            }
        }
        let no_site = self.get(Key::Site).is_none() && self.get(Key::BaseUrl).is_none();
        if !missing.is_empty() || no_site {
            let mut names: Vec<&str> = missing.iter().map(|k| k.name()).collect();
            if no_site {
                names.push("site (or base_url)");
            }
            let mut e = CliError::config(format!("not configured: {} not set", names.join(", ")));
            for key in &missing {
                e = e.with_detail(match key.flag() {
                    Some(flag) => format!("{}: {flag}, {} or a profile", key.name(), key.env()),
                    None => format!(
                        "{}: {} or a profile (never a flag, so that it stays out of shell history)",
                        key.name(),
                        key.env()
                    ),
                });
            }
            if no_site {
                e = e.with_detail("site: --site, CONNECTWISE_SITE or a profile");
            }
            return Err(e.with_detail(
                "`cw config init` writes a profile; `cw --sandbox ...` tries it all on demo data",
            ));
        }
        let mut b = cwpsa::Config::builder();
        for (key, value) in self.iter() {
            let Some((v, _)) = value else { continue };
            b = key
                .apply(b, v)
                .map_err(|why| self.invalid(&format!("`{}`: {why}", key.name())))?;
        }
        b.clone().build().map_err(|e| self.invalid(e.message()))?;
        Ok(b)
    }

    /// A config error, naming where the offending setting came from.
    pub fn invalid(&self, message: &str) -> CliError {
        let mut e = CliError::config(format!("invalid settings: {message}"));
        for (key, value) in self.iter() {
            if let Some((_, source)) = value
                && message.contains(&format!("`{}`", key.name()))
            {
                e = e.with_detail(format!("{} comes from {source}", key.name()));
            }
        }
        e.with_detail("`cw config show` lists every setting and where it comes from")
    }
}

/// A warning when `path` can be read by users other than its owner.
#[cfg(unix)]
pub fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a private key and is readable by other users (mode {mode:o}): run `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
pub fn readable_by_others(_path: &Path) -> Option<String> {
    None
}

/// Writes (or replaces) the profile `name` in the config file at `path`, keeping the other
/// profiles, with mode 0600, atomically. Returns warnings (the old file was readable by others).
pub fn write_profile(
    path: &Path,
    name: &str,
    values: &[(Key, String)],
    make_default: bool,
) -> CliResult<Vec<String>> {
    let mut warnings = Vec::new();
    let mut table = match std::fs::read_to_string(path) {
        Ok(text) => {
            warnings.extend(
                readable_by_others(path).map(|w| format!("{w} (rewritten now with mode 600)")),
            );
            toml::from_str::<toml::Table>(&text).map_err(|e| {
                CliError::config(format!("cannot read {}", path.display()))
                    .with_detail(e.to_string().trim_end().to_owned())
            })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => {
            return Err(CliError::config(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let profiles = table
        .entry("profiles")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(profiles) = profiles else {
        return Err(CliError::config(format!(
            "{}: `profiles` is not a table",
            path.display()
        )));
    };
    let mut profile = toml::Table::new();
    for (key, value) in values {
        profile.insert(key.name().to_owned(), toml::Value::String(value.clone()));
    }
    profiles.insert(name.to_owned(), toml::Value::Table(profile));
    if make_default || !table.contains_key("default_profile") {
        table.insert(
            "default_profile".to_owned(),
            toml::Value::String(name.to_owned()),
        );
    }
    let text = toml::to_string(&table)
        .map_err(|e| CliError::config(format!("cannot encode the config file: {e}")))?;
    write_private(path, text.as_bytes())?;
    Ok(warnings)
}

/// Writes through a temporary file created with mode 0600, then renames it over `path`.
fn write_private(path: &Path, bytes: &[u8]) -> CliResult {
    use std::io::Write;
    let fail = |what: &str, e: std::io::Error| {
        CliError::config(format!("cannot {what} {}: {e}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| fail("create the folder of", e))?;
    }
    let tmp = path.with_extension(format!("toml.tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = result.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cw-settings-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn flags_beat_env_beat_profile() {
        let dir = temp_dir("precedence");
        let file = dir.join("config.toml");
        write_profile(
            &file,
            "acme",
            &[
                (Key::CompanyId, "from-profile".into()),
                (Key::Site, "eu".into()),
                (Key::PrivateKey, "profile-secret".into()),
                (Key::PublicKey, "pub".into()),
            ],
            false,
        )
        .expect("writes");
        let path = file.display().to_string();
        let env = env_of(&[
            ("CW_CONFIG", &path),
            ("CONNECTWISE_SITE", "na"),
            ("CONNECTWISE_PUBLIC_KEY", "env-pub"),
        ]);
        let flags = ConnectionArgs {
            public_key: Some("flag-pub".into()),
            ..ConnectionArgs::default()
        };
        let s = Settings::resolve(&flags, &env).expect("resolves");
        assert_eq!(s.profile.as_ref().map(|p| p.0.as_str()), Some("acme"));
        assert_eq!(
            s.get(Key::CompanyId),
            Some(&("from-profile".into(), Source::Profile("acme".into())))
        );
        assert_eq!(
            s.get(Key::Site),
            Some(&("na".into(), Source::Env("CONNECTWISE_SITE")))
        );
        assert_eq!(
            s.get(Key::PublicKey),
            Some(&("flag-pub".into(), Source::Flag("--public-key")))
        );
        assert!(!format!("{s:?}").contains("profile-secret"));
        // The client id is missing: a config error naming it and where to set it.
        let e = s.builder().expect_err("incomplete");
        assert!(e.message.contains("client_id"), "{e}");
        assert!(e.to_string().contains("CONNECTWISE_CLIENT_ID"), "{e}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn unknown_profile_and_bad_file_are_config_errors() {
        let dir = temp_dir("bad");
        let file = dir.join("config.toml");
        std::fs::write(&file, "[profiles.a]\ncompany_id = \"x\"\nsitee = \"na\"\n").expect("w");
        let path = file.display().to_string();
        let env = env_of(&[("CW_CONFIG", &path)]);
        let e = Settings::resolve(&ConnectionArgs::default(), &env).expect_err("bad");
        assert_eq!(e.class, crate::error::Class::Config);
        assert!(e.to_string().contains("sitee"), "{e}");
        std::fs::write(&file, "[profiles.a]\ncompany_id = \"x\"\n").expect("w");
        let flags = ConnectionArgs {
            profile: Some("b".into()),
            ..ConnectionArgs::default()
        };
        let e = Settings::resolve(&flags, &env).expect_err("missing profile");
        assert!(e.to_string().contains("profiles: a"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
