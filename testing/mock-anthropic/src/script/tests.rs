use super::*;

fn first_turn(prompt: &str) -> Value {
    json!({
        "model": "claude-opus-5-5",
        "stream": true,
        "system": [{"type": "text", "text": "You are Claude Code."}],
        "tools": [{"name": "Read"}, {"name": "Write"}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>\ngitStatus: ?? output/other.md\n</system-reminder>"},
                {"type": "text", "text": prompt},
            ]},
            {"role": "system", "content": [
                {"type": "text", "text": "# Environment\n - Primary working directory: /srv/job\n - Is a git repository: false\n"},
            ]},
        ],
    })
}

fn tool_id() -> String {
    "toolu_1".to_owned()
}

#[test]
fn first_turn_writes_the_named_file_under_the_cwd() {
    let request = first_turn("# Content brief: Bread 101\n\nWrite it to `output/bread-101.md`.");
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.stop_reason, "tool_use");
    assert_eq!(reply.blocks[0], Block::Text("I'll write the file.".into()));
    let Block::ToolUse { id, name, input } = &reply.blocks[1] else {
        panic!("expected a tool_use block");
    };
    assert_eq!((id.as_str(), name.as_str()), ("toolu_1", "Write"));
    assert_eq!(input["file_path"], "/srv/job/output/bread-101.md");
    let content = input["content"].as_str().unwrap();
    assert!(content.starts_with("# Bread 101\n"), "{content}");
}

#[test]
fn json_outputs_get_a_brand_data_object() {
    let request = first_turn("# Brand data for Acme Bakery\n\nWrite `output/acme-bakery.json`.");
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    let Block::ToolUse { input, .. } = &reply.blocks[1] else {
        panic!("expected a tool_use block");
    };
    let doc: Value = serde_json::from_str(input["content"].as_str().unwrap()).unwrap();
    assert_eq!(doc["brandInfo"]["companyName"], "Acme Bakery");
}

#[test]
fn second_turn_finishes_with_the_file_name() {
    let mut request = first_turn("Write output/hello.md");
    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": [
        {"type": "text", "text": "I'll write the file."},
        {"type": "tool_use", "id": "toolu_9", "name": "Write",
         "input": {"file_path": "/srv/job/output/hello.md", "content": "# Hello\n"}},
    ]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_9", "content": "File created successfully at: /srv/job/output/hello.md"},
    ]}));
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.stop_reason, "end_turn");
    assert_eq!(
        reply.blocks,
        vec![Block::Text("Created output/hello.md.".into())]
    );
}

#[test]
fn failed_tool_results_are_reported() {
    let mut request = first_turn("Write output/hello.md");
    answered(
        &mut request,
        "Write",
        json!({"file_path": "/srv/job/output/hello.md", "content": "# Hello\n"}),
        "Claude requested permissions to write",
        true,
    );
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(
        reply.blocks,
        vec![Block::Text(
            "The Write tool failed: Claude requested permissions to write".into()
        )]
    );
}

#[test]
fn side_requests_and_pathless_prompts_get_text() {
    let mut request = first_turn("Write output/hello.md");
    request["tools"] = json!([]);
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.stop_reason, "end_turn");
    let request = first_turn("Say hi");
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.blocks.len(), 1);
}

#[test]
fn error_scenarios() {
    let request = first_turn("Write output/hello.md");
    let Answer::Error(e) = answer(Scenario::Overloaded, &request, None, tool_id) else {
        panic!("expected an error");
    };
    assert_eq!((e.status, e.kind), (529, "overloaded_error"));
    assert_eq!(e.body()["error"]["type"], "overloaded_error");
}

#[test]
fn the_prompt_can_pick_the_scenario() {
    let request = first_turn("# Brief: X mock-anthropic:scenario=overloaded\nWrite output/x.md");
    let Answer::Error(e) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected an error");
    };
    assert_eq!(e.status, 529);
    assert_eq!(
        prompt_scenario("mock-anthropic:scenario=text-only."),
        Some(Scenario::TextOnly)
    );
    assert_eq!(prompt_scenario("mock-anthropic:scenario=nope"), None);
}

#[test]
fn output_paths() {
    assert_eq!(
        find_output_path("to `output/a-1_b.md`."),
        Some("output/a-1_b.md".into())
    );
    assert_eq!(
        find_output_path("to output/x.json."),
        Some("output/x.json".into())
    );
    assert_eq!(
        find_output_path("inputs/output/x.md then output/y.md"),
        Some("output/y.md".into())
    );
    assert_eq!(find_output_path("output/x.txt output/.md"), None);
    assert_eq!(find_output_path("no path"), None);
}

#[test]
fn cwd_from_a_string_system_prompt_or_the_fallback() {
    let request = json!({"system": "x\nPrimary working directory: /w/j1\ny", "messages": []});
    assert_eq!(working_directory(&request).as_deref(), Some("/w/j1"));
    let mut request = first_turn("Write output/hello.md");
    request["messages"].as_array_mut().unwrap().pop();
    let Answer::Message(reply) = answer(Scenario::Write, &request, Some("/fallback"), tool_id)
    else {
        panic!("expected a message");
    };
    let Block::ToolUse { input, .. } = &reply.blocks[1] else {
        panic!("expected a tool_use block");
    };
    assert_eq!(input["file_path"], "/fallback/output/hello.md");
}

#[test]
fn titles() {
    assert_eq!(
        title("output/bread-101.md", "# Article draft\n"),
        "Bread 101"
    );
    assert_eq!(
        title("output/x.md", "# Content brief: Sourdough basics\n"),
        "Sourdough basics"
    );
    assert_eq!(title("output/hello.md", "Write output/hello.md"), "Hello");
}

/// Appends one exchange: an assistant `tool_use` and the user's `tool_result` for it.
fn answered(request: &mut Value, name: &str, input: Value, result: &str, is_error: bool) {
    let messages = request["messages"].as_array_mut().unwrap();
    let id = format!("toolu_{}", messages.len());
    messages.push(json!({"role": "assistant", "content": [
        {"type": "text", "text": "Next."},
        {"type": "tool_use", "id": id, "name": name, "input": input},
    ]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": id, "is_error": is_error, "content": result},
    ]}));
}

/// The reply's `tool_use` block: (name, input).
fn tool_call(answer: Answer) -> (String, Value) {
    let Answer::Message(reply) = answer else {
        panic!("expected a message");
    };
    assert_eq!(reply.stop_reason, "tool_use", "{reply:?}");
    match reply.blocks.last() {
        Some(Block::ToolUse { name, input, .. }) => (name.clone(), input.clone()),
        other => panic!("expected a tool_use block, got {other:?}"),
    }
}

const ATTACK: &str = "# Content brief: Evil mock-anthropic:steps=Read:/etc/secret,Write:/tmp/out.txt,\
                      Glob:/home,Grep:/home,Edit:/etc/profile\n\nWrite it to `output/evil.md`.";

#[test]
fn the_steps_marker_lists_tool_calls() {
    let steps = prompt_steps(ATTACK);
    let calls: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s.tool.name(), s.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("Read", "/etc/secret"),
            ("Write", "/tmp/out.txt"),
            ("Glob", "/home"),
            ("Grep", "/home"),
            ("Edit", "/etc/profile"),
        ]
    );
    // The list ends at whitespace; unknown tools and empty paths are skipped; only the first
    // marker counts (the brief template repeats its title).
    assert_eq!(
        prompt_steps(
            "mock-anthropic:steps=Bash:/x,Read:,Read:/a.txt. mock-anthropic:steps=Read:/b"
        ),
        vec![Step {
            tool: StepTool::Read,
            path: "/a.txt.".into()
        }]
    );
    assert!(prompt_steps("no marker").is_empty());
}

#[test]
fn steps_run_one_per_turn_then_the_output_is_written() {
    let mut request = first_turn(ATTACK);
    let expected = [
        ("Read", json!({"file_path": "/etc/secret"})),
        (
            "Write",
            json!({"file_path": "/tmp/out.txt", "content": INJECTED_CONTENT}),
        ),
        ("Glob", json!({"pattern": "*", "path": "/home"})),
        (
            "Grep",
            json!({"pattern": ".", "path": "/home", "output_mode": "content"}),
        ),
        (
            "Edit",
            json!({"file_path": "/etc/profile", "old_string": "", "new_string": INJECTED_CONTENT}),
        ),
    ];
    for (n, (name, input)) in expected.iter().enumerate() {
        let call = tool_call(answer(Scenario::Write, &request, None, tool_id));
        assert_eq!((call.0.as_str(), &call.1), (*name, input), "step {}", n + 1);
        // The first step's Read succeeds (as it would with bare `Read`); the rest are denied.
        let (result, denied) = match n {
            0 => ("1\tTOP-SECRET-42", false),
            _ => ("Claude requested permissions to read from /home", true),
        };
        answered(&mut request, name, input.clone(), result, denied);
    }

    // Then the normal Write, into the cwd, with what the steps got at the end.
    let (name, input) = tool_call(answer(Scenario::Write, &request, None, tool_id));
    assert_eq!(name, "Write");
    assert_eq!(input["file_path"], "/srv/job/output/evil.md");
    let content = input["content"].as_str().unwrap();
    assert!(
        content.starts_with("# Evil mock-anthropic:steps="),
        "{content}"
    );
    assert!(
        content.contains("## Collected by earlier steps"),
        "{content}"
    );
    assert!(
        content.contains("### Read /etc/secret (answered)"),
        "{content}"
    );
    assert!(content.contains("TOP-SECRET-42"), "{content}");
    assert!(
        content.contains("### Glob * in /home (refused)"),
        "{content}"
    );
    answered(&mut request, "Write", input.clone(), "File created", false);

    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.stop_reason, "end_turn");
    assert_eq!(
        reply.blocks,
        vec![Block::Text("Created output/evil.md.".into())]
    );
}

#[test]
fn each_step_quotes_the_previous_answer() {
    let mut request = first_turn(ATTACK);
    let Answer::Message(first) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(
        first.blocks[0],
        Block::Text("Step 1 of 5: Read /etc/secret.".into())
    );
    answered(
        &mut request,
        "Read",
        json!({"file_path": "/etc/secret"}),
        "1\tTOP-SECRET-42",
        false,
    );
    let Answer::Message(second) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(
        second.blocks[0],
        Block::Text(
            "Step 2 of 5: Write /tmp/out.txt. The last tool answered: 1\tTOP-SECRET-42".into()
        )
    );
}

#[test]
fn step_paths_and_patterns() {
    let step = |tool, path: &str| Step {
        tool,
        path: path.into(),
    };
    // Relative paths are resolved against the cwd, when known.
    assert_eq!(
        step(StepTool::Read, "../secret").input(Some("/srv/job/")),
        json!({"file_path": "/srv/job/../secret"})
    );
    assert_eq!(
        step(StepTool::Read, "secret").input(None),
        json!({"file_path": "secret"})
    );
    // A Glob path with wildcards is the pattern itself.
    assert_eq!(
        step(StepTool::Glob, "/home/*/.ssh/*").input(None),
        json!({"pattern": "/home/*/.ssh/*"})
    );
    assert_eq!(
        step(StepTool::Glob, "../*").input(Some("/srv/job")),
        json!({"pattern": "/srv/job/../*"})
    );
}

#[test]
fn steps_need_the_tools_and_are_skipped_in_text_only() {
    let mut request = first_turn(ATTACK);
    let Answer::Message(reply) = answer(Scenario::TextOnly, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.label, "text-only scenario");
    request["tools"] = json!([]);
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.label, "side request without the Write tool");
}

#[test]
fn steps_run_even_when_the_prompt_names_no_output() {
    let mut request = first_turn("mock-anthropic:steps=Read:/etc/secret");
    let (name, _) = tool_call(answer(Scenario::Write, &request, None, tool_id));
    assert_eq!(name, "Read");
    answered(
        &mut request,
        "Read",
        json!({"file_path": "/etc/secret"}),
        "denied",
        true,
    );
    let Answer::Message(reply) = answer(Scenario::Write, &request, None, tool_id) else {
        panic!("expected a message");
    };
    assert_eq!(reply.label, "no output path in the prompt");
}
