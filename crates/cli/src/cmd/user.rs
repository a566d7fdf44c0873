use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use cocare_app::{AccountForm, App, AppError};
use cocare_core::{AccountId, Actor};
use secrecy::SecretString;

use super::DbArgs;

#[derive(Subcommand)]
pub enum User {
    /// Create an account. The password is read from standard input.
    Add {
        /// The username to sign in with.
        name: String,
        /// service_user, carer, clinician, team_lead, researcher, engagement_lead or admin.
        #[arg(long)]
        role: String,
        /// Organisation name or id (optional when there is only one).
        #[arg(long)]
        org: Option<String>,
        /// Team name or id (needed for clinicians and team leads).
        #[arg(long)]
        team: Option<String>,
        /// The name shown in cocare (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// The person record id, for service users and carers.
        #[arg(long)]
        person: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List accounts and their roles.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable an account and end its sessions.
    Disable {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enable a disabled account.
    Enable {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a new password (read from standard input) and end the account's sessions.
    ResetPassword {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The CLI acts as a named system actor, audited as `system:cli`.
fn cli_actor() -> Actor {
    Actor::system("cli")
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        rpassword::prompt_password("Password: ").context("cannot read the password")?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        bail!("no password was given on standard input");
    }
    Ok(password)
}

fn explain(err: AppError) -> anyhow::Error {
    match err {
        AppError::Validation(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .map(|f| format!("  --{}: {}", f.field.replace('_', "-"), f.message))
                .collect();
            anyhow::anyhow!("the account was not created:\n{}", lines.join("\n"))
        }
        other => anyhow::Error::new(other),
    }
}

async fn account(app: &App, name: &str) -> anyhow::Result<AccountId> {
    app.account_by_username(name)
        .await?
        .with_context(|| format!("no account is named {name:?}"))
}

impl User {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            User::Add {
                name,
                role,
                org,
                team,
                display_name,
                person,
                db,
            } => {
                let app = db.app().await?;
                let password = read_password()?;
                let form = AccountForm {
                    display_name: display_name.unwrap_or_else(|| name.clone()),
                    username: name,
                    password,
                    role,
                    organisation: org.unwrap_or_default(),
                    team: team.unwrap_or_default(),
                    person: person.unwrap_or_default(),
                };
                let id = app.create_account(&cli_actor(), &form).await.map_err(explain)?;
                println!("created account {} ({id}) with role {}", form.username, form.role);
            }
            User::List { json, db } => {
                let app = db.app().await?;
                let accounts = app.accounts(&cli_actor()).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&accounts)?);
                } else {
                    for a in accounts {
                        let roles: Vec<String> = a
                            .grants
                            .iter()
                            .map(|g| match &g.team {
                                Some(team) => format!("{}@{}/{}", g.role.as_str(), g.organisation, team),
                                None => format!("{}@{}", g.role.as_str(), g.organisation),
                            })
                            .collect();
                        let status = if a.disabled { "disabled" } else { "active" };
                        println!("{:<16} {:<9} {}", a.username, status, roles.join(", "));
                    }
                }
            }
            User::Disable { name, db } => {
                let app = db.app().await?;
                app.set_account_disabled(&cli_actor(), account(&app, &name).await?, true)
                    .await?;
                println!("disabled {name}; its sessions have ended");
            }
            User::Enable { name, db } => {
                let app = db.app().await?;
                app.set_account_disabled(&cli_actor(), account(&app, &name).await?, false)
                    .await?;
                println!("enabled {name}");
            }
            User::ResetPassword { name, db } => {
                let app = db.app().await?;
                let id = account(&app, &name).await?;
                let password = read_password()?;
                app.reset_password(&cli_actor(), id, SecretString::from(password))
                    .await
                    .map_err(explain)?;
                println!("password changed for {name}; its sessions have ended");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
