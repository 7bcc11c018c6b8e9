//! How long the quality checks of a 5,000-word draft take natively (against a brief and brand
//! data, every check run), and of its brief. Plain `Instant` timing over many runs, median and
//! 95th percentile reported; `cargo bench -p api-component --bench quality`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use api_component::quality::{DraftInputs, Keywords, check_brief, check_draft};

const RUNS: usize = 300;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/quality/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A draft of about `words` words in the template's shape: takeaways, a table, a table of
/// contents, an introduction, H2 sections with H3s, paragraphs with links, lists, an FAQ.
fn draft(words: usize) -> String {
    let sentences = [
        "Feed your sourdough starter on the same day every week, even when you are not baking.",
        "A cooler kitchen slows the yeast down, which is fine as long as you feed it on time.",
        "Rye flour holds more food for the yeast, so a starter fed with it rises faster.",
        "Most problems can be fixed with two generous feeds, twelve hours apart.",
        "Measure by weight rather than by volume, because flour settles in the bag.",
    ];
    let mut out = String::from(
        "# How to Keep a Sourdough Starter Alive\n\n## Key takeaways\n\n- Feed it weekly.\n- Keep it cold.\n- Rescue it with two feeds.\n\n\
         ## At a glance\n\n| Topic | What it means | Why it matters |\n|---|---|---|\n| Feeding | Flour and water | Keeps the yeast alive |\n| Storage | The fridge | Slows everything down |\n\n\
         ## Table of contents\n\n- [What a sourdough starter needs](#what-a-sourdough-starter-needs)\n- [A simple feeding schedule](#a-simple-feeding-schedule)\n\n\
         ## Introduction\n\nMany new bakers worry that their sourdough starter will die. It rarely does.\n\n",
    );
    let headings = [
        "What a sourdough starter needs",
        "A simple feeding schedule",
        "Storing your starter in the fridge",
        "Signs your starter is in trouble",
    ];
    let mut n = 0;
    let mut section = 0;
    while n < words {
        out.push_str(&format!(
            "## {} (part {section})\n\n",
            headings[section % headings.len()]
        ));
        for sub in 0..3 {
            out.push_str(&format!("### Step {sub} of part {section}\n\n"));
            for p in 0..3 {
                for s in 0..4 {
                    out.push_str(sentences[(section + sub + p + s) % sentences.len()]);
                    out.push(' ');
                }
                out.push_str(&format!(
                    "See [this guide](https://example{section}.com/guide/{sub}/{p}).\n\n"
                ));
            }
            out.push_str("- Weigh the flour.\n- Use clean water.\n- Mark the jar.\n\n");
        }
        n = api_component::render::markdown_word_count(&out) as usize;
        section += 1;
    }
    out.push_str("## Frequently asked questions\n\n### How often should I feed my starter?\n\nOnce a week.\n\n\
                  ### Can I use rye flour?\n\nYes.\n\n### What is the liquid on top?\n\nHooch.\n");
    out
}

fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    for _ in 0..10 {
        f();
    }
    let mut all: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    all.sort();
    (all[0], all[runs / 2], all[runs * 95 / 100])
}

fn main() {
    let text = draft(5_000);
    let words = api_component::render::markdown_word_count(&text);
    let brief = fixture("good-brief.md");
    let brand: serde_json::Value = serde_json::from_str(&fixture("brand.json")).unwrap();
    let inputs = DraftInputs {
        brief: Some(&brief),
        target_words: Some(5_000),
        keywords: Keywords {
            primary: Some("sourdough starter".into()),
            secondary: vec!["feeding schedule".into(), "rye flour".into()],
        },
        brand: Some(&brand),
    };
    let report = check_draft(&text, &inputs);
    println!(
        "draft: {words} words, {} bytes, score {}, failed {:?}",
        text.len(),
        report.score,
        report.summary().failed
    );
    let (min, median, p95) = time(RUNS, || {
        black_box(check_draft(black_box(&text), &inputs));
    });
    println!(
        "check_draft (5,000 words, {RUNS} runs): min {min:.2?}, median {median:.2?}, p95 {p95:.2?}"
    );
    let keywords = inputs.keywords.clone();
    let (min, median, p95) = time(RUNS, || {
        black_box(check_brief(black_box(&brief), &keywords));
    });
    println!(
        "check_brief ({} bytes, {RUNS} runs): min {min:.2?}, median {median:.2?}, p95 {p95:.2?}",
        brief.len()
    );
}
