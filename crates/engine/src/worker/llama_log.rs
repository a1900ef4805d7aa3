//! llama.cpp's log, routed through `tracing`. Error lines are kept so an error
//! reply can quote llama.cpp's own reason (a grammar parse error names the
//! offending text). Everything is echoed to stderr when `MILLWRIGHT_LLAMA_LOG`
//! is set; otherwise the info chatter is dropped.

use std::fmt::Write;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());
const KEEP: usize = 32;

struct Capture {
    echo: bool,
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut msg = Message(String::new());
        event.record(&mut msg);
        let text = msg.0.trim_end();
        if self.echo {
            eprintln!("{text}");
        }
        if *event.metadata().level() <= Level::WARN && !text.is_empty() {
            let mut errors = ERRORS.lock().unwrap_or_else(|p| p.into_inner());
            if errors.len() == KEEP {
                errors.remove(0);
            }
            errors.push(text.to_owned());
        }
    }
}

pub fn install() {
    let echo = std::env::var_os("MILLWRIGHT_LLAMA_LOG").is_some();
    let subscriber = tracing_subscriber::registry().with(Capture { echo });
    let _ = tracing::subscriber::set_global_default(subscriber);
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default().with_logs_enabled(true));
}

/// Forgets earlier error lines, before a call whose errors should be reported.
pub fn clear() {
    ERRORS.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// The error lines logged since [`clear`], joined.
pub fn take() -> String {
    let lines = std::mem::take(&mut *ERRORS.lock().unwrap_or_else(|p| p.into_inner()));
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
