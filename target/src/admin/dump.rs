//! tgtd's view of the live state written as `rtgt.toml`, for `rtgtadm
//! --dump` and `persist = true`: a format-preserving edit of the file the
//! daemon started from (`toml_edit`), so its comments and layout stay.
//! Only what tgtadm can change is edited: the `[[target]]` tables (added,
//! removed, their `tid`, `tgt_compat`, `allow_addresses`,
//! `allow_initiators`, `chap` accounts and `[[target.lun]]` tables), the
//! discovery accounts, `[[account]]` (the accounts in the order tgtadm
//! made them, when the rest of the file does not give it) and
//! `allow_weak_chap`. A value that already reads as the live state is left
//! as written. No IO.

use std::collections::BTreeMap;

use toml_edit::{value, Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::state::{AdminState, Bindings, LunInfo, TargetEntry};

/// The first line of `--dump`'s answer, so `rtgtadm` can tell it from
/// another daemon's answer to the same request.
pub const DUMP_MARK: &str = "# rtgtd configuration (rtgtadm --dump)\n";

/// RFC 7143 §12.1.3's 96 bits.
const STRONG_SECRET: usize = 12;

type Accounts = Vec<(String, String)>;

/// Edits `doc` to hold `state`.
pub fn render(doc: &mut DocumentMut, state: &AdminState) {
    let mut weak = false;
    let live: BTreeMap<&str, (i32, &TargetEntry)> = state
        .targets()
        .map(|(tid, t)| (t.name.as_str(), (tid, t)))
        .collect();
    if !doc.contains_key("target") && !live.is_empty() {
        doc.insert("target", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    if let Some(tables) = doc.get_mut("target").and_then(Item::as_array_of_tables_mut) {
        tables.retain(|t| iqn(t).is_some_and(|n| live.contains_key(n)));
        let known: Vec<String> = tables.iter().filter_map(iqn).map(str::to_owned).collect();
        for (name, _) in live.iter().filter(|(n, _)| !known.iter().any(|k| k == *n)) {
            let mut t = Table::new();
            t.insert("iqn", value(*name));
            tables.push(t);
        }
        for (i, t) in tables.iter_mut().enumerate() {
            let Some(&(tid, entry)) = iqn(t).and_then(|n| live.get(n)) else {
                continue;
            };
            let default_tid = i64::try_from(i + 1).unwrap_or(i64::MAX);
            let written = t.get("tid").and_then(Item::as_integer);
            if written.unwrap_or(default_tid) != i64::from(tid) {
                t.insert("tid", value(i64::from(tid)));
            }
            weak |= target(t, tid, entry, state);
        }
    }
    let discovery = bound(state, state.discovery());
    let written = doc
        .get("discovery")
        .and_then(Item::as_table_like)
        .and_then(|d| d.get("chap"))
        .map(chap_accounts)
        .unwrap_or_default();
    if written != discovery {
        let d = doc.entry("discovery").or_insert(implicit_table());
        if let Some(d) = d.as_table_like_mut() {
            let chap = d.entry("chap").or_insert(implicit_table());
            set_chap(chap, &discovery);
        }
    }
    weak |= is_weak(&discovery);
    let accounts = accounts_to_list(doc, state);
    weak |= accounts.iter().any(|(_, s)| s.len() < STRONG_SECRET);
    let written = doc.get("account").map(account_list).unwrap_or_default();
    if written != accounts {
        if accounts.is_empty() {
            doc.remove("account");
        } else {
            let mut list = ArrayOfTables::new();
            for (user, secret) in &accounts {
                let mut t = Table::new();
                t.insert("user", value(user.as_str()));
                t.insert("secret", value(secret.as_str()));
                list.push(t);
            }
            doc.insert("account", Item::ArrayOfTables(list));
        }
    }
    let allowed = doc.get("allow_weak_chap").and_then(Item::as_bool);
    if weak && allowed != Some(true) {
        doc.insert("allow_weak_chap", value(true));
    }
}

/// The text `--dump` answers with.
pub fn dump_text(doc: &DocumentMut) -> String {
    let text = doc.to_string();
    if text.starts_with(DUMP_MARK) {
        text
    } else {
        format!("{DUMP_MARK}{text}")
    }
}

/// A table written only through its sub-tables' headers.
fn implicit_table() -> Item {
    let mut t = Table::new();
    t.set_implicit(true);
    Item::Table(t)
}

fn iqn(t: &Table) -> Option<&str> {
    t.get("iqn").and_then(Item::as_str)
}

/// Edits one `[[target]]` table; gives whether its CHAP accounts need
/// `allow_weak_chap`.
fn target(t: &mut Table, tid: i32, e: &TargetEntry, state: &AdminState) -> bool {
    let compat = e.luns.get(&0).is_some_and(|l| l.controller);
    let written = t.get("tgt_compat").and_then(Item::as_bool).unwrap_or(false);
    if compat != written {
        t.insert("tgt_compat", value(compat));
    }
    set_strings(t, "allow_addresses", &e.acl_addresses);
    set_strings(t, "allow_initiators", &e.acl_names);
    let chap = bound(state, &e.bindings);
    let written = t.get("chap").map(chap_accounts).unwrap_or_default();
    if written != chap {
        let item = t.entry("chap").or_insert(implicit_table());
        set_chap(item, &chap);
    }
    luns(t, tid, e);
    is_weak(&chap)
}

/// `key` as an array of `want`, removed when `want` is empty.
fn set_strings(t: &mut Table, key: &str, want: &[String]) {
    let written: Vec<&str> = t
        .get(key)
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if written == want {
        return;
    }
    if want.is_empty() {
        t.remove(key);
    } else {
        t.insert(
            key,
            value(want.iter().map(String::as_str).collect::<Array>()),
        );
    }
}

/// The accounts bound in `b`: the incoming ones, then the outgoing one
/// (with its secret), as `(user, secret)`; the outgoing one last with an
/// empty user when absent, so that a list tells both apart.
fn bound(state: &AdminState, b: &Bindings) -> (Accounts, Option<(String, String)>) {
    let pair = |u: &str| (u.to_owned(), state.secret(u).unwrap_or_default().to_owned());
    (
        state.incoming_users(b).map(pair).collect(),
        state.outgoing_user(b).map(pair),
    )
}

type Chap = (Accounts, Option<(String, String)>);

fn is_weak((incoming, outgoing): &Chap) -> bool {
    incoming
        .iter()
        .chain(outgoing)
        .any(|(_, s)| s.len() < STRONG_SECRET)
        || outgoing
            .as_ref()
            .is_some_and(|(_, o)| incoming.is_empty() || incoming.iter().any(|(_, s)| s == o))
}

/// An account from a table or inline table.
fn account(t: &dyn toml_edit::TableLike) -> Option<(String, String)> {
    let user = t.get("user")?.as_str()?;
    let secret = t.get("secret")?.as_str()?;
    Some((user.to_owned(), secret.to_owned()))
}

/// A list of accounts written as an array of inline tables or as an array
/// of tables.
fn account_list(item: &Item) -> Accounts {
    if let Some(a) = item.as_array_of_tables() {
        return a.iter().filter_map(|t| account(t)).collect();
    }
    item.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_inline_table)
                .filter_map(|t| account(t))
                .collect()
        })
        .unwrap_or_default()
}

/// The accounts a `chap` table holds.
fn chap_accounts(item: &Item) -> Chap {
    let Some(c) = item.as_table_like() else {
        return Chap::default();
    };
    let incoming = c.get("incoming").map(account_list).unwrap_or_default();
    let outgoing = c
        .get("outgoing")
        .and_then(Item::as_table_like)
        .and_then(account);
    (incoming, outgoing)
}

fn account_value(user: &str, secret: &str) -> Value {
    let mut t = InlineTable::new();
    t.insert("user", user.into());
    t.insert("secret", secret.into());
    Value::InlineTable(t)
}

/// Writes `want` into the `chap` table `item`.
fn set_chap(item: &mut Item, (incoming, outgoing): &Chap) {
    let Some(c) = item.as_table_like_mut() else {
        return;
    };
    if incoming.is_empty() {
        c.remove("incoming");
    } else {
        let list: Array = incoming.iter().map(|(u, s)| account_value(u, s)).collect();
        c.insert("incoming", Item::Value(Value::Array(list)));
    }
    match outgoing {
        None => {
            c.remove("outgoing");
        }
        Some((u, s)) => {
            c.insert("outgoing", Item::Value(account_value(u, s)));
        }
    }
}

/// What `[[account]]` must list: nothing when the targets' and
/// discovery's accounts, read in the file's order, make the accounts in
/// the order they were made (the daemon makes them so at start); else
/// every account, oldest first (tgt lists them newest first).
fn accounts_to_list(doc: &DocumentMut, state: &AdminState) -> Accounts {
    let by_name: BTreeMap<&str, &Bindings> = state
        .targets()
        .map(|(_, t)| (t.name.as_str(), &t.bindings))
        .collect();
    let places = doc
        .get("target")
        .and_then(Item::as_array_of_tables)
        .into_iter()
        .flat_map(|a| a.iter())
        .filter_map(|t| iqn(t).and_then(|n| by_name.get(n)).copied())
        .chain([state.discovery()]);
    let mut implied: Vec<&str> = Vec::new();
    for b in places {
        for u in state.incoming_users(b).chain(state.outgoing_user(b)) {
            if !implied.contains(&u) {
                implied.push(u);
            }
        }
    }
    let mut made: Vec<&str> = state.users().collect();
    made.reverse();
    if made == implied {
        return Accounts::new();
    }
    made.into_iter()
        .map(|u| (u.to_owned(), state.secret(u).unwrap_or_default().to_owned()))
        .collect()
}

/// The `[[target.lun]]` tables: those of removed LUNs go, new LUNs are
/// added; the others stay as written.
fn luns(t: &mut Table, tid: i32, e: &TargetEntry) {
    let live: BTreeMap<u64, &LunInfo> = e
        .luns
        .iter()
        .filter(|(_, l)| !l.controller)
        .map(|(&n, l)| (n, l))
        .collect();
    let number = |t: &Table| {
        t.get("lun")
            .and_then(Item::as_integer)
            .and_then(|n| u64::try_from(n).ok())
    };
    if let Some(item) = t.get_mut("lun") {
        if item.is_array() {
            // An array of inline tables is rewritten as tables only when
            // it must change.
            let written: Vec<Option<u64>> = item
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            v.as_inline_table()
                                .and_then(|t| t.get("lun"))
                                .and_then(Value::as_integer)
                                .and_then(|n| u64::try_from(n).ok())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<Option<u64>> = live.keys().map(|&n| Some(n)).collect();
            let mut sorted = written.clone();
            sorted.sort();
            if sorted == want {
                return;
            }
            let taken = std::mem::take(item);
            *item = taken.into_array_of_tables().map_or_else(
                |_| Item::ArrayOfTables(ArrayOfTables::new()),
                Item::ArrayOfTables,
            );
        }
    }
    if live.is_empty() {
        t.remove("lun");
        return;
    }
    let item = t
        .entry("lun")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let Some(list) = item.as_array_of_tables_mut() else {
        return;
    };
    list.retain(|l| number(l).is_some_and(|n| live.contains_key(&n)));
    let known: Vec<u64> = list.iter().filter_map(number).collect();
    for (&n, l) in live.iter().filter(|(n, _)| !known.contains(n)) {
        list.push(new_lun(tid, n, l));
    }
}

/// A `[[target.lun]]` table for a LUN made with tgtadm: its file (or a
/// RAM disk of its size), its serial as tgt gives it (`beaf` tid LUN).
fn new_lun(tid: i32, n: u64, l: &LunInfo) -> Table {
    let mut t = Table::new();
    t.insert("lun", value(i64::try_from(n).unwrap_or(i64::MAX)));
    match &l.path {
        Some(p) => {
            t.insert("backstore", value("file"));
            t.insert("path", value(p.as_str()));
        }
        None => {
            t.insert("backstore", value("ram"));
            t.insert("size", value(i64::try_from(l.size).unwrap_or(i64::MAX)));
        }
    }
    if l.block_size != 512 {
        t.insert("block_size", value(i64::from(l.block_size)));
    }
    if l.flags.split(':').any(|f| f == "direct") {
        t.insert("direct", value(true));
    }
    t.insert("thin", value(l.thin));
    if l.read_only {
        t.insert("read_only", value(true));
    }
    if l.removable {
        t.insert("removable", value(true));
    }
    t.insert("serial", value(format!("beaf{tid}{n}")));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::command::AclRule;
    use crate::admin::state::TargetEntry;
    use crate::core::TargetId;

    const FILE: &str = r#"# kept
portals = ["127.0.0.1:3260"] # kept too

[[target]]
iqn = "iqn.2024-01.org.rtgt:a" # first
[[target.lun]]
lun = 0
backstore = "ram" # scratch
size = "1M"

[[target]]
iqn = "iqn.2024-01.org.rtgt:b"
"#;

    /// Target a as the file has it, b gone, c made by tgtadm with tid 5.
    fn state() -> AdminState {
        let mut s = AdminState::default();
        let mut a = TargetEntry::new(TargetId(1), "iqn.2024-01.org.rtgt:a");
        a.luns.clear();
        a.luns.insert(0, LunInfo::controller());
        if let Some(l) = a.luns.get_mut(&0) {
            l.controller = false;
        }
        s.insert_target(1, a);
        s.insert_target(5, TargetEntry::new(TargetId(3), "iqn.2024-01.org.rtgt:c"));
        let rule = AclRule {
            address: Some("10.0.0.1".into()),
            name: None,
        };
        s.bind(5, &rule).unwrap();
        s.account_new("u", "a-long-secret").unwrap();
        s.account_bind(5, "u", false).unwrap();
        s
    }

    #[test]
    fn edits_keep_what_did_not_change() {
        let mut doc: DocumentMut = FILE.parse().unwrap();
        render(&mut doc, &state());
        let text = doc.to_string();
        let want = "# kept
portals = [\"127.0.0.1:3260\"] # kept too

[[target]]
iqn = \"iqn.2024-01.org.rtgt:a\" # first
[[target.lun]]
lun = 0
backstore = \"ram\" # scratch
size = \"1M\"

[[target]]
iqn = \"iqn.2024-01.org.rtgt:c\"
tid = 5
tgt_compat = true
allow_addresses = [\"10.0.0.1\"]

[target.chap]
incoming = [{ user = \"u\", secret = \"a-long-secret\" }]
";
        assert_eq!(text, want);
        let mut again: DocumentMut = text.parse().unwrap();
        render(&mut again, &state());
        assert_eq!(again.to_string(), want, "a second edit changes nothing");
        assert!(dump_text(&again).starts_with(DUMP_MARK));
    }
}
