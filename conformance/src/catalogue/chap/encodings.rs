//! Encodings of CHAP binary values (RFC 7143 §6.1 binary-value, §12.1.3):
//! hex with either prefix and either case of digits, and base64 with either
//! prefix. A target must take them all.

use super::{account, challenged, complete, respond};
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::text::value;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.chap.response-hex",
        clause: "RFC 7143 §6.1, §12.1.3",
        level: Level::Must,
        requirement: "a CHAP_R written as 0x and lower-case hex digits authenticates",
        needs: Needs::CHAP,
        run: hex_lower,
    },
    Scenario {
        id: "iscsi.chap.response-hex-upper",
        clause: "RFC 7143 §6.1, §12.1.3",
        level: Level::Must,
        requirement: "a CHAP_R written as 0X and upper-case hex digits authenticates: both \
                      prefixes and both cases are hex-constants",
        needs: Needs::CHAP,
        run: hex_upper,
    },
    Scenario {
        id: "iscsi.chap.response-base64",
        clause: "RFC 7143 §6.1, §12.1.3",
        level: Level::Must,
        requirement: "a CHAP_R written as 0b and base64 authenticates: binary values may be \
                      sent in either encoding",
        needs: Needs::CHAP,
        run: base64_lower,
    },
    Scenario {
        id: "iscsi.chap.response-base64-upper-prefix",
        clause: "RFC 7143 §6.1, §12.1.3",
        level: Level::Must,
        requirement: "a CHAP_R written as 0B and base64 authenticates",
        needs: Needs::CHAP,
        run: base64_upper,
    },
];

/// One-way CHAP with the response written by `encode`.
fn with(ctx: &mut Context, encode: fn(&[u8]) -> String, label: &str) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let keys = vec![
        ("CHAP_N".to_owned(), user.user.clone()),
        ("CHAP_R".to_owned(), encode(&c.response(&user.secret))),
    ];
    let answer = respond(ctx, &mut login, &keys)?;
    Ok(match complete(ctx, &mut login, answer)? {
        None => Outcome::Pass,
        Some(what) => Outcome::fail(
            format!("the login to complete with a correct response in {label}"),
            what,
        ),
    })
}

fn hex_lower(ctx: &mut Context) -> Verdict {
    with(ctx, value::encode_hex, "0x hex")
}

fn hex_upper(ctx: &mut Context) -> Verdict {
    with(
        ctx,
        |b| format!("0X{}", &value::encode_hex(b)[2..].to_ascii_uppercase()),
        "0X upper-case hex",
    )
}

fn base64_lower(ctx: &mut Context) -> Verdict {
    with(ctx, value::encode_base64, "0b base64")
}

fn base64_upper(ctx: &mut Context) -> Verdict {
    with(
        ctx,
        |b| format!("0B{}", &value::encode_base64(b)[2..]),
        "0B base64",
    )
}
