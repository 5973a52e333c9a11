use std::{path::Path, time::Duration};

use super::*;

#[test]
fn defaults_give_a_local_development_server_on_sqlite() {
    let s = Settings::from_toml("", &[("X", "y")]).unwrap();
    assert_eq!(s.env, AppEnv::Development);
    assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
    assert_eq!(s.app_url.as_str(), "http://127.0.0.1:3000/");
    assert!(!s.app_url_configured);
    assert!(s.database.url.starts_with("sqlite:data"));
    assert_eq!(s.session.idle_timeout, Duration::from_secs(7 * 86_400));
    assert_eq!(s.session.absolute_timeout, Duration::from_secs(30 * 86_400));
    assert_eq!(s.session_cookie_name(), "seamless_session");
    assert_eq!(s.mail.from, "Seamless <no-reply@127.0.0.1>");
    assert_eq!(s.oauth.github_base_url.as_str(), "https://github.com/");
}

#[test]
fn environment_variables_override_the_file() {
    let toml = "[app]\nsite_addr = \"127.0.0.1:4000\"\n[database]\nurl = \"sqlite:file.db\"\n";
    let env = [
        ("LEPTOS_SITE_ADDR", "0.0.0.0:5000"),
        ("DATABASE_URL", "postgres://db/x"),
    ];
    let s = Settings::from_toml(toml, &env).unwrap();
    assert_eq!(s.site_addr.to_string(), "0.0.0.0:5000");
    assert_eq!(s.database.url, "postgres://db/x");
}

#[test]
fn defaults_that_derive_from_other_settings_follow_them_unless_set() {
    let s = Settings::from_toml(
        "[app]\ndata_dir = \"/srv/seamless\"\n",
        &[("APP_URL", "https://tasks.example.com")],
    )
    .unwrap();
    assert!(s.app_url_configured);
    assert_eq!(s.database.url, "sqlite:/srv/seamless/seamless.db");
    assert_eq!(s.mail.from, "Seamless <no-reply@tasks.example.com>");

    let s = Settings::from_toml("[mail]\nfrom = \"\"\n", &[("X", "y")]).unwrap();
    assert_eq!(s.mail.from, "", "a sender set empty stays empty");
}

#[test]
fn an_https_url_selects_the_host_prefixed_cookie() {
    let s = Settings::from_toml("", &[("APP_URL", "https://tasks.example.com")]).unwrap();
    assert!(s.is_https());
    assert_eq!(s.session_cookie_name(), "__Host-seamless_session");
    assert_eq!(s.origin(), "https://tasks.example.com");
}

#[test]
fn typos_and_bad_values_are_reported_with_the_key_to_fix() {
    let err = Settings::from_toml("[app]\nsite_adr = \"x\"\n", &[("X", "y")]).unwrap_err();
    assert!(err.to_string().contains("site_adr"), "{err}");
    let err = Settings::from_toml("", &[("SESSION_IDLE_TIMEOUT", "soon")]).unwrap_err();
    assert!(err.to_string().contains("SESSION_IDLE_TIMEOUT"), "{err}");
    let err = Settings::from_toml("", &[("APP_ENV", "staging")]).unwrap_err();
    assert!(err.to_string().contains("APP_ENV"), "{err}");
}

#[test]
fn an_unknown_key_in_the_file_names_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seamless.toml");
    std::fs::write(&path, "[http]\nbody_limt = 10\n").unwrap();

    let err = Settings::load(Some(&path), &[("X", "y")]).unwrap_err();

    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("http.body_limt"), "{message}");
    assert!(message.contains("unknown key"), "{message}");
    assert!(
        message.contains("body_limit"),
        "the keys it may have: {message}"
    );
}

#[test]
fn an_unknown_section_is_refused() {
    let err = Settings::from_toml("[htpp]\nbody_limit = 10\n", &[("X", "y")]).unwrap_err();
    assert!(err.to_string().contains("htpp"), "{err}");
    let err = Settings::from_toml("env = \"production\"\n", &[("X", "y")]).unwrap_err();
    assert!(err.to_string().contains("unknown section `env`"), "{err}");
}

#[test]
fn a_bad_value_in_the_file_names_the_section_and_key_and_why() {
    let err = Settings::from_toml("[session]\nidle_timeout = \"soon\"\n", &[("X", "y")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("config file: session.idle_timeout"), "{err}");
    assert!(err.contains("must be a duration"), "{err}");
    assert!(err.contains("`soon`"), "{err}");

    let err = Settings::from_toml("[database]\nmax_connections = \"8\"\n", &[("X", "y")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("database.max_connections"), "{err}");
    assert!(err.contains("invalid type"), "{err}");
}

#[test]
fn a_bad_value_from_the_environment_names_the_variable_and_why() {
    let err = Settings::from_toml("", &[("DATABASE_MAX_CONNECTIONS", "lots")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("environment variable DATABASE_MAX_CONNECTIONS"),
        "{err}"
    );
    assert!(err.contains("database.max_connections"), "{err}");
    assert!(err.contains("must be a whole number, not `lots`"), "{err}");

    // The same rule as the file's: zero is refused whichever layer says it.
    let env = Settings::from_toml("", &[("HTTP_MAX_CONNECTIONS", "0")]).unwrap_err();
    let file = Settings::from_toml("[http]\nmax_connections = 0\n", &[("X", "y")]).unwrap_err();
    assert!(env.to_string().contains("HTTP_MAX_CONNECTIONS"), "{env}");
    assert!(file.to_string().contains("http.max_connections"), "{file}");
}

#[test]
fn the_environment_writes_switches_numbers_and_lists_as_text() {
    let s = Settings::from_toml(
        "",
        &[
            ("RATE_LIMITS_ENABLED", "off"),
            ("AUTH_REQUIRE_VERIFIED_EMAIL", "Yes"),
            ("HTTP_BODY_LIMIT", " 1024 "),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://a.example/, ,http://b.example:8080",
            ),
        ],
    )
    .unwrap();
    assert!(!s.rate_limits.enabled);
    assert!(s.auth.require_verified_email);
    assert_eq!(s.http.body_limit, 1024);
    assert_eq!(
        s.api.cors_allowed_origins,
        ["https://a.example", "http://b.example:8080"]
    );
    // The file writes them as TOML does.
    assert!(Settings::from_toml("[rate_limits]\nenabled = \"off\"\n", &[("X", "y")]).is_err());
    assert!(Settings::from_toml("[rate_limits]\nenabled = false\n", &[("X", "y")]).is_ok());
}

#[test]
fn secrets_and_other_environment_only_settings_cannot_be_put_in_the_file() {
    for toml in [
        "[app]\nsecret = \"x\"\n",
        "[app]\nhash_files = true\n",
        "[mail]\nsmtp_url = \"smtp://u:p@h\"\n",
        "[api]\nsigning_key = \"x\"\n",
        "[api]\nprevious_keys = [\"x\"]\n",
        "[api]\nhs256_secret = \"x\"\n",
        "[api]\nbench_unauth_endpoint = true\n",
        "[oauth]\ngithub_client_secret = \"x\"\n",
        "[oauth]\ngoogle_client_secret = \"x\"\n",
    ] {
        let err = Settings::from_toml(toml, &[("X", "y")]).unwrap_err();
        assert!(err.to_string().contains("unknown key"), "{toml}: {err}");
    }
}

#[test]
fn secrets_are_not_printed_by_debug() {
    let s =
        Settings::from_toml("", &[("APP_SECRET", "hunter2hunter2hunter2hunter2hunter2")]).unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn a_provider_is_enabled_by_its_client_id_and_needs_its_secret_from_the_environment() {
    let none = Settings::from_toml("", &[("X", "y")]).unwrap();
    assert!(none.oauth.github.is_none() && none.oauth.google.is_none());
    let github = Settings::from_toml(
        "[oauth]\ngithub_client_id = \"abc\"\n",
        &[("GITHUB_CLIENT_SECRET", "s3cret")],
    )
    .unwrap();
    let creds = github.oauth.github.expect("github on");
    assert_eq!(creds.client_id, "abc");
    assert_eq!(creds.client_secret.expose(), "s3cret");
    assert!(!format!("{creds:?}").contains("s3cret"));
    let err = Settings::from_toml("", &[("GOOGLE_CLIENT_ID", "id")]).unwrap_err();
    assert!(err.to_string().contains("GOOGLE_CLIENT_SECRET"), "{err}");
}

#[test]
fn cors_origins_must_be_explicit_origins() {
    let ok = Settings::from_toml(
        "",
        &[(
            "CORS_ALLOWED_ORIGINS",
            "https://a.example, http://localhost:5173",
        )],
    )
    .unwrap();
    assert_eq!(
        ok.api.cors_allowed_origins,
        ["https://a.example", "http://localhost:5173"]
    );
    for bad in ["*", "https://a.example/path", "not a url"] {
        assert!(
            Settings::from_toml("", &[("CORS_ALLOWED_ORIGINS", bad)]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn hs256_needs_a_long_shared_secret() {
    assert!(Settings::from_toml("", &[("JWT_ALGORITHM", "HS256")]).is_err());
    assert!(Settings::from_toml(
        "",
        &[("JWT_ALGORITHM", "HS256"), ("JWT_HS256_SECRET", "short")]
    )
    .is_err());
    let s = Settings::from_toml(
        "",
        &[
            ("JWT_ALGORITHM", "HS256"),
            ("JWT_HS256_SECRET", &"k".repeat(32)),
        ],
    )
    .unwrap();
    assert_eq!(s.api.algorithm, JwtAlgorithm::Hs256);
    assert_eq!(s.api.access_ttl, Duration::from_secs(900));
}

#[test]
fn keep_alive_may_not_outlast_the_header_read_timeout() {
    let err = Settings::from_toml("[http]\nkeep_alive_timeout = \"11s\"\n", &[("X", "y")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP_KEEP_ALIVE_TIMEOUT"), "{err}");
    assert!(err.contains("http.header_read_timeout"), "{err}");
    let s = Settings::from_toml(
        "[http]\nkeep_alive_timeout = \"11s\"\n",
        &[("HTTP_HEADER_READ_TIMEOUT", "11s")],
    )
    .unwrap();
    assert_eq!(s.http.keep_alive_timeout, Duration::from_secs(11));
}

/// A benchmark build (`--features bench`, with its unauthenticated route) never starts in
/// production; an ordinary build has no such route to refuse (tests/integration/api.rs).
#[cfg(feature = "bench")]
#[test]
fn a_benchmark_build_refuses_production() {
    let err = Settings::from_toml("[app]\nenv = \"production\"\n", &[("X", "y")]).unwrap_err();
    assert!(err.to_string().contains("benchmark build"), "{err}");
}

#[test]
fn the_shipped_leptos_toml_is_valid_and_matches_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml");
    let shipped = Settings::load(Some(Path::new(path)), &[("X", "y")]).unwrap();
    let defaults = Settings::from_toml("", &[("X", "y")]).unwrap();
    assert_eq!(format!("{shipped:?}"), format!("{defaults:?}"));
}

#[test]
fn limits_are_read_as_attempts_per_window() {
    let s = Settings::from_toml("[rate_limits]\nsign_in_ip = \"5/1m\"\n", &[("X", "y")]).unwrap();
    assert_eq!(
        s.rate_limits.sign_in_ip,
        Limit {
            count: 5,
            window: Duration::from_secs(60)
        }
    );
    let err = Settings::from_toml("", &[("RATE_LIMIT_SIGN_IN_IP", "lots")]).unwrap_err();
    assert!(err.to_string().contains("RATE_LIMIT_SIGN_IN_IP"));
}

const ACME: &str = r#"
[[oidc]]
slug = "acme-sso"
name = "Acme SSO"
issuer = "https://login.acme.example/"
client_id = "seamless"

[[oidc]]
slug = "gitlab"
name = "GitLab"
issuer = "https://gitlab.example"
client_id = "abc"
scopes = ["openid", "email"]
"#;

#[test]
fn oidc_providers_are_listed_in_the_file_with_their_secrets_from_the_environment() {
    let none = Settings::from_toml("", &[("X", "y")]).unwrap();
    assert!(none.oidc.is_empty());
    let s = Settings::from_toml(
        ACME,
        &[
            ("OIDC_ACME_SSO_CLIENT_SECRET", "acme-s3cret"),
            ("OIDC_GITLAB_CLIENT_SECRET", "gl-s3cret"),
        ],
    )
    .unwrap();
    let slugs: Vec<_> = s.oidc.iter().map(|p| p.slug.slug()).collect();
    assert_eq!(slugs, ["acme-sso", "gitlab"], "in the file's order");
    let acme = &s.oidc[0];
    assert_eq!(acme.name, "Acme SSO");
    assert_eq!(acme.issuer.as_str(), "https://login.acme.example/");
    assert_eq!(acme.client_id, "seamless");
    assert_eq!(acme.client_secret.expose(), "acme-s3cret");
    assert_eq!(acme.scopes, ["openid", "email", "profile"], "the default");
    assert_eq!(s.oidc[1].scopes, ["openid", "email"]);
    assert!(!format!("{s:?}").contains("s3cret"));
}

#[test]
fn an_oidc_provider_without_its_secret_names_the_variable_to_set() {
    let err = Settings::from_toml(ACME, &[("OIDC_GITLAB_CLIENT_SECRET", "x")]).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("OIDC_ACME_SSO_CLIENT_SECRET"), "{message}");
    assert!(message.contains("acme-sso"), "{message}");
}

#[test]
fn bad_oidc_entries_are_refused_with_the_entry_and_key_to_fix() {
    let entry = |body: &str| format!("[[oidc]]\n{body}\n");
    let base = "name = \"Acme\"\nissuer = \"https://id.acme.example\"\nclient_id = \"c\"";
    for (toml, expected) in [
        (entry(&format!("slug = \"Acme!\"\n{base}")), "`slug`: must be 1 to 32"),
        (entry(&format!("slug = \"google\"\n{base}")), "built-in Google"),
        (entry(&format!("slug = \"github\"\n{base}")), "built-in GitHub"),
        (entry("slug = \"acme\"\nname = \"Acme\"\nclient_id = \"c\""), "missing field `issuer`"),
        (entry(&format!("slug = \"acme\"\n{base}\nclient_secret = \"x\"")), "`client_secret`: unknown key"),
        (entry(&format!("slug = \"acme\"\n{base}\nscopes = [\"email\"]")), "must include \"openid\""),
        (entry(&format!("slug = \"acme\"\n{base}\nscopes = [\"openid\", \"a b\"]")), "`a b` is not a scope"),
        (
            entry("slug = \"acme\"\nname = \"\"\nissuer = \"https://id.acme.example\"\nclient_id = \"c\""),
            "`name`: must be 1 to 40",
        ),
        (
            entry("slug = \"acme\"\nname = \"Acme\"\nissuer = \"ftp://id.acme.example\"\nclient_id = \"c\""),
            "`issuer`: must be an http(s) URL",
        ),
        ("[oidc]\nslug = \"acme\"\n".to_owned(), "write each entry as `[[oidc]]`"),
    ] {
        let err = Settings::from_toml(&toml, &[("OIDC_ACME_CLIENT_SECRET", "x")]).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(expected), "{toml}\n=> {message}");
        assert!(message.starts_with("config file: "), "{message}");
    }
    let twice = format!(
        "{}{}",
        entry(&format!("slug = \"acme\"\n{base}")),
        entry(&format!("slug = \"acme\"\n{base}"))
    );
    let err = Settings::from_toml(&twice, &[("OIDC_ACME_CLIENT_SECRET", "x")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("two [[oidc]] entries have the slug `acme`"),
        "{err}"
    );
    let second = format!(
        "{}{}",
        entry(&format!("slug = \"acme\"\n{base}")),
        entry("slug = \"b\"")
    );
    let err = Settings::from_toml(&second, &[("OIDC_ACME_CLIENT_SECRET", "x")]).unwrap_err();
    assert!(err.to_string().contains("[[oidc]] number 2"), "{err}");
}

#[test]
fn production_refuses_identity_providers_over_plain_http() {
    let prod = [
        ("APP_ENV", "production"),
        ("APP_SECRET", "a-production-secret-of-enough-length-1234"),
        ("OIDC_ACME_CLIENT_SECRET", "x"),
    ];
    let acme = |issuer: &str| {
        format!("[[oidc]]\nslug = \"acme\"\nname = \"Acme\"\nissuer = \"{issuer}\"\nclient_id = \"c\"\n")
    };
    let err = Settings::from_toml(&acme("http://id.acme.example"), &prod).unwrap_err();
    assert!(err.to_string().contains("must be https"), "{err}");
    assert!(Settings::from_toml(&acme("https://id.acme.example"), &prod).is_ok());
    assert!(
        Settings::from_toml(&acme("http://127.0.0.1:9000/x"), &prod).is_ok(),
        "a local provider"
    );
    let err = Settings::from_toml(
        "",
        &[
            ("APP_ENV", "production"),
            ("APP_SECRET", "a-production-secret-of-enough-length-1234"),
            ("GOOGLE_ISSUER_URL", "http://accounts.example"),
        ],
    )
    .unwrap_err();
    assert!(err.to_string().contains("GOOGLE_ISSUER_URL"), "{err}");
    assert!(
        Settings::from_toml(
            &acme("http://id.acme.example"),
            &[("OIDC_ACME_CLIENT_SECRET", "x")]
        )
        .is_ok(),
        "development allows it"
    );
}

#[test]
fn the_task_limit_is_ten_thousand_unless_set_and_never_zero() {
    let s = Settings::from_toml("", &[("X", "y")]).unwrap();
    assert_eq!(s.tasks.max_per_user, 10_000);
    let s = Settings::from_toml(
        "[tasks]\nmax_per_user = 50\n",
        &[("TASKS_MAX_PER_USER", "3")],
    )
    .unwrap();
    assert_eq!(s.tasks.max_per_user, 3);
    let err = Settings::from_toml("", &[("TASKS_MAX_PER_USER", "0")]).unwrap_err();
    assert!(err.to_string().contains("TASKS_MAX_PER_USER"), "{err}");
    let err = Settings::from_toml("", &[("TASKS_MAX_PER_USER", "lots")]).unwrap_err();
    assert!(err.to_string().contains("TASKS_MAX_PER_USER"), "{err}");
}

#[test]
fn a_transaction_mode_pooler_needs_postgres_and_a_direct_url_for_migrations() {
    let pooled = ("DATABASE_URL", "postgres://app@pgbouncer:6432/app");
    let direct = ("DATABASE_DIRECT_URL", "postgres://app@db:5432/app");
    let s = Settings::from_toml("", &[pooled, direct, ("DATABASE_POOLER", "transaction")]).unwrap();
    assert_eq!(s.database.pooler, Pooler::Transaction);
    assert_eq!(s.database.direct_url(), "postgres://app@db:5432/app");

    let err = Settings::from_toml("", &[pooled, ("DATABASE_POOLER", "transaction")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABASE_DIRECT_URL"), "{err}");
    let err = Settings::from_toml("", &[direct, ("DATABASE_URL", "sqlite:data/x.db")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("is for PostgreSQL"), "{err}");
    let err = Settings::from_toml("", &[pooled, ("DATABASE_POOLER", "session")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("DATABASE_POOLER") && err.contains("transaction"),
        "{err}"
    );

    // Without a direct URL, the migrations and LISTEN use DATABASE_URL.
    let s = Settings::from_toml("", &[pooled]).unwrap();
    assert_eq!(s.database.pooler, Pooler::None);
    assert_eq!(s.database.direct_url(), "postgres://app@pgbouncer:6432/app");
}
