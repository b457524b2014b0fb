//! Profile resolution: aws-vault 7's rules for include_profile, [default], source_profile,
//! environment and command-line overrides, and the errors a user can meet.

// In a `config` module so that `cargo test -p stsvault config` runs these too.
mod config {

    use std::collections::BTreeSet;
    use std::time::Duration;

    use stsvault::config::{
        Config, ConfigError, EnvVars, ProfileConfig, ProfileOverrides, ResolveOptions,
    };

    const HOUR: Duration = Duration::from_secs(3600);

    fn config(text: &str) -> Config {
        Config::from_strs(text, "").unwrap_or_else(|e| panic!("config should parse: {e}"))
    }

    fn opts(stored: &[&str], env: &[(&str, &str)]) -> ResolveOptions {
        ResolveOptions {
            stored: stored
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<_>>(),
            env: EnvVars::from_pairs(env.iter().copied()),
            overrides: ProfileOverrides::default(),
        }
    }

    fn resolve(c: &Config, name: &str, o: &ResolveOptions) -> ProfileConfig {
        c.resolve(name, o)
            .unwrap_or_else(|e| panic!("{name} should resolve: {e}"))
    }

    fn resolve_err(c: &Config, name: &str, o: &ResolveOptions) -> ConfigError {
        match c.resolve(name, o) {
            Ok(p) => panic!("{name} should not resolve, got {p:?}"),
            Err(e) => e,
        }
    }

    // The example config of aws-vault's own tests.
    const EXAMPLE: &str = "# an example profile file
[default]
region=us-west-2
output=json

[profile user2]
REGION=us-east-1
output=text

[profile withsource]
source_profile=user2
region=us-east-1

[profile withMFA]
source_profile=user2
Role_Arn=arn:aws:iam::4451234513441615400570:role/aws_admin
mfa_Serial=arn:aws:iam::1234513441:mfa/blah
Region=us-east-1
duration_seconds=1200
sts_regional_endpoints=legacy

[profile testincludeprofile1]
region=us-east-1

[profile testincludeprofile2]
include_profile=testincludeprofile1

[profile with-sso-session]
sso_session = moon-sso
sso_account_id=123456
region = moon-1 # Different from sso region

[sso-session moon-sso]
sso_start_url = https://d-123456789.example.com/start
sso_region = moon-2  # Different from profile region
sso_registration_scopes = sso:account:access
";

    #[test]
    fn example_profile_with_mfa_role_and_case_insensitive_keys() {
        let c = config(EXAMPLE);
        let p = resolve(&c, "withMFA", &opts(&["user2"], &[]));
        assert_eq!(p.name, "withMFA");
        assert_eq!(
            p.role_arn.as_deref(),
            Some("arn:aws:iam::4451234513441615400570:role/aws_admin")
        );
        assert_eq!(
            p.mfa_serial.as_deref(),
            Some("arn:aws:iam::1234513441:mfa/blah")
        );
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(p.assume_role_duration, Duration::from_secs(1200));
        assert_eq!(p.sts_regional_endpoints.as_deref(), Some("legacy"));
        assert_eq!(p.source_profile_name.as_deref(), Some("user2"));
        let source = p.source_profile.as_deref().expect("source resolved");
        assert_eq!(source.name, "user2");
        assert_eq!(
            source.region.as_deref(),
            Some("us-east-1"),
            "REGION= is region="
        );
        let up = source.chained_from.as_ref().expect("chained_from");
        assert_eq!(up.name, "withMFA");
        assert_eq!(
            up.mfa_serial.as_deref(),
            Some("arn:aws:iam::1234513441:mfa/blah")
        );
        assert_eq!(up.assume_role_duration, Duration::from_secs(1200));
        assert!(p.chained_from.is_none());
    }

    #[test]
    fn profile_names_are_case_sensitive() {
        let c = config(EXAMPLE);
        assert!(c.has_profile("withMFA"));
        assert!(!c.has_profile("withmfa"));
        let e = resolve_err(&c, "withmfa", &opts(&[], &[]));
        assert!(matches!(e, ConfigError::ProfileNotFound { .. }), "{e}");
    }

    #[test]
    fn include_profile_fills_unset_values() {
        let c = config(EXAMPLE);
        let p = resolve(&c, "testincludeprofile2", &opts(&[], &[]));
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn default_fills_at_the_end_of_the_include_chain() {
        let c = config(
            "[default]\nregion=eu-west-1\nmfa_serial=arn:default\nexternal_id=from-default\n\
         [profile common]\nregion=us-east-2\n\
         [profile app]\ninclude_profile=common\nexternal_id=own\n",
        );
        let p = resolve(&c, "app", &opts(&["app"], &[]));
        assert_eq!(
            p.external_id.as_deref(),
            Some("own"),
            "own value beats include and default"
        );
        assert_eq!(
            p.region.as_deref(),
            Some("us-east-2"),
            "include beats default"
        );
        assert_eq!(
            p.mfa_serial.as_deref(),
            Some("arn:default"),
            "default fills the rest"
        );
    }

    #[test]
    fn default_fills_a_profile_without_include() {
        let c = config(EXAMPLE);
        let p = resolve(&c, "withsource", &opts(&["user2"], &[]));
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        let p = resolve(&c, "with-sso-session", &opts(&[], &[]));
        assert_eq!(p.region.as_deref(), Some("moon-1"));
        // A profile without region gets [default]'s.
        let c = config("[default]\nregion=us-west-2\n[profile bare]\nmfa_serial=m\n");
        assert_eq!(
            resolve(&c, "bare", &opts(&[], &[])).region.as_deref(),
            Some("us-west-2")
        );
    }

    #[test]
    fn upper_case_default_section_is_not_the_default_profile() {
        let c = config("[DEFAULT]\nregion=us-east-1\n[default]\nregion=us-west-2\n[profile x]\n");
        assert_eq!(c.profile_names(), vec!["default", "x"]);
        let p = resolve(&c, "x", &opts(&[], &[]));
        assert_eq!(p.region.as_deref(), Some("us-west-2"));
        let c = config("[DEFAULT]\nregion=us-east-1\n[profile x]\n");
        assert_eq!(resolve(&c, "x", &opts(&[], &[])).region, None);
        assert_eq!(c.profile_names(), vec!["x"]);
    }

    #[test]
    fn profile_default_section_is_the_default_profile() {
        let c = config("[profile default]\nregion=ap-south-1\n[profile x]\n");
        assert!(c.has_profile("default"));
        assert_eq!(
            resolve(&c, "x", &opts(&[], &[])).region.as_deref(),
            Some("ap-south-1")
        );
        assert_eq!(
            resolve(&c, "default", &opts(&[], &[])).region.as_deref(),
            Some("ap-south-1")
        );
    }

    #[test]
    fn source_profile_naming_itself_is_ignored() {
        let c = config("[profile foo]\nsource_profile=foo\n");
        let p = resolve(&c, "foo", &opts(&["foo"], &[]));
        assert_eq!(p.source_profile_name, None);
        assert!(p.source_profile.is_none());
    }

    #[test]
    fn source_profile_can_refer_to_the_included_parent() {
        // USAGE.md "parent style": root is a profile, a fragment and a source at once.
        let c = config(
            "[profile root]\nregion=eu-west-1\nmfa_serial=arn:aws:iam::1:mfa/j\nsource_profile=root\n\
         [profile order-dev]\ninclude_profile=root\nrole_arn=arn:aws:iam::2:role/dev\n",
        );
        let p = resolve(&c, "order-dev", &opts(&["root"], &[]));
        assert_eq!(p.source_profile_name.as_deref(), Some("root"));
        assert_eq!(p.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/j"));
        let root = p.source_profile.as_deref().expect("root");
        assert_eq!(
            root.source_profile_name, None,
            "root's own self-reference dropped"
        );
        assert_eq!(root.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/j"));
    }

    #[test]
    fn mfa_serial_is_not_inherited_through_source_profile() {
        let c = config(
            "[profile base]\nmfa_serial=arn:aws:iam::1:mfa/base\nregion=eu-west-1\n\
         [profile role]\nsource_profile=base\nrole_arn=arn:aws:iam::2:role/r\n",
        );
        let p = resolve(&c, "role", &opts(&["base"], &[]));
        assert_eq!(p.mfa_serial, None);
        assert_eq!(p.region, None, "nothing else is inherited either");
        let base = p.source_profile.as_deref().expect("base");
        assert_eq!(base.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/base"));
    }

    #[test]
    fn vault_only_profile_is_valid_and_gets_defaults() {
        let c = config("[default]\nregion=us-west-2\n");
        let p = resolve(&c, "keys-only", &opts(&["keys-only"], &[]));
        assert!(!p.in_config_file);
        assert_eq!(p.region.as_deref(), Some("us-west-2"));
        assert_eq!(p.assume_role_duration, HOUR);
        assert_eq!(p.session_token_duration, HOUR);
        assert_eq!(p.chained_session_token_duration, 8 * HOUR);
        // A source that exists only in the vault is fine too.
        let c = config("[profile prod]\nsource_profile=base\nrole_arn=arn:aws:iam::1:role/r\n");
        let p = resolve(&c, "prod", &opts(&["base"], &[]));
        assert_eq!(p.source_profile.map(|s| s.name).as_deref(), Some("base"));
    }

    #[test]
    fn missing_profile_error_names_it_the_file_and_the_known_profiles() {
        let c = config(EXAMPLE);
        let e = resolve_err(&c, "prdo", &opts(&["user2"], &[]));
        let msg = e.to_string();
        assert!(matches!(e, ConfigError::ProfileNotFound { .. }));
        assert!(msg.contains("profile `prdo` not found"), "{msg}");
        assert!(msg.contains("~/.aws/config"), "{msg}");
        assert!(msg.contains("stsvault add prdo"), "{msg}");
        assert!(msg.contains("withMFA"), "lists known profiles: {msg}");
    }

    #[test]
    fn profile_only_in_credentials_file_says_so() {
        let c = Config::from_strs("", "[legacy]\naws_access_key_id=AKIA\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let e = resolve_err(&c, "legacy", &opts(&[], &[]));
        assert!(
            matches!(e, ConfigError::OnlyInCredentialsFile { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("~/.aws/credentials"), "{e}");
        assert_eq!(
            c.credentials_value("legacy", "AWS_ACCESS_KEY_ID"),
            Some("AKIA")
        );
    }

    #[test]
    fn missing_source_profile_error_text() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "[profile prod]\nsource_profile = base\nrole_arn = arn:r\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let c = Config::from_paths(&path, &dir.path().join("credentials"))
            .unwrap_or_else(|e| panic!("{e}"));
        let e = resolve_err(&c, "prod", &opts(&[], &[]));
        let msg = e.to_string();
        let expected = format!(
            "profile `prod` has `source_profile = base`, but no profile `base` exists in {}",
            path.display()
        );
        assert!(msg.starts_with(&expected), "{msg}");
        // With keys stored for prod itself the source does not matter (as in aws-vault).
        let p = resolve(&c, "prod", &opts(&["prod"], &[]));
        assert!(p.source_profile.is_none());
    }

    #[test]
    fn source_profile_loop_is_an_error_naming_the_loop() {
        let c = config(
            "[profile a]\nsource_profile=b\n[profile b]\nsource_profile=c\n\
         [profile c]\nsource_profile=b\n",
        );
        let e = resolve_err(&c, "a", &opts(&[], &[]));
        match &e {
            ConfigError::SourceProfileLoop { chain, .. } => assert_eq!(chain, &["b", "c", "b"]),
            other => panic!("expected a source loop, got {other}"),
        }
        assert!(e.to_string().contains("b -> c -> b"), "{e}");
        // Even if keys are stored for every profile in the loop.
        let e = resolve_err(&c, "b", &opts(&["a", "b", "c"], &[]));
        assert!(matches!(e, ConfigError::SourceProfileLoop { .. }), "{e}");
    }

    #[test]
    fn include_profile_loop_is_an_error_naming_the_loop() {
        let c = config(
            "[profile x]\ninclude_profile=y\n[profile y]\ninclude_profile=z\n\
         [profile z]\ninclude_profile=x\n",
        );
        let e = resolve_err(&c, "x", &opts(&[], &[]));
        match &e {
            ConfigError::IncludeProfileLoop { chain, .. } => {
                assert_eq!(chain, &["x", "y", "z", "x"])
            }
            other => panic!("expected an include loop, got {other}"),
        }
        assert!(e.to_string().contains("x -> y -> z -> x"), "{e}");
    }

    #[test]
    fn default_cannot_include_another_profile() {
        // Every include chain ends in [default], so this loops in aws-vault too.
        let c = config("[default]\ninclude_profile=base\n[profile base]\nregion=x\n[profile p]\n");
        let e = resolve_err(&c, "p", &opts(&[], &[]));
        match &e {
            ConfigError::IncludeProfileLoop { chain, .. } => {
                assert_eq!(chain, &["default", "base", "default"])
            }
            other => panic!("expected an include loop, got {other}"),
        }
    }

    #[test]
    fn region_and_mfa_env_apply_to_every_profile_and_beat_the_files() {
        let c = config(
            "[profile base]\nregion=eu-west-1\n\
         [profile role]\nsource_profile=base\nrole_arn=arn:r\nregion=eu-central-1\n",
        );
        let o = opts(
            &["base"],
            &[
                ("AWS_REGION", "ap-northeast-1"),
                ("AWS_DEFAULT_REGION", "sa-east-1"),
                ("AWS_MFA_SERIAL", "arn:aws:iam::1:mfa/env"),
                ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
            ],
        );
        let p = resolve(&c, "role", &o);
        for q in p.chain() {
            assert_eq!(q.region.as_deref(), Some("ap-northeast-1"), "{}", q.name);
            assert_eq!(
                q.mfa_serial.as_deref(),
                Some("arn:aws:iam::1:mfa/env"),
                "{}",
                q.name
            );
            assert_eq!(q.sts_regional_endpoints.as_deref(), Some("regional"));
        }
        // AWS_DEFAULT_REGION only when AWS_REGION is unset.
        let p = resolve(
            &c,
            "base",
            &opts(&["base"], &[("AWS_DEFAULT_REGION", "sa-east-1")]),
        );
        assert_eq!(p.region.as_deref(), Some("sa-east-1"));
        // --region beats both.
        let mut o = opts(&["base"], &[("AWS_REGION", "ap-northeast-1")]);
        o.overrides.region = Some("us-east-2".into());
        assert_eq!(
            resolve(&c, "role", &o)
                .source_profile
                .and_then(|s| s.region)
                .as_deref(),
            Some("us-east-2")
        );
    }

    #[test]
    fn role_env_vars_apply_only_to_the_profile_asked_for() {
        let c = config(
            "[profile base]\n\
         [profile interim]\nsession_tags=tag1=value1\ntransitive_session_tags=tag2\n\
         source_profile = base\nrole_arn=arn:interim\n\
         [profile target]\nsession_tags=tagA=valueA\ntransitive_session_tags=tagB\n\
         source_profile = interim\n",
        );
        let o = opts(
            &["base"],
            &[
                ("AWS_SESSION_TAGS", "tagI=valI"),
                ("AWS_TRANSITIVE_TAGS", " tagII"),
                ("AWS_ROLE_ARN", "arn:aws:iam::9:role/env"),
                ("AWS_ROLE_SESSION_NAME", "me"),
                ("AWS_SOURCE_IDENTITY", "alice"),
            ],
        );
        let target = resolve(&c, "target", &o);
        assert_eq!(
            target.session_tags.get("tagI").map(String::as_str),
            Some("valI")
        );
        assert_eq!(target.session_tags.len(), 1);
        assert_eq!(target.transitive_session_tags, vec!["tagII"]);
        assert_eq!(target.role_arn.as_deref(), Some("arn:aws:iam::9:role/env"));
        assert_eq!(target.role_session_name.as_deref(), Some("me"));
        assert_eq!(target.source_identity.as_deref(), Some("alice"));
        let interim = target.source_profile.as_deref().expect("interim");
        assert_eq!(
            interim.session_tags.get("tag1").map(String::as_str),
            Some("value1")
        );
        assert_eq!(interim.transitive_session_tags, vec!["tag2"]);
        assert_eq!(interim.role_arn.as_deref(), Some("arn:interim"));
        assert_eq!(interim.source_identity, None);
        let base = interim.source_profile.as_deref().expect("base");
        assert!(base.session_tags.is_empty() && base.transitive_session_tags.is_empty());
    }

    #[test]
    fn ttl_env_vars_and_duration_override() {
        let c = config("[profile r]\nrole_arn=arn:r\nduration_seconds=900\n");
        let p = resolve(&c, "r", &opts(&["r"], &[]));
        assert_eq!(p.assume_role_duration, Duration::from_secs(900));
        let env = [
            ("AWS_ASSUME_ROLE_TTL", "2h"),
            ("AWS_SESSION_TOKEN_TTL", "90m"),
            ("AWS_CHAINED_SESSION_TOKEN_TTL", "3600s"),
            ("AWS_FEDERATION_TOKEN_TTL", "1h30m"),
        ];
        let p = resolve(&c, "r", &opts(&["r"], &env));
        assert_eq!(
            p.assume_role_duration,
            2 * HOUR,
            "env beats duration_seconds, as in aws-vault"
        );
        assert_eq!(p.session_token_duration, Duration::from_secs(90 * 60));
        assert_eq!(p.chained_session_token_duration, HOUR);
        assert_eq!(p.federation_token_duration, Duration::from_secs(90 * 60));
        let mut o = opts(&["r"], &env);
        o.overrides.session_duration = Some(Duration::from_secs(1800));
        let p = resolve(&c, "r", &o);
        assert_eq!(
            p.assume_role_duration,
            Duration::from_secs(1800),
            "--duration beats env"
        );
        assert_eq!(p.session_token_duration, Duration::from_secs(1800));
        assert_eq!(
            p.chained_session_token_duration, HOUR,
            "--duration leaves the chained TTL"
        );
    }

    #[test]
    fn invalid_ttl_env_is_an_error_naming_the_variable() {
        let c = config("[profile r]\n");
        let e = resolve_err(&c, "r", &opts(&["r"], &[("AWS_SESSION_TOKEN_TTL", "3600")]));
        let msg = e.to_string();
        assert!(matches!(e, ConfigError::InvalidEnv { .. }), "{msg}");
        assert!(msg.contains("AWS_SESSION_TOKEN_TTL"), "{msg}");
        assert!(msg.contains("without a unit"), "{msg}");
    }

    #[test]
    fn invalid_duration_seconds_points_at_file_and_line() {
        let c = config("[default]\n\n[profile r]\nrole_arn=arn:r\nduration_seconds = 1h\n");
        let e = resolve_err(&c, "r", &opts(&["r"], &[]));
        let msg = e.to_string();
        assert!(
            msg.starts_with("~/.aws/config:5: `duration_seconds = 1h` in [profile r]"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_session_tags_point_at_file_and_line_or_variable() {
        let c = config("[profile r]\nrole_arn=arn:r\nsession_tags = a=b,c\n");
        let e = resolve_err(&c, "r", &opts(&["r"], &[]));
        assert!(
            e.to_string().starts_with("~/.aws/config:3: session tags"),
            "{e}"
        );
        let c = config("[profile r]\n");
        let e = resolve_err(&c, "r", &opts(&["r"], &[("AWS_SESSION_TAGS", "x")]));
        assert!(e.to_string().contains("AWS_SESSION_TAGS"), "{e}");
    }

    #[test]
    fn sso_session_section_supplies_start_url_region_and_scopes() {
        let c = config(EXAMPLE);
        let p = resolve(&c, "with-sso-session", &opts(&[], &[]));
        assert_eq!(p.sso_session.as_deref(), Some("moon-sso"));
        assert_eq!(
            p.sso_start_url.as_deref(),
            Some("https://d-123456789.example.com/start")
        );
        assert_eq!(p.sso_region.as_deref(), Some("moon-2"));
        assert_eq!(
            p.sso_registration_scopes.as_deref(),
            Some("sso:account:access")
        );
        assert_eq!(p.sso_account_id.as_deref(), Some("123456"));
    }

    #[test]
    fn endpoint_urls_from_profile_and_env() {
        let c = config("[profile p]\nendpoint_url = http://localhost:4566\n");
        let p = resolve(&c, "p", &opts(&["p"], &[]));
        assert_eq!(p.endpoint_url.as_deref(), Some("http://localhost:4566"));
        assert_eq!(p.sts_endpoint_url.as_deref(), Some("http://localhost:4566"));
        let p = resolve(
            &c,
            "p",
            &opts(&["p"], &[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")]),
        );
        assert_eq!(
            p.sts_endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000"),
            "env beats file"
        );
        let env = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5001"),
        ];
        let p = resolve(&c, "p", &opts(&["p"], &env));
        assert_eq!(p.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(
            p.sts_endpoint_url.as_deref(),
            Some("http://127.0.0.1:5001"),
            "STS-specific wins"
        );
        let p = resolve(
            &c,
            "p",
            &opts(
                &["p"],
                &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"), env[1]],
            ),
        );
        assert_eq!((p.endpoint_url, p.sts_endpoint_url), (None, None));
    }

    #[test]
    fn profile_names_sorted_deduplicated_without_other_sections() {
        let c = config(
            "[default]\noutput=json\n[profile b]\n[sso-session s]\nsso_region=x\n\
         [services t]\n[profile a]\n[profile b]\nregion=x\n[plugins]\n",
        );
        assert_eq!(
            c.profile_names(),
            vec!["a", "b"],
            "a [default] with only output is not listed"
        );
        let c = config("[default]\nregion=eu-west-1\n[profile a]\n");
        assert_eq!(c.profile_names(), vec!["a", "default"]);
    }

    #[test]
    fn real_world_file_parses_and_resolves() {
        let dir = stsvault_test_support::repo_root().join("core/tests/fixtures/config");
        let c = Config::from_paths(
            &dir.join("real_world_config"),
            &dir.join("real_world_credentials"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.profile_names(),
            vec!["default", "jon", "prod-admin", "readonly", "sso-dev"]
        );
        assert_eq!(c.credentials_profile_names(), vec!["legacy"]);
        let o = opts(&["jon"], &[]);
        let jon = resolve(&c, "jon", &o);
        assert_eq!(
            jon.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/jon")
        );
        assert_eq!(
            jon.region.as_deref(),
            Some("eu-west-1"),
            "nested Region is not the region"
        );
        let admin = resolve(&c, "prod-admin", &o);
        assert_eq!(admin.mfa_serial, jon.mfa_serial, "included from jon");
        assert_eq!(admin.assume_role_duration, HOUR);
        assert_eq!(
            admin
                .session_tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            vec!["env=prod", "team=platform"]
        );
        assert!(
            admin.source_profile.is_none(),
            "no source_profile: stored keys or nothing"
        );
        let ro = resolve(&c, "readonly", &o);
        assert_eq!(ro.region.as_deref(), Some("ap-southeast-2"));
        let sso = resolve(&c, "sso-dev", &o);
        assert_eq!(
            sso.sso_start_url.as_deref(),
            Some("https://corp.awsapps.com/start")
        );
        assert_eq!(sso.sso_region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn load_uses_aws_config_file_and_missing_files_are_empty() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("my-config");
        std::fs::write(&path, "[profile x]\nregion=eu-north-1\n").unwrap_or_else(|e| panic!("{e}"));
        let env = EnvVars::from_pairs([
            ("AWS_CONFIG_FILE", path.to_string_lossy().to_string()),
            (
                "HOME",
                dir.path().join("nohome").to_string_lossy().to_string(),
            ),
        ]);
        let c = Config::load_with_env(&env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.config_path(), path);
        assert_eq!(
            c.credentials_path(),
            dir.path().join("nohome/.aws/credentials")
        );
        assert_eq!(c.profile_names(), vec!["x"]);
        let env = EnvVars::from_pairs([(
            "HOME",
            dir.path().join("nohome").to_string_lossy().to_string(),
        )]);
        let c = Config::load_with_env(&env).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.profile_names().is_empty());
    }

    #[test]
    fn syntax_error_in_a_file_names_the_real_path_and_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "[profile x]\nregion=eu-north-1\nthis is not a setting\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let e = match Config::from_paths(&path, &dir.path().join("credentials")) {
            Ok(_) => panic!("should fail"),
            Err(e) => e,
        };
        assert!(
            e.to_string()
                .starts_with(&format!("{}:3: ", path.display())),
            "{e}"
        );
    }

    #[test]
    fn add_profile_then_resolve() {
        let mut c = config(EXAMPLE);
        c.add_profile(
            "llamas",
            &[
                ("mfa_serial", "testserial"),
                ("region", "us-east-1"),
                ("source_profile", "default"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let p = resolve(&c, "llamas", &opts(&["default"], &[]));
        assert_eq!(p.mfa_serial.as_deref(), Some("testserial"));
        assert_eq!(p.source_profile.map(|s| s.name).as_deref(), Some("default"));
        assert!(c.profile_names().contains(&"llamas".to_string()));
    }
}
