//! The few W3C WebDriver calls the end-to-end test needs, over HTTP on
//! localhost (ureq without TLS: no native code, nothing else to build).

use std::path::Path;

use serde_json::{json, Value};

pub struct Session {
    base: String,
    id: String,
}

fn call(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(120))
        .build();
    let req = agent.request(method, url);
    let resp = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let text = r.into_string().unwrap_or_default();
            return Err(format!("{method} {url}: HTTP {code}: {text}"));
        }
        Err(e) => return Err(format!("{method} {url}: {e}")),
    };
    let v: Value = resp.into_json().map_err(|e| e.to_string())?;
    Ok(v["value"].clone())
}

impl Session {
    pub fn start(port: u16, app: &Path) -> Result<Session, String> {
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app}
        }}});
        let v = call("POST", &format!("{base}/session"), Some(caps))?;
        let id = v["sessionId"].as_str().ok_or("no session id")?.to_owned();
        Ok(Session { base, id })
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/session/{}{rest}", self.base, self.id)
    }

    fn element(&self, css: &str) -> Result<String, String> {
        let v = call(
            "POST",
            &self.url("/element"),
            Some(json!({"using": "css selector", "value": css})),
        )?;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|e| e.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("no element {css}"))
    }

    pub fn exists(&self, css: &str) -> bool {
        self.element(css).is_ok()
    }

    pub fn click(&self, css: &str) -> Result<(), String> {
        let e = self.element(css)?;
        call(
            "POST",
            &self.url(&format!("/element/{e}/click")),
            Some(json!({})),
        )?;
        Ok(())
    }

    pub fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let e = self.element(css)?;
        call(
            "POST",
            &self.url(&format!("/element/{e}/value")),
            Some(json!({"text": text})),
        )?;
        Ok(())
    }

    /// Types into whatever has focus, key by key with `pause_ms` between
    /// keys, as a person at a keyboard would (W3C actions).
    pub fn keys(&self, text: &str, pause_ms: u64) -> Result<(), String> {
        let mut actions = Vec::new();
        for c in text.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
            actions.push(json!({"type": "pause", "duration": pause_ms}));
        }
        call(
            "POST",
            &self.url("/actions"),
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )?;
        call("DELETE", &self.url("/actions"), None)?;
        Ok(())
    }

    pub fn text(&self, css: &str) -> Result<String, String> {
        let e = self.element(css)?;
        let v = call("GET", &self.url(&format!("/element/{e}/text")), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    pub fn exec(&self, script: &str, args: Value) -> Result<Value, String> {
        call(
            "POST",
            &self.url("/execute/sync"),
            Some(json!({"script": script, "args": args})),
        )
    }

    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        use base64::Engine as _;
        let v = call("GET", &self.url("/screenshot"), None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn close(&self) {
        let _ = call("DELETE", &self.url(""), None);
    }
}
