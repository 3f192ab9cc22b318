//! What a person sees of the library's log: `regen: …` lines on stderr, with
//! `warning:`/`error:` before what needs attention. Library code logs through
//! `tracing`; only this file decides how it looks. `REGEN_LOG` (an env-filter,
//! e.g. `regen=debug`) overrides the level; `--verbose` on `run` asks for debug.

use std::fmt::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::{format::Writer, FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

pub fn init(verbose: bool) {
    // Libraries speak only at debug (`--verbose`): async-openai logs every
    // retried reply as an error, although regen retries it and counts it; what
    // failed for good is regen's own `error:` line and a recorded failure.
    let default = if verbose {
        "regen=debug,debug,hyper=info,h2=info,rustls=info"
    } else {
        "regen=info,off"
    };
    let filter = EnvFilter::try_from_env("REGEN_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // A second call (a test harness, or `run` inside `ablate`) keeps the first subscriber.
    if tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .try_init()
        .is_err()
    {
        tracing::debug!("the log was already set up");
    }
}

struct Plain;

/// The message first, then the other fields as `key=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _cx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = Line::default();
        event.record(&mut line);
        let target = event.metadata().target();
        let ours = target == "regen" || target.starts_with("regen::");
        let level = match *event.metadata().level() {
            // A library's error is not regen's: regen says what failed for good.
            _ if !ours => "debug: ",
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            Level::DEBUG | Level::TRACE => "debug: ",
            Level::INFO => "",
        };
        // Every line is redacted: a library may print a server's body, key and all.
        let message = crate::secrets::redact(&line.message);
        let fields = crate::secrets::redact(&line.fields);
        // A progress line is the whole line (`[1m10s] calls …`), as a person reads it.
        if target == "regen::progress" {
            return writeln!(w, "{message}");
        }
        let from = if ours {
            String::new()
        } else {
            format!("{}: ", target.split("::").next().unwrap_or(target))
        };
        writeln!(w, "regen: {level}{from}{message}{fields}")
    }
}
