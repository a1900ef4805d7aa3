//! `millwright calc`: run a mechanism model directly, or list them.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use millwright_app::calc::CalcRequest;

#[derive(Args)]
pub struct CalcArgs {
    /// List every tool with its arguments and units.
    #[arg(long)]
    list: bool,
    #[arg(long)]
    json: bool,
    /// Let the model choose the tool and its arguments for a question; the tool computes.
    #[arg(long, value_name = "QUESTION")]
    ask: Option<String>,
    /// Measure how often the model picks the right tool and arguments on the question set.
    #[arg(long)]
    eval: bool,
    #[command(flatten)]
    engine: super::engine_opts::EngineOpts,
    /// The tool, then its arguments as `--name value` (e.g. `--voltage "400 V"`).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "TOOL [--ARG VALUE]…"
    )]
    rest: Vec<String>,
}

pub fn run(a: CalcArgs) -> Result<ExitCode> {
    if a.list {
        return list(a.json);
    }
    if a.ask.is_some() || a.eval {
        return with_model(&a);
    }
    let Some((name, args)) = a.rest.split_first() else {
        eprintln!("error: name a tool, e.g. `millwright calc motor_torque --power 15kW --speed 1460rpm`, or use --list");
        return Ok(ExitCode::from(2));
    };
    let mut req = CalcRequest {
        tool: name.clone(),
        args: Vec::new(),
    };
    let mut it = args.iter();
    let mut as_json = a.json;
    while let Some(flag) = it.next() {
        if flag == "--json" {
            as_json = true;
            continue;
        }
        let Some(key) = flag.strip_prefix("--") else {
            eprintln!("error: expected `--argument value`, found {flag:?}");
            return Ok(ExitCode::from(2));
        };
        let (key, value) = match key.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => match it.next() {
                Some(v) => (key.to_string(), v.clone()),
                None => {
                    eprintln!("error: `--{key}` needs a value");
                    return Ok(ExitCode::from(2));
                }
            },
        };
        req.args.push((key.replace('-', "_"), value));
    }
    match millwright_app::calc::run(&req) {
        Ok(r) => {
            if as_json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("{}", r.title);
                print_called(&r);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}", e.user_message());
            Ok(ExitCode::from(2))
        }
    }
}

/// A calculation's formula, source, inputs as understood, results and notes,
/// one per line; `calc`, `calc --ask` and `ask` print it alike.
pub fn print_called(r: &millwright_tools::Called) {
    println!("  formula: {}", r.formula);
    println!("  source:  {}", r.source);
    println!("  inputs:  {}", r.inputs_text());
    for o in &r.outputs {
        println!(
            "  {} = {} {}",
            o.name,
            millwright_tools::display(o.value),
            o.unit
        );
    }
    for n in &r.notes {
        println!("  note: {n}");
    }
}

fn list(as_json: bool) -> Result<ExitCode> {
    if as_json {
        let tools = millwright_app::calc::tools();
        println!("{}", serde_json::to_string_pretty(&tools)?);
        return Ok(ExitCode::SUCCESS);
    }
    let tools = millwright_tools::all();
    for t in tools {
        println!("{} — {}", t.name, t.title);
        for a in t.args {
            let what = a.what();
            let extra = match (a.default, a.optional) {
                (Some(d), _) => format!(" (default {d})"),
                (None, true) => " (optional)".to_string(),
                _ => String::new(),
            };
            println!("    --{:<16} {what}{extra}: {}", a.name, a.description);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn with_model(a: &CalcArgs) -> Result<ExitCode> {
    use millwright_copilot::plc::EngineCompleter;
    use millwright_copilot::tool_call;
    let (mut eng, info) = a.engine.start()?;
    let mut model = EngineCompleter {
        engine: &mut eng,
        is_chat: info.is_chat,
    };
    if let Some(q) = &a.ask {
        let answer = tool_call::answer(&mut model, q).map_err(anyhow::Error::msg)?;
        let Some((call, result)) = answer else {
            println!("no calculation fits this question");
            return Ok(ExitCode::from(1));
        };
        if a.json {
            let result = result.map_err(|e| serde_json::json!({"error": e.to_string()}));
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"call": call, "result": result}))?
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "call: {} {}",
            call.tool,
            serde_json::Value::Object(call.args.clone())
        );
        return match result {
            Ok(r) => {
                print_called(&r);
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: the call the model made is not valid: {e}");
                Ok(ExitCode::from(1))
            }
        };
    }
    let qs = tool_call::questions();
    let graded: Vec<tool_call::Graded> =
        qs.iter().map(|q| tool_call::grade(&mut model, q)).collect();
    let n = graded.len() as f64;
    let tools = graded.iter().filter(|g| g.right_tool).count();
    let args = graded.iter().filter(|g| g.right_args).count();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": info.name, "questions": graded.len(),
                "right_tool": tools as f64 / n, "right_args": args as f64 / n, "results": graded,
            }))?
        );
    } else {
        for g in &graded {
            let mark = if g.right_args {
                "✓"
            } else if g.right_tool {
                "~"
            } else {
                "✗"
            };
            println!(
                "{mark} {} → {}",
                g.question,
                g.chosen_tool.as_deref().unwrap_or("none")
            );
        }
        println!(
            "{}: right tool {}/{} ({:.0} %), right tool and arguments {}/{} ({:.0} %)",
            info.name,
            tools,
            graded.len(),
            100.0 * tools as f64 / n,
            args,
            graded.len(),
            100.0 * args as f64 / n
        );
    }
    Ok(ExitCode::SUCCESS)
}
