//! Signal behaviour of the real CLI: SIGTERM → exit 143 at once without a result, SIGHUP → 129,
//! SIGINT → an "interrupted" user line and (usually) an `error_during_execution` result, exit 0.

use std::sync::Arc;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::emit::Emitter;
use crate::lines::{self, Ctx, ResultFields};

/// Starts the thread that handles the three signals for the rest of the process.
pub fn install(out: Arc<Emitter>, ctx: Ctx, sigint_no_result: bool) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            match signal {
                SIGTERM => out.exit_now(143, Vec::new),
                SIGHUP => out.exit_now(129, Vec::new),
                _ => out.exit_now(0, || interrupted_lines(&ctx, sigint_no_result)),
            }
        }
    });
    Ok(())
}

fn interrupted_lines(ctx: &Ctx, no_result: bool) -> Vec<crate::line::Line> {
    let mut out = vec![lines::interrupted(ctx)];
    if !no_result {
        let fields = ResultFields {
            subtype: "error_during_execution",
            is_error: true,
            result: None,
            stop_reason: None,
            terminal_reason: "aborted_streaming",
            errors: Some(vec![
                "[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null".into(),
            ]),
            input_tokens: 1200,
            output_tokens: 7,
            cost_usd: 0.003705,
            ..ResultFields::success(String::new())
        };
        out.push(lines::result(ctx, &fields));
    }
    out
}
