//! CHAP known answers and value bounds (RFC 1994 §4.1, RFC 7143 §12.1.3).

use rtgt_proto::chap::{self, Challenge, ChapAlgorithm, ChapError, ChapSecret, MAX_BINARY_LEN};
use rtgt_proto::text::value::{encode_base64, encode_hex, ValueError};

/// Expected responses computed independently with Python's hashlib:
/// `hashlib.new(name, bytes([0x2a]) + b"secretsecret" + bytes(range(16))).hexdigest()`
/// for name in md5, sha1, sha256, sha3_256.
const VECTORS: [(ChapAlgorithm, &str); 4] = [
    (ChapAlgorithm::Md5, "0x54d49338a27b0c1dd5e935c21ab005a3"),
    (
        ChapAlgorithm::Sha1,
        "0xb060c80c0e004a388193dd4b911b5a400ca2b931",
    ),
    (
        ChapAlgorithm::Sha256,
        "0x2076dab09b25dfe7f89cdb79aa854cf8af88246b80126a0856a426662b39d903",
    ),
    (
        ChapAlgorithm::Sha3_256,
        "0x1e1bc4b940a438823a7ab5862e223043f6f65ee8148abe3310f5b7de30b8aa95",
    ),
];

#[test]
fn known_answers() {
    let secret = ChapSecret::new(*b"secretsecret");
    let challenge: Vec<u8> = (0u8..16).collect();
    for (alg, want) in VECTORS {
        let r = alg.response(0x2a, &secret, &challenge);
        assert_eq!(r.len(), alg.digest_len());
        assert_eq!(chap::encode_response(&r), want, "{alg:?}");
        let parsed = chap::parse_binary(want).unwrap();
        assert!(alg.verify(0x2a, &secret, &challenge, &parsed));
        // Base64 carries the same response.
        assert!(alg.verify(
            0x2a,
            &secret,
            &challenge,
            &chap::parse_binary(&encode_base64(&r)).unwrap()
        ));
    }
    // hashlib.md5(bytes([0]) + bytes([0xff])).hexdigest(): empty secret.
    let r = ChapAlgorithm::Md5.response(0, &ChapSecret::new(Vec::new()), &[0xff]);
    assert_eq!(encode_hex(&r), "0xd07d34efac6328007ad67c7e0a985e00");
}

#[test]
fn wrong_id_secret_or_length_fails() {
    let secret = ChapSecret::new(*b"secretsecret");
    let ch = Challenge::from_random(0x2a, &(0u8..16).collect::<Vec<_>>()).unwrap();
    let good = chap::parse_binary(VECTORS[0].1).unwrap();
    assert!(ch.verify(ChapAlgorithm::Md5, &secret, &good));
    let other_id = Challenge::from_random(0x2b, ch.bytes()).unwrap();
    assert!(!other_id.verify(ChapAlgorithm::Md5, &secret, &good));
    assert!(!ch.verify(
        ChapAlgorithm::Md5,
        &ChapSecret::new(*b"secretsecreT"),
        &good
    ));
    assert!(!ch.verify(ChapAlgorithm::Md5, &secret, &good[..15]));
    assert!(!ch.verify(ChapAlgorithm::Sha1, &secret, &good));
    assert_eq!(
        chap::check_identifier(0x2a, 0x2b),
        Err(ChapError::WrongIdentifier {
            expected: 0x2a,
            got: 0x2b
        })
    );
    assert_eq!(chap::check_identifier(7, 7), Ok(()));
}

#[test]
fn reflected_challenge() {
    let ours = Challenge::from_random(1, &[9u8; 16]).unwrap();
    let echoed = chap::parse_binary(&ours.value_hex()).unwrap();
    assert!(ours.is_reflected(&echoed));
    assert_eq!(
        ours.check_not_reflected(&echoed),
        Err(ChapError::ReflectedChallenge)
    );
    assert_eq!(ours.check_not_reflected(&[9u8; 15]), Ok(()));
}

#[test]
fn binary_bounds() {
    let max = vec![0xa5u8; MAX_BINARY_LEN];
    assert_eq!(chap::parse_binary(&encode_hex(&max)).unwrap().len(), 1024);
    assert_eq!(
        chap::parse_binary(&encode_base64(&max)).unwrap().len(),
        1024
    );
    let over = vec![0xa5u8; MAX_BINARY_LEN + 1];
    let too_long = ChapError::BadBinary(ValueError::TooLong {
        len: 1025,
        max: 1024,
    });
    assert_eq!(
        chap::parse_binary(&encode_hex(&over)),
        Err(too_long.clone())
    );
    assert_eq!(
        chap::parse_binary(&encode_base64(&over)),
        Err(too_long.clone())
    );
    assert_eq!(Challenge::from_random(0, &over), Err(too_long));
    assert_eq!(Challenge::from_random(0, &[]), Err(ChapError::Empty));
    assert_eq!(
        chap::parse_binary("0x"),
        Err(ChapError::BadBinary(ValueError::BadHex))
    );
    assert_eq!(
        chap::parse_binary("1234"),
        Err(ChapError::BadBinary(ValueError::NotBinary))
    );
    assert_eq!(
        chap::parse_binary("0bAA"),
        Err(ChapError::BadBinary(ValueError::BadBase64))
    );
}

#[test]
fn identifiers_and_algorithms() {
    assert_eq!(chap::parse_identifier("0"), Ok(0));
    assert_eq!(chap::parse_identifier("255"), Ok(255));
    assert_eq!(chap::parse_identifier("0xff"), Ok(255));
    assert_eq!(chap::parse_identifier("256"), Err(ChapError::BadIdentifier));
    assert_eq!(chap::parse_identifier("-1"), Err(ChapError::BadIdentifier));
    assert_eq!(chap::parse_algorithm_list("7,5"), Ok(vec![7, 5]));
    assert_eq!(
        chap::parse_algorithm_list("7,,5"),
        Err(ChapError::BadAlgorithmList)
    );
    assert_eq!(
        chap::parse_algorithm_list("MD5"),
        Err(ChapError::BadAlgorithmList)
    );
    let all = ChapAlgorithm::ALL;
    // The initiator's order wins, unknown codes are skipped.
    assert_eq!(
        chap::select_algorithm(&[129, 7, 5], &all),
        Ok(ChapAlgorithm::Sha256)
    );
    assert_eq!(
        chap::select_algorithm(&[5, 7], &all),
        Ok(ChapAlgorithm::Md5)
    );
    assert_eq!(
        chap::select_algorithm(&[7], &[ChapAlgorithm::Md5]),
        Err(ChapError::NoCommonAlgorithm)
    );
    assert_eq!(
        chap::encode_algorithm_list(&[ChapAlgorithm::Sha3_256, ChapAlgorithm::Md5]),
        "8,5"
    );
    let offered = [ChapAlgorithm::Sha256, ChapAlgorithm::Md5];
    assert_eq!(
        chap::parse_chosen_algorithm("5", &offered),
        Ok(ChapAlgorithm::Md5)
    );
    assert_eq!(
        chap::parse_chosen_algorithm("6", &offered),
        Err(ChapError::UnexpectedAlgorithm(6))
    );
}

#[test]
fn secrets_are_redacted() {
    let s = ChapSecret::new(*b"hunter2hunter2");
    let shown = format!("{s:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert_eq!(shown, "ChapSecret(<redacted, 14 bytes>)");
}
