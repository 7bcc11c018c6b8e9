//! Parser tests: commander semantics the runner relies on.

use super::*;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn ok(list: &[&str]) -> Options {
    parse(&args(list)).expect("parses")
}

fn err(list: &[&str]) -> String {
    parse(&args(list)).expect_err("fails").0
}

#[test]
fn space_and_equals_forms_are_equivalent() {
    let a = ok(&["-p", "--output-format", "json", "--model", "opus"]);
    let b = ok(&["-p", "--output-format=json", "--model=opus"]);
    assert_eq!(a, b);
    assert_eq!(a.output_format, OutputFormat::Json);
    assert_eq!(a.model.as_deref(), Some("opus"));
}

#[test]
fn variadic_swallows_the_prompt() {
    let o = ok(&["-p", "--allowedTools", "Write", "write a file"]);
    assert_eq!(o.allowed_tools, ["Write", "write", "a", "file"]);
    assert!(o.operands.is_empty());
}

#[test]
fn equals_form_does_not_start_a_variadic_run() {
    let o = ok(&["-p", "--allowedTools=Write,Edit", "write a file"]);
    assert_eq!(o.allowed_tools, ["Write", "Edit"]);
    assert_eq!(o.operands, ["write a file"]);
}

#[test]
fn variadic_stops_at_the_next_option_and_double_dash() {
    let o = ok(&["--tools", "Read", "Write", "-p", "hi"]);
    assert_eq!(o.tools, ["Read", "Write"]);
    assert_eq!(o.operands, ["hi"]);
    let o = ok(&["--add-dir", "a", "b", "--", "-x prompt"]);
    assert_eq!(o.add_dirs, ["a", "b"]);
    assert_eq!(o.operands, ["-x prompt"]);
}

#[test]
fn lists_split_on_commas_and_spaces_but_not_inside_parentheses() {
    assert_eq!(
        split_list("Bash(git *) Edit,Write"),
        ["Bash(git *)", "Edit", "Write"]
    );
    assert_eq!(split_list(" a,, b "), ["a", "b"]);
}

#[test]
fn unknown_option_is_reported_with_the_whole_argument() {
    assert_eq!(
        err(&["-p", "-x make a list"]),
        "error: unknown option '-x make a list'"
    );
    assert_eq!(
        err(&["--frobnicate", "-p"]),
        "error: unknown option '--frobnicate'"
    );
    assert_eq!(err(&["--verbose=1"]), "error: unknown option '--verbose=1'");
}

#[test]
fn invalid_choice_fails_before_unknown_options_are_reported() {
    assert_eq!(
        err(&["--bogus", "--output-format", "xml"]),
        "error: option '--output-format <format>' argument 'xml' is invalid. Allowed choices are text, json, stream-json."
    );
}

#[test]
fn missing_value_is_an_error() {
    assert_eq!(
        err(&["-p", "--model"]),
        "error: option '--model <model>' argument missing"
    );
}

#[test]
fn short_flags_combine_and_optional_values_are_optional() {
    let o = ok(&["-pc", "hello"]);
    assert!(o.print);
    assert_eq!(o.operands, ["hello"]);
    let o = ok(&["-r", "-p"]);
    assert_eq!(o.resume.as_deref(), Some(""));
    let o = ok(&["-r", "abc", "-p"]);
    assert_eq!(o.resume.as_deref(), Some("abc"));
}

#[test]
fn operands_and_options_interleave() {
    let o = ok(&["write", "-p", "now", "--verbose"]);
    assert_eq!(o.operands, ["write", "now"]);
    assert!(o.print && o.verbose);
}

#[test]
fn uuid_form_is_checked() {
    assert!(is_uuid("d8cad3da-0d44-4f20-8f4b-d1a5f5bbe462"));
    assert!(!is_uuid("d8cad3da0d444f208f4bd1a5f5bbe462"));
    assert!(!is_uuid("not-a-uuid"));
}
