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
    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_9", "is_error": true,
         "content": "Claude requested permissions to write"},
    ]}));
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
