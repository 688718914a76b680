//! Every command-line type. Doc comments are the help text; the same definitions generate
//! the completions.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::{
    ArgValueCandidates, ArgValueCompleter, CompletionCandidate, PathCompleter, ValueCompleter,
};

use crate::shell::{CompletionShell, Shell};

// One paragraph, no hard line breaks: clap wraps it to the terminal, and the man pages keep it a
// paragraph (a hard-wrapped, indented text breaks at every line there).
const ROLE_RULE: &str = concat!(
    "\
ONE CODE, MANY ROLES:
A role profile whose MFA device belongs to its source profile is, by default, authenticated \
with GetSessionToken + MFA on the source (cached for that session's life, 12h unless the \
source sets duration_seconds), then AssumeRole with that session: no further code for any \
role of the same source until the session ends. AWS caps roles assumed this way at 1h, so \
when the role duration (--duration, or the profile's duration_seconds) is over 1h the role \
is assumed directly with an MFA code instead (one code per role, up to 12h). --via-session \
and --direct force either path.",
    "\n\n",
    crate::settings::help_text!()
);

/// Where export, exec and shell point for the rule, said once in `mfa-env --help`.
const ROLE_RULE_POINTER: &str =
    "ONE CODE, MANY ROLES: how a role is reached (--via-session, --direct) is in 'mfa-env --help'.";

/// What the short help adds; the wrapper (`mfa --help`) names itself instead (`crate::parse`).
pub const AFTER_HELP: &str = "Run 'mfa-env --help' for the one-code-many-roles rule and more.";

/// Turn one MFA code into short-lived AWS credentials in your shell's environment.
///
/// mfa-env never writes ~/.aws/credentials: the credentials live in the environment of your
/// shell (eval "$(mfa-env PROFILE)") or of one command (mfa-env exec PROFILE -- CMD).
#[derive(Debug, Parser)]
#[command(
    name = "mfa-env",
    version,
    args_conflicts_with_subcommands = true,
    after_long_help = ROLE_RULE,
    after_help = AFTER_HELP,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub export: ExportArgs,

    /// `-v` at any level of the command line (`crate::parse` reads it from each command's own
    /// flag).
    #[arg(skip)]
    pub verbose: bool,
}

// `-v/--verbose`, a flag of every command. Not one `global` flag: clap copies a global argument
// into all sixteen subcommands at every start (a twentieth of a cached `exec`'s page faults),
// where each command's own is defined only when that command runs. A plain comment, as for
// AuthArgs: a doc comment would become the about of each command that flattens it.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct Verbose {
    /// Say on stderr what is resolved, cached and called (never a secret).
    #[arg(short, long)]
    pub verbose: bool,
}

/// The whole definition, every subcommand's arguments included (`Command` defers them until a
/// command line picks one): for what walks it, such as the man pages and the tests of the help.
pub fn definition() -> clap::Command {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    cli.build();
    cli
}

/// The parser for a command line whose first word names a subcommand (`mfa-env exec work -- …`,
/// each `credential_process` call): the subcommands without the top level's own arguments
/// (export's, for `mfa-env PROFILE`), which such a line never reaches; defining, defaulting and
/// dropping them was a tenth of a cached `exec`'s instructions. A subcommand takes nothing else
/// from the top level but its name (usage says `mfa-env exec`): a test parses and renders every
/// subcommand both ways.
pub fn named() -> clap::Command {
    use clap::Subcommand;
    Command::augment_subcommands(clap::Command::new("mfa-env"))
}

/// Each subcommand's arguments are defined when it is the one run (`defer`): a command line
/// builds one subcommand, not all sixteen (a third of a cached `exec`'s work was clap setting up
/// the others). Whatever walks the definition builds it first (`Command::build`).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Authenticate and print shell code that sets the credentials (the default command).
    #[command(after_long_help = ROLE_RULE_POINTER)]
    Export(ExportArgs),
    /// Run a command with the credentials in its environment; mfa-env ends with the command's
    /// exit status.
    #[command(after_long_help = ROLE_RULE_POINTER)]
    Exec(ExecArgs),
    /// Start your shell with the credentials and a countdown in its prompt.
    #[command(after_long_help = ROLE_RULE_POINTER)]
    Shell(ShellArgs),
    /// Show the session in this environment (exit 0 live, 7 none, 8 expired).
    Status(StatusArgs),
    /// Print shell code that removes every variable mfa-env sets and gives back the AWS_PROFILE
    /// it unset (also: off).
    // A hidden alias: completion lists one name per command, and it should be the real one.
    #[command(alias = "off")]
    Unset(UnsetArgs),
    /// Print credentials as JSON for `credential_process` in ~/.aws/config.
    CredentialProcess(CredentialProcessArgs),
    /// Open the AWS console signed in as the profile's role, from the same MFA session (no
    /// second code while it lives).
    Console(ConsoleArgs),
    /// Sign in with AWS Sign-In in the browser (a passkey, a security key: whatever your
    /// console sign-in takes) and keep the session where the AWS CLI keeps it; no access keys.
    #[command(after_long_help = LOGIN_NOTES)]
    Login(LoginArgs),
    /// List the profiles that use MFA and their cached sessions.
    List(ListArgs),
    /// Forget cached sessions (and end AWS Sign-In sessions).
    Logout(LogoutArgs),
    /// Keep long-term keys in the OS keyring instead of ~/.aws/credentials; rotate them.
    Keys(KeysArgs),
    /// Enroll a virtual MFA device (a QR code in the terminal) and write the profile.
    Setup(SetupArgs),
    /// List or remove the MFA devices of a profile's IAM user.
    Device(DeviceArgs),
    /// Print the IAM policies that enforce MFA (JSON), or a CloudFormation template of them.
    Policy(PolicyArgs),
    /// Check the files, the profile, its keys, STS, the clock, the MFA device, the cache and
    /// the shell integration; say what to fix.
    Doctor(DoctorArgs),
    /// Print the shell integration: the `mfa` function, a prompt segment, completions.
    Init(InitArgs),
    /// Print a completion script.
    Completions(CompletionsArgs),
    /// For the tcsh wrapper, which cannot branch on its arguments: prints the code that
    /// applies `export`/`unset`, or the command line that runs any other subcommand.
    #[command(hide = true)]
    Wrap(WrapArgs),
}

/// `shell --shell`: the shells `mfa-env shell` can start (json and dotenv are output formats).
fn subshell_values() -> ShellValues {
    ShellValues {
        allowed: &[
            ("bash", ""),
            ("zsh", ""),
            ("sh", "POSIX sh: dash, ash, ksh"),
            ("fish", ""),
            ("powershell", "PowerShell (pwsh)"),
            ("elvish", ""),
            ("tcsh", "tcsh and csh"),
            ("xonsh", ""),
            ("nu", "nushell"),
            ("cmd", "cmd.exe"),
        ],
        instead: Shell::no_subshell_text,
    }
}

/// `init SHELL`: the shells with an init script (sh has no completion system, cmd.exe no
/// functions; json and dotenv are output formats).
fn init_values() -> ShellValues {
    ShellValues {
        allowed: &[
            ("bash", ""),
            ("zsh", ""),
            ("fish", ""),
            ("powershell", "PowerShell (pwsh)"),
            ("elvish", ""),
            ("tcsh", "tcsh and csh"),
            ("xonsh", ""),
            ("nu", "nushell"),
        ],
        instead: Shell::no_init,
    }
}

/// Takes only the `allowed` values of `Shell` (with their aliases), each with its help (none
/// when empty): a command's help lists exactly what it accepts. Another shell mfa-env knows is
/// refused with what to use instead (`instead`), any other word as clap refuses it: exit 2.
#[derive(Clone)]
struct ShellValues {
    allowed: &'static [(&'static str, &'static str)],
    instead: fn(Shell) -> String,
}

impl ShellValues {
    fn possible(&self) -> impl Iterator<Item = clap::builder::PossibleValue> + '_ {
        use clap::ValueEnum;
        self.allowed.iter().filter_map(|(name, help)| {
            Shell::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value)
                .find(|v| v.get_name() == *name)
                .map(|v| if help.is_empty() { v } else { v.help(*help) })
        })
    }
}

impl clap::builder::TypedValueParser for ShellValues {
    type Value = Shell;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Shell, clap::Error> {
        use clap::ValueEnum;
        let parsed = clap::builder::PossibleValuesParser::new(self.possible())
            .parse_ref(cmd, arg, value)
            .and_then(|name| {
                Shell::from_str(&name, false)
                    .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))
            });
        match (parsed, value.to_str().map(|v| Shell::from_str(v, true))) {
            (Ok(shell), _) => Ok(shell),
            (Err(_), Some(Ok(known))) => Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                (self.instead)(known),
            )
            .format(&mut cmd.clone())),
            (Err(e), _) => Err(e),
        }
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(self.possible()))
    }
}

/// The help of every `--profile`: the positional PROFILE as the AWS CLI users type it.
const PROFILE_OPTION: &str = "The same as PROFILE, as the AWS CLI takes it";

/// The profile given as the positional PROFILE or as `--profile` (clap lets only one through).
fn profile_given<'a>(
    positional: &'a Option<String>,
    option: &'a Option<String>,
) -> Option<&'a str> {
    positional.as_deref().or(option.as_deref())
}

/// The words of the line being completed, set by `cmd::completions` for shells that do not pass
/// them as arguments (tcsh): `exec PROFILE -- …` completion reads them here (`after_escape`).
pub static WORDS: std::sync::OnceLock<Vec<OsString>> = std::sync::OnceLock::new();

fn profile_candidates() -> Vec<CompletionCandidate> {
    // `mfa-env exec -- ter<Tab>`: clap's engine offers the next positional (PROFILE) after
    // `--`, but the command goes there.
    if let Some(position) = after_escape() {
        return command_candidates(position, std::ffi::OsStr::new(""));
    }
    // From the section headers alone: this runs at every Tab, and a parse of thousands of
    // profiles is noticeable there.
    crate::profile::names_from_headers()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

/// Where the word being completed stands after `exec … --` (0: the command), read from the
/// completion request itself: clap's engine (pinned in Cargo.toml) gives the words after `--`
/// to whichever positional comes next, not to CMD. The scripts run `mfa-env -- WORDS…` with the
/// index of the current word in `_CLAP_COMPLETE_INDEX` (fish: the last word). Only completers
/// call this, and they run only for a completion request.
fn after_escape() -> Option<usize> {
    let words: Vec<OsString> = match WORDS.get() {
        Some(words) => words.clone(),
        None => std::env::args_os()
            .skip_while(|a| a != "--")
            .skip(1)
            .collect(),
    };
    let current = std::env::var("_CLAP_COMPLETE_INDEX")
        .ok()
        .and_then(|i| i.parse::<usize>().ok())
        .unwrap_or(words.len().saturating_sub(1));
    let before = words.get(..current)?;
    let exec = before.iter().position(|w| w == "exec")?;
    let escape = exec + 1 + before[exec + 1..].iter().position(|w| w == "--")?;
    Some(current - escape - 1)
}

/// Completes what follows `exec PROFILE --` as a shell does: a command name from PATH (or a
/// path), then files for its arguments. Nothing for words not after `--`.
struct CommandCompleter;

impl ValueCompleter for CommandCompleter {
    fn complete(&self, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
        match after_escape() {
            Some(position) => command_candidates(position, current),
            None => Vec::new(),
        }
    }

    fn complete_at(&self, _: usize, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
        self.complete(current)
    }
}

/// A command name from PATH (position 0, unless a path is being typed), else a path.
fn command_candidates(position: usize, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    if position > 0 || typed.contains(std::path::MAIN_SEPARATOR) {
        return PathCompleter::any().complete(current);
    }
    let mut names: Vec<String> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name.starts_with(&*typed) && is_executable(&e.path())).then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

#[cfg(unix)]
fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &std::path::Path) -> bool {
    path.is_file()
}

// How to authenticate; shared by export, exec, shell and credential-process. A plain comment:
// a doc comment here would become the `about` of every subcommand that flattens it, since
// those define their arguments (deferred) after their own about.
#[derive(Debug, Args, Clone, Default)]
pub struct AuthArgs {
    /// Profile to use [default: $AWS_PROFILE, then the live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// The 6-digit MFA code, instead of asking on the terminal.
    #[arg(
        short = 't',
        long,
        value_name = "CODE",
        env = crate::settings::TOKEN_CODE,
        hide_env_values = true
    )]
    pub token_code: Option<String>,

    /// Session length: 3600, 90m, 12h. Session tokens: 15m-36h (default 12h); roles: 15m-12h
    /// (default 1h).
    #[arg(short, long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<u32>,

    /// Roles: assume the role with the MFA code itself (allows more than 1h, one code per role).
    #[arg(long, conflicts_with = "via_session")]
    pub direct: bool,

    /// Roles: get an MFA session for the source first, then assume the role with it (at most 1h).
    #[arg(long)]
    pub via_session: bool,

    /// Neither read nor write the session cache.
    #[arg(long)]
    pub no_cache: bool,

    /// New credentials even if the environment or the cache holds live ones. A role reuses
    /// its cached MFA session (no code) unless that ends before the new role credentials would.
    #[arg(long)]
    pub refresh: bool,

    /// Start a new MFA session too (asks for a code), not only new role credentials.
    #[arg(long)]
    pub refresh_mfa: bool,
}

fn parse_duration(s: &str) -> Result<u32, String> {
    crate::duration::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args, Clone, Default)]
pub struct ExportArgs {
    #[command(flatten)]
    pub auth: AuthArgs,

    /// Shell to print code for [default: the calling shell, then $SHELL, then sh]
    #[arg(short, long, value_enum)]
    pub shell: Option<Shell>,

    /// Print the credentials even when stdout is a terminal.
    #[arg(long)]
    pub reveal: bool,

    /// Print only MFA_ENV_EXPIRATION, the end of what can be renewed without a code: how
    /// `mfa-env-refresh` updates the countdown of a `shell --server`, whose credentials come
    /// from the endpoint.
    #[arg(long, hide = true)]
    pub expiry_only: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
// `exec --profile work terraform plan`: the first word is taken as PROFILE; exec says the
// command goes after `--` rather than clap calling it a second profile.
#[command(mut_arg("profile_option", |a| a.conflicts_with(clap::builder::Resettable::Reset)))]
pub struct ExecArgs {
    #[command(flatten)]
    pub auth: AuthArgs,

    /// Words after PROFILE that are not after `--`: a command written without it, which mfa-env
    /// points out rather than guess. (Completion after `--` lands here too: see after_escape.)
    #[arg(
        hide = true,
        value_name = "WORDS",
        allow_hyphen_values = true,
        add = ArgValueCompleter::new(CommandCompleter)
    )]
    pub stray: Vec<OsString>,

    /// The command and its arguments, after `--` [default: $SHELL]
    #[arg(last = true, value_name = "CMD", add = ArgValueCompleter::new(CommandCompleter))]
    pub command: Vec<OsString>,

    /// Serve the credentials from a local endpoint that renews them (roles: from the MFA
    /// session, without a code) instead of putting keys in the environment [env: MFA_ENV_SERVER=1].
    #[arg(long)]
    pub server: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    #[command(flatten)]
    pub auth: AuthArgs,

    /// Shell to start [default: the calling shell, then $SHELL]
    #[arg(short, long, value_parser = subshell_values())]
    pub shell: Option<Shell>,

    /// Start even inside a live session of another profile.
    #[arg(long)]
    pub force: bool,

    /// Serve the credentials from a local endpoint that renews them (roles: from the MFA
    /// session, without a code) instead of putting keys in the environment [env: MFA_ENV_SERVER=1].
    #[arg(long)]
    pub server: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON.
    #[arg(long, conflicts_with = "prompt")]
    pub json: bool,

    /// Print only the prompt segment, `[profile 1h23m] `, or nothing without a session (exit
    /// 0 either way): for prompts that cannot compute it themselves (tcsh, elvish, starship).
    #[arg(long)]
    pub prompt: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct UnsetArgs {
    /// Shell to print code for [default: the calling shell, then $SHELL, then sh]
    #[arg(short, long, value_enum)]
    pub shell: Option<Shell>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    pub auth: AuthArgs,

    /// Print the credentials even when stdout is a terminal.
    #[arg(long)]
    pub reveal: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

const LOGIN_NOTES: &str = "\
The browser comes back to a one-time listener on 127.0.0.1 (MFA_ENV_LOGIN_TIMEOUT, default \
600 s, bounds the wait). The session is saved where the AWS CLI and the SDKs read it \
(AWS_LOGIN_CACHE_DIRECTORY, default ~/.aws/login/cache); the line login_session = ARN is then \
shown and written to the profile once you say yes, on the terminal, or with --yes. Its \
credentials are refreshed without the browser for up to 12 hours; `mfa-env logout PROFILE` \
ends it.";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The profile to sign in; login_session is written to it [default: $AWS_PROFILE, then the
    /// live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// No browser here: show the URL to open on another device, then read the code its page
    /// gives.
    #[arg(long)]
    pub remote: bool,

    /// The Sign-In service's region, written to a profile that has none [default: the
    /// profile's region, else us-east-1]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Write the change to the config file without asking.
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub auth: AuthArgs,

    /// Land on this service's console: s3, ec2, iam, cloudformation, lambda and so on.
    #[arg(long, value_name = "NAME", conflicts_with = "path", value_parser = parse_service,
          add = ArgValueCandidates::new(service_candidates))]
    pub service: Option<String>,

    /// Land on this path of the console, such as ec2/home#Instances: or s3/buckets/NAME.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    /// The console's region [default: the profile's]
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Print the sign-in URL on stdout instead of opening a browser (it signs in whoever opens
    /// it, for 15 minutes).
    #[arg(long)]
    pub print: bool,

    /// With --print: print the URL even when stdout is a terminal.
    #[arg(long, requires = "print")]
    pub reveal: bool,

    /// Sign out of the console first, so that this role replaces the session the browser holds.
    #[arg(long)]
    pub logout_first: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

/// The consoles most often opened, for completion (any service name is accepted).
const SERVICES: [&str; 24] = [
    "acm",
    "apigateway",
    "cloudformation",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "cognito",
    "dynamodbv2",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "elasticache",
    "iam",
    "kms",
    "lambda",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "systems-manager",
    "vpc",
];

fn service_candidates() -> Vec<CompletionCandidate> {
    SERVICES
        .iter()
        .map(|s| CompletionCandidate::new(*s))
        .collect()
}

fn parse_service(s: &str) -> Result<String, String> {
    let ok =
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| s.to_string()).ok_or_else(|| {
        "a service name is letters, digits and dashes, such as s3 or ec2".to_string()
    })
}

fn parse_region(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && !s.starts_with('-')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| s.to_string())
        .ok_or_else(|| "a region name such as eu-west-1".to_string())
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Profile whose cached sessions to forget [default: $AWS_PROFILE, then the live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates), conflicts_with = "all")]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with_all = ["profile", "all"], add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// Forget every cached session.
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
#[command(after_long_help = KEYS_RULE)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,

    #[command(flatten)]
    pub verbose: Verbose,
}

const KEYS_RULE: &str = "\
WHERE KEYS COME FROM:
The profile whose keys sign the STS call (a role's source profile) takes them from the \
credentials file when its section there has aws_access_key_id and aws_secret_access_key, else \
from its credential_process, else from the OS keyring (the Secret Service on Linux, the \
Keychain on macOS, Credential Manager on Windows). Keys left in the file win over the keyring: \
'keys import' and 'keys list' say which lines still hold them. A cached session never reads \
the keyring.";

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Store a profile's access key, typed at the terminal (the secret without echo), once STS
    /// accepts it (GetCallerIdentity, which names whose key it is); asks before replacing keys
    /// already stored.
    Add(KeysStoreArgs),
    /// Copy a profile's keys from the credentials file into the keyring once STS accepts them,
    /// then say which lines to delete from the file (mfa-env never writes it); asks before
    /// replacing keys already stored.
    Import(KeysStoreArgs),
    /// List the profiles with keys in the keyring (key IDs masked).
    List(ListArgs),
    /// Delete a profile's keys from the keyring, after asking: AWS never shows a secret again.
    Remove(KeysRemoveArgs),
    /// Replace a profile's stored key with a new one: with its MFA session, IAM CreateAccessKey,
    /// a check that the new key works, the keyring updated, then DeleteAccessKey of the old.
    Rotate(KeysRotateArgs),
}

#[derive(Debug, Args)]
pub struct KeysStoreArgs {
    /// The profile that holds the keys (a role's source profile); required, here or as
    /// --profile.
    #[arg(value_name = "PROFILE", required_unless_present = "profile_option",
          add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// Replace keys already stored for the profile without asking (for scripts; without a
    /// terminal to ask on, keys already stored are replaced only with --yes).
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct KeysRemoveArgs {
    /// The profile that holds the keys (a role's source profile); required, here or as
    /// --profile.
    #[arg(value_name = "PROFILE", required_unless_present = "profile_option",
          add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// Delete the keys without asking (for scripts; without a terminal to ask on, nothing is
    /// deleted without --yes).
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// The profile that holds the keys (a role's source profile); required, here or as
    /// --profile.
    #[arg(value_name = "PROFILE", required_unless_present = "profile_option",
          add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// The 6-digit MFA code, if no MFA session of the profile is cached.
    #[arg(
        short = 't',
        long,
        value_name = "CODE",
        env = crate::settings::TOKEN_CODE,
        hide_env_values = true
    )]
    pub token_code: Option<String>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The profile with the IAM user's long-term keys (in the files, a credential_process or
    /// the keyring); required, here or as --profile.
    #[arg(value_name = "PROFILE", required_unless_present = "profile_option",
          add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// Also write a role profile for this role (role_arn, source_profile = PROFILE): its ARN,
    /// or its name (NAME or PATH/NAME) in the IAM user's account.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,

    /// The role profile's name [default: PROFILE-ROLENAME]
    #[arg(long, value_name = "NAME", requires = "role")]
    pub name: Option<String>,

    /// Write the change to the config file without asking.
    #[arg(long)]
    pub yes: bool,

    /// Also show the device's secret key, to type into an app that cannot scan (k at the code
    /// prompt shows it too).
    #[arg(long)]
    pub show_secret: bool,

    #[command(flatten)]
    pub verbose: Verbose,
}

/// The profile of a command that needs one: clap requires PROFILE or `--profile`.
macro_rules! required_profile {
    ($($args:ty),*) => {$(
        impl $args {
            pub fn profile_name(&self) -> &str {
                profile_given(&self.profile, &self.profile_option).unwrap_or_default()
            }
        }
    )*};
}

required_profile!(KeysStoreArgs, KeysRemoveArgs, KeysRotateArgs, SetupArgs);

/// The profile of a command that defaults it (`auth::default_profile`), if given either way.
macro_rules! optional_profile {
    ($($args:ty),*) => {$(
        impl $args {
            pub fn profile_arg(&self) -> Option<&str> {
                profile_given(&self.profile, &self.profile_option)
            }
        }
    )*};
}

optional_profile!(
    AuthArgs,
    LoginArgs,
    LogoutArgs,
    DeviceListArgs,
    DeviceRemoveArgs,
    DoctorArgs,
    PolicyArgs
);

#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    pub command: DeviceCommand,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List the MFA devices of the profile's IAM user.
    List(DeviceListArgs),
    /// Deactivate and delete an MFA device of the profile's IAM user (with its MFA session).
    Remove(DeviceRemoveArgs),
}

#[derive(Debug, Args)]
pub struct DeviceListArgs {
    /// The profile with the IAM user's keys [default: $AWS_PROFILE, then the live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct DeviceRemoveArgs {
    /// The profile with the IAM user's keys [default: $AWS_PROFILE, then the live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// The device to remove [default: the profile's mfa_serial]
    #[arg(long, value_name = "ARN")]
    pub serial: Option<String>,

    /// Remove it without asking.
    #[arg(long)]
    pub yes: bool,

    /// The 6-digit MFA code, if no MFA session of the profile is cached.
    #[arg(
        short = 't',
        long,
        value_name = "CODE",
        env = crate::settings::TOKEN_CODE,
        hide_env_values = true
    )]
    pub token_code: Option<String>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The profile to check [default: $AWS_PROFILE, then the live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// require-mfa: deny everything but enrolling a device without MFA (attach to users or a
    /// group); manage-own-mfa: that, plus managing one's own virtual MFA device; role-trust: a
    /// role's trust policy that requires MFA; cloudformation: a template with a role, a group
    /// allowed to assume it, and manage-own-mfa for the group.
    #[arg(value_enum, value_name = "POLICY")]
    pub kind: PolicyKind,

    /// manage-own-mfa, role-trust: the profile whose keys tell the account when --account is
    /// not given [default: $AWS_PROFILE, then the live session's, then "default"]
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[arg(long = "profile", value_name = "PROFILE", help = PROFILE_OPTION,
          conflicts_with = "profile", add = ArgValueCandidates::new(profile_candidates))]
    pub profile_option: Option<String>,

    /// The AWS account ID (manage-own-mfa, role-trust) [default: the account of the profile's
    /// keys]
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// role-trust: trust this IAM user only (NAME, or PATH/NAME), not every user of the account.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// cloudformation: the role's name (the group is NAME-users) [default: MfaRole]
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyKind {
    RequireMfa,
    ManageOwnMfa,
    RoleTrust,
    Cloudformation,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shell to integrate with
    #[arg(value_parser = init_values())]
    pub shell: Shell,

    /// Name of the function the integration defines.
    #[arg(long, default_value = "mfa", value_name = "NAME", value_parser = parse_function_name)]
    pub cmd: String,

    #[command(flatten)]
    pub verbose: Verbose,
}

fn parse_function_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(s.to_string())
    } else {
        Err("a function name is letters, digits, _ and -, starting with a letter or _".to_string())
    }
}

#[derive(Debug, Args)]
pub struct WrapArgs {
    /// The shell that evaluates the output (tcsh only).
    #[arg(long, value_enum)]
    pub shell: Shell,

    /// The wrapper's arguments, as the user typed them.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,

    #[command(flatten)]
    pub verbose: Verbose,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: CompletionShell,

    #[command(flatten)]
    pub verbose: Verbose,
}
