//! Plans: which STS calls a profile makes, as aws-vault 7's `TempCredentialsCreator` decides.
//! Each test asserts the whole plan, so any change in a step, an MFA, a duration or the caching
//! shows up.

// In a `config` module so that `cargo test -p stsvault config` runs these too.
mod config {

    use std::collections::BTreeSet;
    use std::path::Path;
    use std::time::Duration;

    use stsvault::config::plan::{KeyOrigin, Mfa, Plan, PlanOptions, SsoEndpoints, StsEndpoint};
    use stsvault::config::{
        Config, ConfigError, EnvVars, MfaToken, ProfileOverrides, ResolveOptions,
    };

    const HOUR: Duration = Duration::from_secs(3600);
    const SERIAL: &str = "arn:aws:iam::111111111111:mfa/jon";

    fn plan_with(
        config: &str,
        profile: &str,
        stored: &[&str],
        env: &[(&str, &str)],
        opts: &PlanOptions,
    ) -> Result<Plan, ConfigError> {
        let c =
            Config::from_strs(config, "").unwrap_or_else(|e| panic!("config should parse: {e}"));
        let stored_set: BTreeSet<String> = stored.iter().map(|s| s.to_string()).collect();
        let resolve = ResolveOptions {
            stored: stored_set.clone(),
            env: EnvVars::from_pairs(env.iter().copied()),
            overrides: ProfileOverrides::default(),
        };
        let p = c.resolve(profile, &resolve)?;
        Plan::build(&p, &|name| stored_set.contains(name), opts)
    }

    fn plan(config: &str, profile: &str, stored: &[&str], opts: &PlanOptions) -> Plan {
        plan_with(config, profile, stored, &[], opts)
            .unwrap_or_else(|e| panic!("plan for {profile}: {e}"))
    }

    fn stored(profile: &str) -> Box<Plan> {
        Box::new(Plan::StoredKeys {
            profile: profile.into(),
        })
    }

    fn mfa(serial: &str) -> Option<Mfa> {
        Some(Mfa {
            serial: serial.into(),
            process: None,
            token: None,
        })
    }

    fn sts(region: Option<&str>) -> StsEndpoint {
        StsEndpoint {
            region: region.map(String::from),
            ..StsEndpoint::default()
        }
    }

    fn assume_role(
        profile: &str,
        source: Box<Plan>,
        role: &str,
        mfa: Option<Mfa>,
        cache: bool,
    ) -> Plan {
        Plan::AssumeRole {
            profile: profile.into(),
            source,
            role_arn: role.into(),
            role_session_name: None,
            external_id: None,
            mfa,
            duration: Some(HOUR),
            session_tags: vec![],
            transitive_session_tags: vec![],
            source_identity: None,
            sts: sts(None),
            cache,
        }
    }

    fn key(kind: &str, profile: &str, serial: &str) -> Option<(String, String, String)> {
        Some((kind.into(), profile.into(), serial.into()))
    }

    const ROLES: &str = "
[profile jon]
mfa_serial = arn:aws:iam::111111111111:mfa/jon
region = eu-west-1

[profile role1]
source_profile = jon
role_arn = arn:aws:iam::222222222222:role/role1
mfa_serial = arn:aws:iam::111111111111:mfa/jon

[profile role2]
source_profile = role1
role_arn = arn:aws:iam::333333333333:role/role2
mfa_serial = arn:aws:iam::111111111111:mfa/jon

[profile nomfa-role]
source_profile = jon
role_arn = arn:aws:iam::222222222222:role/nomfa

[profile plain]

[profile mfa-role-plain-source]
source_profile = plain
role_arn = arn:aws:iam::222222222222:role/r
mfa_serial = arn:aws:iam::111111111111:mfa/jon

[profile long-role]
source_profile = jon
role_arn = arn:aws:iam::222222222222:role/long
mfa_serial = arn:aws:iam::111111111111:mfa/jon
duration_seconds = 7200
";

    #[test]
    fn stored_keys_with_mfa_and_no_role_get_a_session_token_with_mfa() {
        let p = plan(ROLES, "jon", &["jon"], &PlanOptions::default());
        assert_eq!(
            p,
            Plan::GetSessionToken {
                profile: "jon".into(),
                source: stored("jon"),
                mfa: mfa(SERIAL),
                duration: HOUR,
                sts: sts(Some("eu-west-1")),
                cache: true,
            }
        );
        assert_eq!(p.cache_key(), key("sts.GetSessionToken", "jon", SERIAL));
        assert!(p.needs_mfa());
    }

    #[test]
    fn stored_keys_without_mfa_still_get_a_session_token_unless_no_session() {
        let p = plan(ROLES, "plain", &["plain"], &PlanOptions::default());
        assert_eq!(
            p,
            Plan::GetSessionToken {
                profile: "plain".into(),
                source: stored("plain"),
                mfa: None,
                duration: HOUR,
                sts: sts(None),
                cache: true,
            }
        );
        assert_eq!(p.cache_key(), key("sts.GetSessionToken", "plain", ""));
        let opts = PlanOptions {
            no_session: true,
            ..PlanOptions::default()
        };
        let p = plan(ROLES, "plain", &["plain"], &opts);
        assert_eq!(p, *stored("plain"));
        assert_eq!(p.cache_key(), None);
    }

    #[test]
    fn role_sharing_the_source_mfa_uses_a_chained_session_token() {
        let p = plan(ROLES, "role1", &["jon"], &PlanOptions::default());
        let session = Box::new(Plan::GetSessionToken {
            profile: "jon".into(),
            source: stored("jon"),
            mfa: mfa(SERIAL),
            duration: 8 * HOUR,
            sts: sts(Some("eu-west-1")),
            cache: true,
        });
        assert_eq!(
            p,
            assume_role(
                "role1",
                session,
                "arn:aws:iam::222222222222:role/role1",
                None,
                true
            )
        );
        assert!(p.is_cached(), "the role session is cached too");
        assert_eq!(
            p.cache_key(),
            None,
            "under stsvault's own key (cache::role), never aws-vault's"
        );
        assert_eq!(
            p.source().and_then(Plan::cache_key),
            key("sts.GetSessionToken", "jon", SERIAL),
            "every role sharing jon's MFA reuses this one session"
        );
    }

    #[test]
    fn role_with_mfa_whose_source_has_none_sends_mfa_on_assume_role() {
        let p = plan(
            ROLES,
            "mfa-role-plain-source",
            &["plain"],
            &PlanOptions::default(),
        );
        assert_eq!(
            p,
            assume_role(
                "mfa-role-plain-source",
                stored("plain"),
                "arn:aws:iam::222222222222:role/r",
                mfa(SERIAL),
                true
            )
        );
        assert_eq!(
            p.cache_key(),
            key("sts.AssumeRole", "mfa-role-plain-source", SERIAL)
        );
    }

    #[test]
    fn role_with_a_different_mfa_than_its_source_sends_its_own() {
        let config = format!(
            "[profile base]\nmfa_serial={SERIAL}\n\
             [profile r]\nsource_profile=base\nrole_arn=arn:r\nmfa_serial=arn:other\n"
        );
        let p = plan(&config, "r", &["base"], &PlanOptions::default());
        assert_eq!(
            p,
            assume_role("r", stored("base"), "arn:r", mfa("arn:other"), true)
        );
        assert_eq!(p.cache_key(), key("sts.AssumeRole", "r", "arn:other"));
    }

    #[test]
    fn role_without_mfa_assumes_directly_with_master_keys() {
        let p = plan(ROLES, "nomfa-role", &["jon"], &PlanOptions::default());
        assert_eq!(
            p,
            assume_role(
                "nomfa-role",
                stored("jon"),
                "arn:aws:iam::222222222222:role/nomfa",
                None,
                true
            )
        );
        assert!(!p.needs_mfa());
        assert_eq!(p.cache_key(), None);
    }

    #[test]
    fn no_session_makes_the_role_send_mfa_itself() {
        let opts = PlanOptions {
            no_session: true,
            ..PlanOptions::default()
        };
        let p = plan(ROLES, "role1", &["jon"], &opts);
        assert_eq!(
            p,
            assume_role(
                "role1",
                stored("jon"),
                "arn:aws:iam::222222222222:role/role1",
                mfa(SERIAL),
                true
            )
        );
    }

    #[test]
    fn chains_of_any_depth_use_one_mfa_code() {
        let p = plan(ROLES, "role2", &["jon"], &PlanOptions::default());
        let session = Box::new(Plan::GetSessionToken {
            profile: "jon".into(),
            source: stored("jon"),
            mfa: mfa(SERIAL),
            duration: 8 * HOUR,
            sts: sts(Some("eu-west-1")),
            cache: true,
        });
        let role1 = Box::new(assume_role(
            "role1",
            session,
            "arn:aws:iam::222222222222:role/role1",
            None,
            true,
        ));
        assert_eq!(
            p,
            assume_role(
                "role2",
                role1,
                "arn:aws:iam::333333333333:role/role2",
                None,
                true
            )
        );
        assert_eq!(p.stored_keys_profile(), Some("jon"));
        assert_eq!(
            p.steps().iter().map(|s| s.profile()).collect::<Vec<_>>(),
            vec!["jon", "jon", "role1", "role2"]
        );
        assert_eq!(
            p.describe(),
            "stored keys of jon -> GetSessionToken (jon, MFA arn:aws:iam::111111111111:mfa/jon, 8h, \
         cached) -> AssumeRole arn:aws:iam::222222222222:role/role1 (role1, MFA via source \
         session, 1h, cached) -> AssumeRole arn:aws:iam::333333333333:role/role2 (role2, MFA via \
         source session, 1h, cached)"
        );
    }

    #[test]
    fn role_longer_than_one_hour_skips_the_session_token() {
        let p = plan(ROLES, "long-role", &["jon"], &PlanOptions::default());
        let Plan::AssumeRole {
            source,
            mfa: m,
            duration,
            cache,
            ..
        } = &p
        else {
            panic!("expected AssumeRole, got {p:?}");
        };
        assert_eq!(**source, *stored("jon"));
        assert_eq!(*m, mfa(SERIAL));
        assert_eq!(*duration, Some(2 * HOUR));
        assert!(*cache);
    }

    #[test]
    fn exec_duration_applies_to_roles_and_blocks_chaining_above_one_hour() {
        let opts = PlanOptions {
            session_duration: Some(2 * HOUR),
            ..PlanOptions::default()
        };
        let p = plan(ROLES, "role1", &["jon"], &opts);
        let Plan::AssumeRole {
            source,
            mfa: m,
            duration,
            ..
        } = &p
        else {
            panic!("expected AssumeRole, got {p:?}");
        };
        assert_eq!(
            **source,
            *stored("jon"),
            "2h > role chaining maximum: no GetSessionToken"
        );
        assert_eq!(*m, mfa(SERIAL));
        assert_eq!(*duration, Some(2 * HOUR));
        let p = plan(ROLES, "jon", &["jon"], &opts);
        assert!(matches!(p, Plan::GetSessionToken { duration, .. } if duration == 2 * HOUR));
    }

    #[test]
    fn session_token_ttl_env_vars() {
        let env = [
            ("AWS_SESSION_TOKEN_TTL", "4h"),
            ("AWS_CHAINED_SESSION_TOKEN_TTL", "12h"),
        ];
        let p = plan_with(ROLES, "jon", &["jon"], &env, &PlanOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(p, Plan::GetSessionToken { duration, .. } if duration == 4 * HOUR),
            "{p:?}"
        );
        let p = plan_with(ROLES, "role1", &["jon"], &env, &PlanOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(p.source(), Some(Plan::GetSessionToken { duration, .. }) if *duration == 12 * HOUR),
            "{p:?}"
        );
    }

    #[test]
    fn aws_mfa_serial_env_makes_every_profile_share_the_mfa() {
        let config = "[profile base]\n[profile r]\nsource_profile=base\nrole_arn=arn:r\n";
        let p = plan_with(
            config,
            "r",
            &["base"],
            &[("AWS_MFA_SERIAL", SERIAL)],
            &PlanOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&p, Plan::AssumeRole { mfa: None, .. }), "{p:?}");
        assert!(
            matches!(p.source(), Some(Plan::GetSessionToken { mfa: Some(m), .. }) if m.serial == SERIAL),
            "{p:?}"
        );
    }

    #[test]
    fn profile_without_role_over_stored_source_uses_its_own_mfa_session() {
        // aws-vault quirk: the source's GetSessionToken is skipped (the profile above it has an MFA
        // the source lacks), then the profile itself takes a session with the source's keys.
        let config =
            format!("[profile base]\n[profile p]\nsource_profile=base\nmfa_serial={SERIAL}\n");
        let p = plan(&config, "p", &["base"], &PlanOptions::default());
        assert_eq!(
            p,
            Plan::GetSessionToken {
                profile: "p".into(),
                source: stored("base"),
                mfa: mfa(SERIAL),
                duration: HOUR,
                sts: sts(None),
                cache: true,
            }
        );
    }

    #[test]
    fn stored_keys_beat_source_profile() {
        let config = "[profile base]\n[profile p]\nsource_profile=base\n";
        let p = plan(config, "p", &["base", "p"], &PlanOptions::default());
        assert!(
            matches!(&p, Plan::GetSessionToken { profile, source, .. }
        if profile == "p" && **source == *stored("p")),
            "{p:?}"
        );
    }

    #[test]
    fn disable_sessions_for_profile_like_login() {
        let opts = PlanOptions {
            disable_sessions_for_profile: Some("jon".into()),
            ..PlanOptions::default()
        };
        assert_eq!(plan(ROLES, "jon", &["jon"], &opts), *stored("jon"));
        // It names one profile: `login role1` disables sessions for role1, not for its source.
        let opts = PlanOptions {
            disable_sessions_for_profile: Some("role1".into()),
            ..PlanOptions::default()
        };
        let p = plan(ROLES, "role1", &["jon"], &opts);
        assert!(
            matches!(p.source(), Some(Plan::GetSessionToken { .. })),
            "{p:?}"
        );
        assert_eq!(
            plan(ROLES, "jon", &["jon"], &opts).cache_key(),
            key("sts.GetSessionToken", "jon", SERIAL)
        );
    }

    #[test]
    fn no_cache_turns_caching_off_everywhere() {
        let opts = PlanOptions {
            no_cache: true,
            ..PlanOptions::default()
        };
        let p = plan(ROLES, "role1", &["jon"], &opts);
        assert!(
            !p.is_cached() && p.source().is_some_and(|s| !s.is_cached()),
            "{p:?}"
        );
        assert_eq!(p.source().and_then(Plan::cache_key), None);
    }

    #[test]
    fn role_settings_reach_the_assume_role_step() {
        let config = "[profile base]\nregion=eu-west-1\n\
        [profile r]\nsource_profile=base\nrole_arn=arn:r\nrole_session_name=me\nexternal_id=ext\n\
        session_tags=b=2,a=1\ntransitive_session_tags=a\nsource_identity=alice\n\
        region=us-east-2\nsts_regional_endpoints=legacy\nmfa_serial=m\nmfa_process=pass otp aws\n";
        let env = [("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000")];
        let p = plan_with(config, "r", &["base"], &env, &PlanOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p,
            Plan::AssumeRole {
                profile: "r".into(),
                source: stored("base"),
                role_arn: "arn:r".into(),
                role_session_name: Some("me".into()),
                external_id: Some("ext".into()),
                mfa: Some(Mfa {
                    serial: "m".into(),
                    process: Some("pass otp aws".into()),
                    token: None
                }),
                duration: Some(HOUR),
                session_tags: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
                transitive_session_tags: vec!["a".into()],
                source_identity: Some("alice".into()),
                sts: StsEndpoint {
                    region: Some("us-east-2".into()),
                    regional_endpoints: Some("legacy".into()),
                    endpoint_url: Some("http://127.0.0.1:5000".into()),
                },
                cache: true,
            }
        );
    }

    #[test]
    fn mfa_token_override_reaches_the_mfa_step_and_is_not_printed() {
        let c = Config::from_strs(ROLES, "").unwrap_or_else(|e| panic!("{e}"));
        let o = ResolveOptions {
            stored: ["jon".to_string()].into_iter().collect(),
            overrides: ProfileOverrides {
                mfa_token: Some(MfaToken::new("123456")),
                ..ProfileOverrides::default()
            },
            ..ResolveOptions::default()
        };
        let p = c.resolve("role1", &o).unwrap_or_else(|e| panic!("{e}"));
        let plan = Plan::build(&p, &|n| n == "jon", &PlanOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(Plan::GetSessionToken { mfa: Some(m), .. }) = plan.source() else {
            panic!("expected an MFA session, got {plan:?}");
        };
        assert_eq!(m.token.as_ref().map(MfaToken::expose), Some("123456"));
        assert!(!format!("{plan:?}").contains("123456"));
    }

    #[test]
    fn web_identity_plan() {
        let config = "[profile role2]\nrole_arn = arn:aws:iam::33333333333:role/role2\n\
        web_identity_token_process = oidccli raw\nregion=eu-west-1\n\
        [profile file]\nrole_arn = arn:f\nweb_identity_token_file = /var/run/token\n\
        role_session_name = ci\nduration_seconds = 900\n";
        let p = plan(config, "role2", &[], &PlanOptions::default());
        assert_eq!(
            p,
            Plan::AssumeRoleWithWebIdentity {
                profile: "role2".into(),
                role_arn: "arn:aws:iam::33333333333:role/role2".into(),
                role_session_name: None,
                token_file: None,
                token_process: Some("oidccli raw".into()),
                duration: Some(HOUR),
                sts: sts(Some("eu-west-1")),
                cache: true,
            }
        );
        assert_eq!(
            p.cache_key(),
            key("sts.AssumeRoleWithWebIdentity", "role2", "")
        );
        let p = plan(config, "file", &[], &PlanOptions::default());
        assert!(
            matches!(&p, Plan::AssumeRoleWithWebIdentity { token_file: Some(f), duration: Some(d), role_session_name: Some(n), .. }
        if f.as_path() == Path::new("/var/run/token") && *d == Duration::from_secs(900) && n == "ci"),
            "{p:?}"
        );
    }

    #[test]
    fn sso_plan_via_source_profile_without_role() {
        // aws-vault issue 1195: a profile whose source is an SSO profile uses the source's SSO.
        let config = "[profile test]\nsource_profile=dev\nregion=ap-northeast-2\n\
        [profile dev]\nsso_session=common\nsso_account_id=2160xxxx\nsso_role_name=AdministratorAccess\n\
        [default]\nsso_session=common\nsso_account_id=3701xxxx\nsso_role_name=AdministratorAccess\n\
        [sso-session common]\nsso_start_url=https://xxxx.awsapps.com/start\nsso_region=ap-northeast-2\n\
        sso_registration_scopes=sso:account:access\n";
        let p = plan(config, "test", &[], &PlanOptions::default());
        assert_eq!(
            p,
            Plan::Sso {
                profile: "dev".into(),
                start_url: "https://xxxx.awsapps.com/start".into(),
                sso_region: "ap-northeast-2".into(),
                account_id: "2160xxxx".into(),
                role_name: "AdministratorAccess".into(),
                session_name: Some("common".into()),
                registration_scopes: Some("sso:account:access".into()),
                endpoints: SsoEndpoints::default(),
                use_stdout: false,
                cache: true,
            }
        );
        assert_eq!(
            p.cache_key(),
            key(
                "sso.GetRoleCredentials",
                "dev",
                "https://xxxx.awsapps.com/start"
            )
        );
    }

    #[test]
    fn plain_keys_in_the_credentials_file_are_used_unless_the_vault_has_keys() {
        let config = format!(
            "[profile longlived]\nmfa_serial = {SERIAL}\n[profile session]\nmfa_serial = {SERIAL}\n\
             [profile sso]\nsso_start_url = https://x/start\nsso_region = eu-west-1\n\
             sso_account_id = 1\nsso_role_name = R\n"
        );
        let credentials = "[longlived]\naws_access_key_id = AKIDLONG\naws_secret_access_key = s\n\
             [session]\naws_access_key_id = ASIDSESSION\naws_secret_access_key = s\naws_session_token = t\n\
             [sso]\naws_access_key_id = AKIDSSO\naws_secret_access_key = s\n";
        let c = Config::from_strs(&config, credentials).unwrap_or_else(|e| panic!("{e}"));
        let build = |profile: &str, stored: &[&str]| {
            let stored_set: BTreeSet<String> = stored.iter().map(|s| s.to_string()).collect();
            let resolve = ResolveOptions {
                stored: stored_set.clone(),
                ..Default::default()
            };
            let p = c
                .resolve(profile, &resolve)
                .unwrap_or_else(|e| panic!("{e}"));
            Plan::build(&p, &|n| stored_set.contains(n), &PlanOptions::default())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let file = |profile: &str| {
            Box::new(Plan::StaticKeys {
                profile: profile.into(),
                origin: KeyOrigin::CredentialsFile,
            })
        };
        // Long-lived file keys get a GetSessionToken like vault keys do.
        assert!(
            matches!(build("longlived", &[]), Plan::GetSessionToken { source, .. } if source == file("longlived"))
        );
        // Keys that are a session already are passed on as they are.
        assert_eq!(build("session", &[]), *file("session"));
        // The vault's keys win over the file's.
        assert!(
            matches!(build("longlived", &["longlived"]), Plan::GetSessionToken { source, .. } if source == stored("longlived"))
        );
        // SSO comes before file keys, as in the SDKs.
        assert!(matches!(build("sso", &[]), Plan::Sso { .. }));
    }

    #[test]
    fn credential_process_plan() {
        // aws-vault issue 1176.
        let config = "[profile my-shared-base-profile]\n\
        credential_process=aws-vault exec my-shared-base-profile -j\n\
        mfa_serial=arn:aws:iam::1234567890:mfa/danielholz\nregion=eu-west-1\n";
        let p = plan(
            config,
            "my-shared-base-profile",
            &[],
            &PlanOptions::default(),
        );
        assert_eq!(
            p,
            Plan::CredentialProcess {
                profile: "my-shared-base-profile".into(),
                command: "aws-vault exec my-shared-base-profile -j".into(),
                cache: true,
            }
        );
        assert_eq!(
            p.cache_key(),
            key("credential_process", "my-shared-base-profile", "")
        );
    }

    #[test]
    fn plan_errors_say_what_is_missing() {
        let e = plan_with(
            "[profile r]\nrole_arn=arn:r\n",
            "r",
            &[],
            &[],
            &PlanOptions::default(),
        )
        .expect_err("no credentials");
        assert!(matches!(e, ConfigError::NoCredentials { .. }), "{e}");
        assert!(e.to_string().contains("stsvault add r"), "{e}");
        let e = plan_with(
            "[profile w]\nweb_identity_token_file=/t\n",
            "w",
            &[],
            &[],
            &PlanOptions::default(),
        )
        .expect_err("no role");
        assert!(
            matches!(e, ConfigError::WebIdentityWithoutRole { .. }),
            "{e}"
        );
        let e = plan_with(
            "[profile s]\nsso_start_url=https://x\nsso_region=r\n",
            "s",
            &[],
            &[],
            &PlanOptions::default(),
        )
        .expect_err("incomplete sso");
        assert!(
            e.to_string()
                .contains("lacks sso_account_id, sso_role_name"),
            "{e}"
        );
        let e = plan_with(
            "[profile s]\nsso_session=nope\n",
            "s",
            &[],
            &[],
            &PlanOptions::default(),
        )
        .expect_err("missing sso-session");
        assert!(e.to_string().contains("[sso-session nope]"), "{e}");
    }
}
