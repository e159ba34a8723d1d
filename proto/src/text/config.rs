//! Our own values for negotiation, settable to anything (legal or not).

use std::collections::BTreeMap;

use super::keys::{self, KeyKind};

/// Our own values, by key, as text: a value for a numerical key, a Boolean,
/// a list of supported values in order of preference for a list key, a
/// declaration for a declarative key. Anything may be set, legal or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalConfig {
    values: BTreeMap<String, String>,
}

impl LocalConfig {
    /// No values at all: only keys set later are proposed; answers use the
    /// RFC default of each key.
    pub fn new() -> Self {
        LocalConfig::default()
    }

    /// The RFC 7143 §13 defaults of every operational key both sides may
    /// negotiate (not TaskReporting, iSCSIProtocolLevel or the obsolete
    /// markers), so that [`super::negotiate::Negotiator::propose`] offers them all.
    pub fn rfc_defaults() -> Self {
        let mut c = LocalConfig::new();
        for k in keys::KEYS {
            let negotiated = matches!(
                k.kind,
                KeyKind::List | KeyKind::And | KeyKind::Or | KeyKind::Min | KeyKind::Max
            ) || k.name == "MaxRecvDataSegmentLength";
            let later = matches!(
                k.name,
                "TaskReporting" | "iSCSIProtocolLevel" | "AuthMethod"
            );
            if let (true, false, Some(d)) = (negotiated, later, k.default) {
                c.set(k.name, d);
            }
        }
        c
    }

    /// Sets one value.
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.values.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets one value, by value.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.set(key, value);
        self
    }

    /// Removes a key so that it is neither proposed nor used for answers.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.values.remove(key);
        self
    }

    /// Our value for a key, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Keys set, in name order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}
