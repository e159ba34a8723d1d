//! glfs luns in the configuration: the three ways to name the gluster
//! file, and the mistakes refused before anything connects.

use std::path::Path;

use super::{Config, ConfigError};

fn lun(body: &str) -> Result<Config, ConfigError> {
    let text = format!(
        "portals = [\"127.0.0.1:3261\"]\n[[target]]\niqn = \"iqn.2024-01.org.rtgt:g\"\n[[target.lun]]\nlun = 0\n{body}\n"
    );
    Config::parse(Path::new("rtgt.toml"), text)
}

fn message(body: &str) -> String {
    match lun(body) {
        Err(ConfigError::At { message, .. }) => message,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn the_three_forms_parse() {
    lun("backstore = \"glfs\"\nvolume = \"vol0\"\npath = \"luns/a.img\"\nservers = [\"g1\", \"g2:24008\", \"unix:/run/glusterd.socket\"]\nsize = \"1G\"")
        .unwrap();
    lun("backstore = \"glfs\"\npath = \"gluster://g1:24007/vol0/luns/a.img\"\nsize = \"1G\"")
        .unwrap();
    lun("backstore = \"glfs\"\npath = \"vol0@g1:luns/a.img\"").unwrap();
}

#[test]
fn mistakes_are_refused() {
    let m = message("backstore = \"glfs\"\npath = \"a.img\"\nservers = [\"g1\"]");
    assert!(m.contains("needs a volume"), "{m}");
    let m = message("backstore = \"glfs\"\nvolume = \"v\"\npath = \"a.img\"");
    assert!(m.contains("needs servers"), "{m}");
    let m = message("backstore = \"glfs\"\nvolume = \"v\"\nservers = [\"g1\"]");
    assert!(m.contains("needs a path"), "{m}");
    let m = message("backstore = \"glfs\"\npath = \"v@g1:a.img\"\nservers = [\"g2\"]");
    assert!(m.contains("remove volume and servers"), "{m}");
    let m = message("backstore = \"glfs\"\nvolume = \"v\"\npath = \"a\"\nservers = [\"g1:0\"]");
    assert!(m.contains("port"), "{m}");
    let m = message("backstore = \"file\"\npath = \"/tmp/a\"\nvolume = \"v\"");
    assert!(m.contains("for glfs luns"), "{m}");
    let m = message("backstore = \"glfs\"\npath = \"v@g1:a.img\"\ndirect = true");
    assert!(m.contains("direct"), "{m}");
}
