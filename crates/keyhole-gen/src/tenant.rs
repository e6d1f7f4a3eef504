//! The simulated tenant: vaults in several subscriptions and resource groups, users, applications,
//! first-party Microsoft principals, and the accounts the attack plan will abuse ("victims": they
//! have an ordinary benign history until their attack day).

use crate::record::VaultProps;
use crate::rng::Rng;
use crate::GenConfig;
use std::sync::Arc;

use crate::record::VaultRef;

pub const APPID_PORTAL: &str = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c";
pub const APPID_AZ_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
pub const APPID_POWERSHELL: &str = "1950a258-227b-4e31-a9cf-717495945fc2";
pub const APPID_RESOURCE_GRAPH: &str = "509e4652-da8d-478d-a730-e9d4a1996ca4";
pub const APPID_POLICY_INSIGHTS: &str = "8cae6e77-e04e-42ce-b5cb-50d82bce26b1";
pub const CLIENT_RESOURCE_GRAPH: &str =
    "AzureResourceGraph.IngestionWorkerService.global/1.24.1.672";
pub const CLIENT_POLICY_INSIGHTS: &str = "Microsoft.PolicyInsights.DataPlaneEvaluation/1.0";
pub const UA_PORTAL: &str = "Mozilla/5.0";
pub const UA_BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0";
pub const UA_AZ_CLI: &str = "AZURECLI/2.64.0 (DEB) azsdk-python-core/1.31.0 Python/3.11.10 (Linux-6.5.0-1025-azure-x86_64-with-glibc2.35)";
pub const UA_AZ_CLI_ARM: &str = "AZURECLI/2.64.0 (DEB)";
pub const UA_POWERSHELL: &str = "PowerShell/7.4.5 Az.KeyVault/6.2.0";

/// How a principal talks to the data plane.
#[derive(Clone, Debug)]
pub struct Client {
    pub appid: Arc<str>,
    pub client_info: Arc<str>,
    /// SDK clients receive the unauthenticated `Authentication` 401 first.
    pub sdk: bool,
}

/// A vault and what is stored in it.
#[derive(Clone, Debug)]
pub struct Vault {
    pub r: Arc<VaultRef>,
    pub secrets: Vec<String>,
    pub keys: Vec<String>,
    pub certs: Vec<String>,
    pub initial: VaultProps,
}

/// A user's working relationship with one vault.
#[derive(Clone, Debug)]
pub struct UserVault {
    pub vault: usize,
    /// Indices into the vault's secrets: the only secrets this user reads.
    pub secrets: Vec<usize>,
    pub keys: Vec<usize>,
    pub certs: Vec<usize>,
}

/// A human user.
#[derive(Clone, Debug)]
pub struct User {
    pub upn: Arc<str>,
    pub oid: Arc<str>,
    /// Caller IP texts; `ips[0]` is the office egress, others home (IPv4 or IPv6).
    pub ips: Vec<Arc<str>>,
    pub client: Client,
    pub vaults: Vec<UserVault>,
    /// Mean operations on a weekday.
    pub mean: f64,
    /// Operation names this user performs.
    pub repertoire: Vec<&'static str>,
    pub utc_offset_hours: i64,
    /// A secret name this user mistypes now and then (404).
    pub missing: String,
    pub tls: &'static str,
}

/// What an application reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppKind {
    /// Reads its secrets on every refresh.
    Secrets,
    /// Customer-managed key: KeyGet + KeyUnwrap on every refresh.
    Cmk,
}

/// A service principal or managed identity (app-only tokens, no upn).
#[derive(Clone, Debug)]
pub struct App {
    pub name: String,
    pub oid: Arc<str>,
    pub appid: Arc<str>,
    pub ip: Arc<str>,
    pub client_info: Arc<str>,
    pub vault: usize,
    pub kind: AppKind,
    pub secrets: Vec<usize>,
    pub keys: Vec<usize>,
    pub period_min: u32,
    pub phase_min: u32,
    /// An optional secret the app asks for that does not exist (404 on every refresh).
    pub missing: Option<String>,
    /// New SDK client (401 challenge) on every refresh (functions, jobs) or once a day.
    pub challenge_every_refresh: bool,
    pub tls: &'static str,
    /// Rotates its first secret once a day (SecretSet).
    pub rotates: bool,
}

/// The whole tenant.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub tenant_id: String,
    pub domain: &'static str,
    pub vaults: Vec<Vault>,
    pub users: Vec<User>,
    /// Portal administrators (VaultGet sweeps, SecretList, occasional no-op VaultPatch).
    pub admins: Vec<User>,
    /// Ordinary users whose accounts the attack plan abuses (index = victim role).
    pub victims: Vec<User>,
    pub apps: Vec<App>,
    pub arg_oid: Arc<str>,
    pub policy_oid: Arc<str>,
    pub microsoft_ips: Vec<Arc<str>>,
}

const AREAS: &[&str] = &[
    "payments",
    "web",
    "data",
    "identity",
    "billing",
    "crm",
    "analytics",
    "mobile",
    "search",
    "hr",
    "iot",
    "ml",
    "ledger",
    "shipping",
    "catalog",
    "notify",
    "backup",
    "devops",
    "partner",
    "gateway",
];
const ENVS: &[&str] = &["prod", "dev", "test", "stg"];
const REGIONS: &[&str] = &["westeurope", "northeurope", "francecentral", "eastus2"];

const SECRET_NAMES: &[&str] = &[
    "sql-connection-string",
    "storage-account-key",
    "redis-password",
    "stripe-api-key",
    "jwt-signing-secret",
    "smtp-password",
    "cosmos-primary-key",
    "servicebus-connection",
    "appinsights-connection",
    "github-pat",
    "sendgrid-api-key",
    "oauth-client-secret",
    "postgres-admin-password",
    "eventhub-connection",
    "blob-sas-token",
    "datadog-api-key",
    "pagerduty-token",
    "slack-webhook-url",
    "twilio-auth-token",
    "mongodb-uri",
    "elastic-password",
    "rabbitmq-password",
    "acr-pull-token",
    "aad-client-secret",
    "payment-gateway-key",
    "encryption-passphrase",
    "ldap-bind-password",
    "ftp-password",
    "sftp-private-key",
    "graph-api-secret",
    "salesforce-token",
    "hubspot-api-key",
    "openai-api-key",
    "maps-subscription-key",
    "cdn-signing-key",
    "webhook-hmac-secret",
    "session-cookie-secret",
    "vpn-preshared-key",
    "backup-encryption-key",
    "sap-rfc-password",
    "kafka-sasl-password",
    "snowflake-password",
    "docker-registry-password",
    "npm-token",
];
const KEY_NAMES: &[&str] = &[
    "cmk-storage",
    "signing-key",
    "tde-protector",
    "jwt-rsa",
    "data-encryption",
];
const CERT_NAMES: &[&str] = &[
    "wildcard-contoso-com",
    "api-gateway-tls",
    "client-auth",
    "sso-saml",
];
const FIRST: &[&str] = &[
    "anna", "ben", "carla", "david", "elena", "felix", "grace", "hugo", "ines", "jonas", "katrin",
    "lucas", "maria", "nils", "olga", "paul", "quentin", "rosa", "sven", "tara", "umar", "vera",
    "william", "xenia", "yusuf", "zoe", "amir", "bianca", "chen", "dana",
];
const LAST: &[&str] = &[
    "schmidt",
    "martin",
    "rossi",
    "dubois",
    "novak",
    "jensen",
    "garcia",
    "muller",
    "kowalski",
    "silva",
    "berg",
    "costa",
    "weber",
    "moreau",
    "fischer",
    "lindqvist",
    "horvat",
    "brown",
    "nagy",
    "ozturk",
    "keller",
    "meyer",
    "smith",
    "laurent",
];
const APP_NAMES: &[&str] = &[
    "orders-api",
    "checkout-func",
    "reporting-job",
    "web-frontend",
    "etl-pipeline",
    "auth-service",
    "notification-worker",
    "search-indexer",
    "billing-batch",
    "mobile-backend",
    "inventory-sync",
    "crm-connector",
    "ml-scoring",
    "gateway-proxy",
    "audit-exporter",
    "config-loader",
];
const SDK_CLIENTS: &[&str] = &[
    "azsdk-net-Security.KeyVault.Secrets/4.6.0 (.NET 8.0.8; Linux 5.15.0-1071-azure #80-Ubuntu SMP)",
    "azsdk-python-keyvault-secrets/4.8.0 Python/3.11.9 (Linux-5.15.0-1073-azure-x86_64-with-glibc2.36)",
    "azsdk-java-azure-security-keyvault-secrets/4.8.6 (17.0.12; Linux; 5.15.0-1071-azure)",
    "azsdk-js-keyvault-secrets/4.8.0 core-rest-pipeline/1.16.3 Node/20.17.0 OS/(x64-Linux-5.15.0-1071-azure)",
    "azsdk-go-azsecrets/v1.1.0 (go1.22.6; linux)",
];
const SDK_KEYS_CLIENT: &str =
    "azsdk-net-Security.KeyVault.Keys/4.6.0 (.NET 8.0.8; Linux 5.15.0-1071-azure #80-Ubuntu SMP)";

/// Number of victim accounts the attack plan uses.
pub const VICTIMS: usize = 19;

fn upper_guid(rng: &mut Rng) -> String {
    rng.guid().to_ascii_uppercase()
}

fn office_ip(rng: &mut Rng, office: usize) -> String {
    const OFFICES: &[(u8, u8)] = &[(147, 161), (194, 165), (62, 31), (81, 2), (213, 61)];
    let (a, b) = OFFICES[office % OFFICES.len()];
    // One egress address per office (NAT), stable.
    let _ = rng;
    format!(
        "{a}.{b}.{}.{}",
        40 + office * 7 % 200,
        10 + office * 13 % 240
    )
}

fn home_ip(rng: &mut Rng) -> String {
    if rng.chance(0.25) {
        format!(
            "2a01:cb00:{:x}:{:x}::{:x}",
            rng.range(0x100, 0xfff),
            rng.range(0x1000, 0xffff),
            rng.range(1, 0xffff)
        )
    } else {
        const HOME: &[u8] = &[86, 90, 92, 109, 176, 178, 217];
        format!(
            "{}.{}.{}.{}",
            rng.pick(HOME),
            rng.range(1, 254),
            rng.range(0, 255),
            rng.range(1, 254)
        )
    }
}

/// An Azure datacenter address (Microsoft range).
fn azure_ip(rng: &mut Rng) -> String {
    const AZ: &[u8] = &[20, 40, 52, 13, 51];
    format!(
        "{}.{}.{}.{}",
        rng.pick(AZ),
        rng.range(30, 230),
        rng.range(0, 255),
        rng.range(1, 254)
    )
}

fn tls(rng: &mut Rng) -> &'static str {
    if rng.chance(0.7) {
        "TLS1_3"
    } else {
        "TLS1_2"
    }
}

fn pick_indices(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut idx);
    idx.truncate(k.min(n));
    idx.sort_unstable();
    idx
}

/// The vault configuration pattern by index: index % 4 = 0 no firewall + RBAC; 1 Deny + access
/// policies; 2 Deny + RBAC; 3 Allow + access policies.
fn vault_props(i: usize, tenant_id: &str, prod: bool) -> VaultProps {
    let (acls, rbac) = match i % 4 {
        0 => (None, true),
        1 => (Some(("AzureServices", "Deny")), false),
        2 => (Some(("AzureServices", "Deny")), true),
        _ => (Some(("AzureServices", "Allow")), false),
    };
    VaultProps {
        sku_name: if prod { "premium" } else { "standard" },
        tenant_id: tenant_id.to_string(),
        network_acls: acls,
        enabled_for_deployment: false,
        enabled_for_disk_encryption: i % 5 == 2,
        enabled_for_template_deployment: i % 3 == 1,
        enable_soft_delete: true,
        soft_delete_retention_days: 90,
        enable_rbac_authorization: rbac,
        enable_purge_protection: if prod || matches!(i % 4, 0) {
            Some(true)
        } else {
            None
        },
    }
}

fn make_user(
    rng: &mut Rng,
    upn: String,
    n_vaults: usize,
    home_vaults: &[usize],
    vaults: &[Vault],
    victim: bool,
) -> User {
    let office = rng.below(5) as usize;
    let mut ips: Vec<Arc<str>> = vec![Arc::from(office_ip(rng, office))];
    if !victim && rng.chance(0.5) {
        ips.push(Arc::from(home_ip(rng)));
    }
    let client = match rng.below(if victim { 2 } else { 3 }) {
        0 => Client {
            appid: Arc::from(APPID_PORTAL),
            client_info: Arc::from(UA_BROWSER),
            sdk: false,
        },
        1 => Client {
            appid: Arc::from(APPID_AZ_CLI),
            client_info: Arc::from(UA_AZ_CLI),
            sdk: true,
        },
        _ => Client {
            appid: Arc::from(APPID_POWERSHELL),
            client_info: Arc::from(UA_POWERSHELL),
            sdk: true,
        },
    };
    let mut uvs = Vec::new();
    for &v in home_vaults.iter().take(n_vaults) {
        let vault = &vaults[v];
        let ws = if victim { 3 } else { rng.range(2, 6) as usize };
        uvs.push(UserVault {
            vault: v,
            secrets: pick_indices(rng, vault.secrets.len(), ws),
            keys: if victim {
                vec![]
            } else {
                pick_indices(rng, vault.keys.len(), 1)
            },
            certs: if victim {
                vec![]
            } else {
                pick_indices(rng, vault.certs.len(), 1)
            },
        });
    }
    let repertoire = if victim {
        vec!["SecretGet", "SecretList", "VaultGet"]
    } else {
        let mut r = vec!["SecretGet", "VaultGet", "SecretList"];
        for op in ["KeyGet", "CertificateGet", "SecretSet", "KeyList"] {
            if rng.chance(0.5) {
                r.push(op);
            }
        }
        r
    };
    User {
        oid: Arc::from(rng.guid()),
        upn: Arc::from(upn),
        ips,
        client,
        vaults: uvs,
        mean: if victim {
            rng.range(8, 12) as f64
        } else {
            rng.range(6, 24) as f64
        },
        repertoire,
        utc_offset_hours: rng.range(0, 2),
        missing: format!("{}-old", rng.pick(SECRET_NAMES)),
        tls: tls(rng),
    }
}

impl Tenant {
    /// Build the tenant of a configuration (deterministic in the seed and the counts).
    pub fn build(cfg: &GenConfig) -> Tenant {
        let mut rng = Rng::stream(cfg.seed, 0x007E_4A47, 0);
        let n_vaults = cfg.vault_count() as usize;
        let n_users = cfg.user_count() as usize;
        let n_apps = cfg.app_count() as usize;
        let tenant_id = rng.guid();
        let n_subs = 3 + n_vaults / 16;
        let subs: Vec<String> = (0..n_subs).map(|_| upper_guid(&mut rng)).collect();

        let mut vaults = Vec::with_capacity(n_vaults);
        for i in 0..n_vaults {
            let area = AREAS[i % AREAS.len()];
            let env = ENVS[(i / AREAS.len() + i) % ENVS.len()];
            let round = i / (AREAS.len() * ENVS.len());
            let name = if round == 0 && i < AREAS.len() * ENVS.len() {
                format!("kv-{area}-{env}")
            } else {
                format!("kv-{area}-{env}-{round:02}")
            };
            let name = if vaults.iter().any(|v: &Vault| v.r.name == name) {
                format!("{name}-{i}")
            } else {
                name
            };
            let rg_display = format!("rg-{area}-{env}");
            let sub = subs[i % n_subs].clone();
            let prod = env == "prod";
            let n_secrets = rng.range(20, SECRET_NAMES.len() as i64) as usize;
            let mut names: Vec<String> = SECRET_NAMES.iter().map(|s| s.to_string()).collect();
            rng.shuffle(&mut names);
            names.truncate(n_secrets);
            let mut keys: Vec<String> = KEY_NAMES.iter().map(|s| s.to_string()).collect();
            rng.shuffle(&mut keys);
            keys.truncate(rng.range(2, KEY_NAMES.len() as i64) as usize);
            let mut certs: Vec<String> = CERT_NAMES.iter().map(|s| s.to_string()).collect();
            rng.shuffle(&mut certs);
            certs.truncate(rng.range(1, CERT_NAMES.len() as i64) as usize);
            vaults.push(Vault {
                r: Arc::new(VaultRef::new(
                    name,
                    sub,
                    rg_display,
                    tenant_id.clone(),
                    REGIONS[i % REGIONS.len()],
                )),
                secrets: names,
                keys,
                certs,
                initial: vault_props(i, &tenant_id, prod),
            });
        }

        let domain = "contoso.com";
        let mut used_upns = std::collections::HashSet::new();
        let mut next_upn = |rng: &mut Rng| -> String {
            let base = format!("{}.{}", rng.pick(FIRST), rng.pick(LAST));
            let mut upn = format!("{base}@{domain}");
            let mut k = 2;
            while used_upns.contains(&upn) {
                upn = format!("{base}{k}@{domain}");
                k += 1;
            }
            used_upns.insert(upn.clone());
            upn
        };

        let mut users = Vec::with_capacity(n_users);
        for _ in 0..n_users {
            let upn = next_upn(&mut rng);
            let k = rng.range(1, 3) as usize;
            let homes = pick_indices(&mut rng, n_vaults, k);
            users.push(make_user(&mut rng, upn, k, &homes, &vaults, false));
        }
        let n_admins = 1 + n_vaults / 16;
        let mut admins = Vec::with_capacity(n_admins);
        for a in 0..n_admins {
            let upn = format!("admin{}.{}@{domain}", a + 1, rng.pick(LAST));
            let mut u = make_user(&mut rng, upn, 0, &[], &vaults, false);
            u.client = Client {
                appid: Arc::from(APPID_PORTAL),
                client_info: Arc::from(UA_PORTAL),
                sdk: false,
            };
            u.repertoire = vec!["VaultGet", "SecretList", "VaultPatch"];
            admins.push(u);
        }
        // Victims: ordinary users on one vault each (never vault 0, the log-gap vault).
        let mut victims = Vec::with_capacity(VICTIMS);
        for j in 0..VICTIMS {
            let upn = next_upn(&mut rng);
            let home = 1 + j % (n_vaults - 1);
            victims.push(make_user(&mut rng, upn, 1, &[home], &vaults, true));
        }

        let mut apps = Vec::with_capacity(n_apps);
        for i in 0..n_apps {
            let primary = i < n_vaults;
            let vault = if primary {
                i
            } else {
                rng.below(n_vaults as u64) as usize
            };
            let nsec = vaults[vault].secrets.len();
            let (kind, secrets, keys, period) = if primary {
                let period = if i == 0 {
                    30
                } else {
                    *rng.pick(&[20u32, 30, 60])
                };
                if i % 5 == 3 {
                    (
                        AppKind::Cmk,
                        vec![],
                        pick_indices(&mut rng, vaults[vault].keys.len(), 1),
                        period,
                    )
                } else {
                    let k = rng.range(1, 2) as usize;
                    (
                        AppKind::Secrets,
                        pick_indices(&mut rng, nsec, k),
                        vec![],
                        period,
                    )
                }
            } else if i == n_vaults {
                // The config loader: reads (up to) 40 secrets eight times a day.
                (
                    AppKind::Secrets,
                    pick_indices(&mut rng, nsec, 40),
                    vec![],
                    180,
                )
            } else {
                let k = rng.range(4, 12) as usize;
                (
                    AppKind::Secrets,
                    pick_indices(&mut rng, nsec, k),
                    vec![],
                    *rng.pick(&[60u32, 120, 240]),
                )
            };
            let base = APP_NAMES[i % APP_NAMES.len()];
            let name = if i == n_vaults {
                "config-loader".to_string()
            } else if i < APP_NAMES.len() {
                base.to_string()
            } else {
                format!("{base}-{i}")
            };
            let ip = azure_ip(&mut rng);
            let ip = if i % 7 == 4 {
                format!("{ip}:{}", rng.range(1024, 65000))
            } else {
                ip
            };
            apps.push(App {
                name,
                oid: Arc::from(rng.guid()),
                appid: Arc::from(rng.guid()),
                ip: Arc::from(ip),
                client_info: Arc::from(if kind == AppKind::Cmk {
                    SDK_KEYS_CLIENT
                } else {
                    *rng.pick(SDK_CLIENTS)
                }),
                vault,
                kind,
                secrets,
                keys,
                period_min: period,
                phase_min: rng.below(period as u64) as u32,
                missing: if rng.chance(0.15) {
                    Some(format!("{}-override", rng.pick(SECRET_NAMES)))
                } else {
                    None
                },
                challenge_every_refresh: rng.chance(0.5),
                rotates: primary && i % 5 == 1 && kind == AppKind::Secrets,
                tls: tls(&mut rng),
            });
        }
        let microsoft_ips = (0..6).map(|_| Arc::from(azure_ip(&mut rng))).collect();
        Tenant {
            tenant_id,
            domain,
            vaults,
            users,
            admins,
            victims,
            apps,
            arg_oid: Arc::from(rng.guid()),
            policy_oid: Arc::from(rng.guid()),
            microsoft_ips,
        }
    }
}
