//! Command-line parsing with the semantics of commander.js, which the real CLI uses.
//!
//! What matters for a faithful double: `--opt value` and `--opt=value`, variadic options that
//! swallow every following argument not starting with `-` (but not after `--opt=value`), `--` to
//! end options, combined short flags, option values validated against their choices while
//! parsing, and unknown options reported only after the whole line was read.

/// How an option takes its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arity {
    /// A flag without a value.
    Flag,
    /// One required value.
    Required,
    /// An optional value: taken only if the next argument does not start with `-`.
    Optional,
    /// One or more values; following non-dash arguments are swallowed too.
    Variadic,
}

/// One option the CLI knows.
struct Spec {
    short: Option<&'static str>,
    long: &'static str,
    arity: Arity,
    /// Placeholder used in error messages, e.g. `<format>`.
    placeholder: &'static str,
    choices: &'static [&'static str],
}

const fn opt(
    short: Option<&'static str>,
    long: &'static str,
    arity: Arity,
    placeholder: &'static str,
) -> Spec {
    Spec {
        short,
        long,
        arity,
        placeholder,
        choices: &[],
    }
}

const FORMATS: &[&str] = &["text", "json", "stream-json"];
const INPUT_FORMATS: &[&str] = &["text", "stream-json"];

const SPECS: &[Spec] = &[
    opt(Some("-p"), "--print", Arity::Flag, ""),
    Spec {
        short: None,
        long: "--output-format",
        arity: Arity::Required,
        placeholder: "<format>",
        choices: FORMATS,
    },
    Spec {
        short: None,
        long: "--input-format",
        arity: Arity::Required,
        placeholder: "<format>",
        choices: INPUT_FORMATS,
    },
    opt(None, "--verbose", Arity::Flag, ""),
    opt(None, "--include-partial-messages", Arity::Flag, ""),
    opt(None, "--replay-user-messages", Arity::Flag, ""),
    opt(None, "--model", Arity::Required, "<model>"),
    opt(None, "--permission-mode", Arity::Required, "<mode>"),
    opt(None, "--dangerously-skip-permissions", Arity::Flag, ""),
    opt(None, "--allowedTools", Arity::Variadic, "<tools...>"),
    opt(None, "--allowed-tools", Arity::Variadic, "<tools...>"),
    opt(None, "--disallowedTools", Arity::Variadic, "<tools...>"),
    opt(None, "--disallowed-tools", Arity::Variadic, "<tools...>"),
    opt(None, "--tools", Arity::Variadic, "<tools...>"),
    opt(None, "--add-dir", Arity::Variadic, "<directories...>"),
    opt(None, "--max-turns", Arity::Required, "<turns>"),
    opt(None, "--max-budget-usd", Arity::Required, "<amount>"),
    opt(None, "--system-prompt", Arity::Required, "<prompt>"),
    opt(None, "--append-system-prompt", Arity::Required, "<prompt>"),
    opt(None, "--session-id", Arity::Required, "<uuid>"),
    opt(Some("-r"), "--resume", Arity::Optional, "[value]"),
    opt(Some("-c"), "--continue", Arity::Flag, ""),
    opt(None, "--no-session-persistence", Arity::Flag, ""),
    opt(None, "--mcp-config", Arity::Variadic, "<configs...>"),
    opt(None, "--strict-mcp-config", Arity::Flag, ""),
    opt(None, "--settings", Arity::Required, "<file-or-json>"),
    opt(None, "--fallback-model", Arity::Required, "<model>"),
    opt(None, "--bare", Arity::Flag, ""),
    opt(Some("-v"), "--version", Arity::Flag, ""),
    opt(Some("-h"), "--help", Arity::Flag, ""),
];

/// The output format chosen with `--output-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    StreamJson,
}

/// Everything the fake needs from the command line.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    pub print: bool,
    /// The raw `--output-format` value, if given (validated while parsing).
    pub output_format: OutputFormat,
    pub input_format: Option<String>,
    pub verbose: bool,
    pub include_partial_messages: bool,
    pub model: Option<String>,
    pub permission_mode: Option<String>,
    pub dangerously_skip_permissions: bool,
    pub allowed_tools: Vec<String>,
    pub disallowed_tools: Vec<String>,
    pub tools: Vec<String>,
    pub add_dirs: Vec<String>,
    pub max_turns: Option<String>,
    pub session_id: Option<String>,
    pub resume: Option<String>,
    pub version: bool,
    pub help: bool,
    /// Positional arguments (the prompt words).
    pub operands: Vec<String>,
}

/// A parse failure: the exact stderr line (exit code is 1).
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Options, ParseError> {
    let mut parser = Parser {
        opts: Options::default(),
        unknown: Vec::new(),
        variadic: None,
    };
    parser.run(args)?;
    match parser.unknown.first() {
        Some(first) => Err(ParseError(format!("error: unknown option '{first}'"))),
        None => Ok(parser.opts),
    }
}

struct Parser {
    opts: Options,
    /// Once an unknown option is seen every later operand lands here too (commander does this).
    unknown: Vec<String>,
    /// The variadic option still swallowing values, if any.
    variadic: Option<&'static Spec>,
}

fn maybe_option(arg: &str) -> bool {
    arg.len() > 1 && arg.starts_with('-')
}

fn find(name: &str) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.long == name || s.short == Some(name))
}

impl Parser {
    fn run(&mut self, args: &[String]) -> Result<(), ParseError> {
        let mut queue: std::collections::VecDeque<String> = args.iter().cloned().collect();
        while let Some(arg) = queue.pop_front() {
            if arg == "--" {
                let rest = queue.drain(..);
                if self.unknown.is_empty() {
                    self.opts.operands.extend(rest)
                } else {
                    self.unknown.extend(rest)
                }
                break;
            }
            if let Some(spec) = self.variadic
                && !maybe_option(&arg)
            {
                self.apply(spec, Some(arg))?;
                continue;
            }
            self.variadic = None;
            if maybe_option(&arg)
                && let Some(spec) = find(&arg)
            {
                self.take_value(spec, &mut queue)?;
                continue;
            }
            if self.short_combo(&arg, &mut queue)? || self.long_with_value(&arg)? {
                continue;
            }
            if maybe_option(&arg) || !self.unknown.is_empty() {
                self.unknown.push(arg);
            } else {
                self.opts.operands.push(arg);
            }
        }
        Ok(())
    }

    /// `--opt value`, `--opt` (flag) or `--opt [value]`.
    fn take_value(
        &mut self,
        spec: &'static Spec,
        queue: &mut std::collections::VecDeque<String>,
    ) -> Result<(), ParseError> {
        let value = match spec.arity {
            Arity::Flag => None,
            Arity::Required | Arity::Variadic => match queue.pop_front() {
                Some(v) => Some(v),
                None => {
                    return Err(ParseError(format!(
                        "error: option '{}' argument missing",
                        display(spec)
                    )));
                }
            },
            Arity::Optional => match queue.front() {
                Some(next) if !maybe_option(next) => queue.pop_front(),
                _ => None,
            },
        };
        self.apply(spec, value)?;
        if spec.arity == Arity::Variadic {
            self.variadic = Some(spec);
        }
        Ok(())
    }

    /// `-pv` (two flags) or `-rVALUE` (short option with its value attached).
    fn short_combo(
        &mut self,
        arg: &str,
        queue: &mut std::collections::VecDeque<String>,
    ) -> Result<bool, ParseError> {
        if arg.len() <= 2
            || !arg.starts_with('-')
            || arg.starts_with("--")
            || !arg.is_char_boundary(2)
        {
            return Ok(false);
        }
        let Some(spec) = find(&arg[..2]) else {
            return Ok(false);
        };
        if spec.arity == Arity::Flag {
            self.apply(spec, None)?;
            queue.push_front(format!("-{}", &arg[2..]));
        } else {
            self.apply(spec, Some(arg[2..].to_string()))?;
        }
        Ok(true)
    }

    /// `--opt=value` for options that take a value. Does not start a variadic run.
    fn long_with_value(&mut self, arg: &str) -> Result<bool, ParseError> {
        let Some((name, value)) = arg.split_once('=') else {
            return Ok(false);
        };
        if !name.starts_with("--") || name.len() < 3 {
            return Ok(false);
        }
        match find(name) {
            Some(spec) if spec.arity != Arity::Flag => {
                self.apply(spec, Some(value.to_string()))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn apply(&mut self, spec: &'static Spec, value: Option<String>) -> Result<(), ParseError> {
        if let Some(v) = &value
            && !spec.choices.is_empty()
            && !spec.choices.contains(&v.as_str())
        {
            return Err(ParseError(format!(
                "error: option '{}' argument '{v}' is invalid. Allowed choices are {}.",
                display(spec),
                spec.choices.join(", ")
            )));
        }
        let o = &mut self.opts;
        let v = value.unwrap_or_default();
        match spec.long {
            "--print" => o.print = true,
            "--output-format" => o.output_format = format_of(&v),
            "--input-format" => o.input_format = Some(v),
            "--verbose" => o.verbose = true,
            "--include-partial-messages" => o.include_partial_messages = true,
            "--model" => o.model = Some(v),
            "--permission-mode" => o.permission_mode = Some(v),
            "--dangerously-skip-permissions" => o.dangerously_skip_permissions = true,
            "--allowedTools" | "--allowed-tools" => o.allowed_tools.extend(split_list(&v)),
            "--disallowedTools" | "--disallowed-tools" => o.disallowed_tools.extend(split_list(&v)),
            "--tools" => o.tools.extend(split_list(&v)),
            "--add-dir" => o.add_dirs.push(v),
            "--max-turns" => o.max_turns = Some(v),
            "--session-id" => o.session_id = Some(v),
            "--resume" => o.resume = Some(v),
            "--version" => o.version = true,
            "--help" => o.help = true,
            _ => {}
        }
        Ok(())
    }
}

fn display(spec: &Spec) -> String {
    let names = match spec.short {
        Some(s) => format!("{s}, {}", spec.long),
        None => spec.long.to_string(),
    };
    if spec.placeholder.is_empty() {
        names
    } else {
        format!("{names} {}", spec.placeholder)
    }
}

fn format_of(v: &str) -> OutputFormat {
    match v {
        "json" => OutputFormat::Json,
        "stream-json" => OutputFormat::StreamJson,
        _ => OutputFormat::Text,
    }
}

/// Tool lists are split on commas and spaces; `Bash(git *)` keeps its inner space.
pub fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c)
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c)
            }
            ',' | ' ' if depth == 0 => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current))
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

/// True if `s` has the canonical 8-4-4-4-12 hexadecimal UUID form.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
