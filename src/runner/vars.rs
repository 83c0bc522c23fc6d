//! Scenario variables (`${epsv.port}`) and template rendering.

use crate::suite::{Part, Template};
use std::collections::HashMap;

/// Variable values of one running scenario. Values are text (addresses, ports, lists).
#[derive(Debug, Clone, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Forgets a value (`${client.host-number}` after a `reconnect` over IPv6).
    pub fn unset(&mut self, name: &str) {
        self.0.remove(name);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Fills a template. A variable the parser allowed but nothing bound yet (a binder whose
    /// reply had another code) is an error naming it.
    pub fn render(&self, template: &Template) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for part in &template.parts {
            match part {
                Part::Literal(bytes) => out.extend_from_slice(bytes),
                Part::Var(name) => match self.get(name) {
                    Some(value) => out.extend_from_slice(value.as_bytes()),
                    None if is_ipv4_only(name) => {
                        return Err(format!(
                            "variable ${{{name}}} has no value: it is the PORT form of an IPv4 \
                             address, and this connection is IPv6 (use EPRT, RFC 2428 §2)"
                        ));
                    }
                    None => return Err(format!("variable ${{{name}}} has no value yet")),
                },
            }
        }
        Ok(out)
    }

    /// Renders a template as text (addresses, ports, notes).
    pub fn render_text(&self, template: &Template) -> Result<String, String> {
        self.render(template)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// The variables that exist only over IPv4: PORT's `h1,h2,h3,h4` forms (RFC 959 §4.1.2).
fn is_ipv4_only(name: &str) -> bool {
    name == "client.host-number" || name.ends_with(".hostport")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reports_missing() {
        let mut vars = Vars::default();
        vars.set("epsv.port", "6446");
        let t = Template {
            parts: vec![
                Part::Literal(b"port ".to_vec()),
                Part::Var("epsv.port".into()),
            ],
        };
        assert_eq!(vars.render(&t).unwrap(), b"port 6446");
        let missing = Template {
            parts: vec![Part::Var("pasv.ip".into())],
        };
        assert!(vars.render(&missing).unwrap_err().contains("pasv.ip"));
    }
}
