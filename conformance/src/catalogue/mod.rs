pub fn all() -> Vec<crate::scenario::Scenario> { Vec::new() }
