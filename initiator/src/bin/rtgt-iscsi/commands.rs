//! The subcommands other than `bench`.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::Args;
use rtgt_initiator::client::discover_with;
use rtgt_proto::scsi::vpd::{VpdPage, PAGE_SUPPORTED};

use crate::conn::{explain, ConnArgs};
use crate::mpath::Unit;
use crate::show;

/// Blocks moved by one command of `read`, `write` and `verify`.
const CHUNK_BLOCKS: u32 = 128;

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Ask this iSNS server (RFC 4171, port 3205 by default) for the
    /// targets instead of a portal's SendTargets
    #[arg(long, value_name = "HOST[:PORT]")]
    pub isns: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Args)]
pub struct LunArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Args)]
pub struct InquiryArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Only this VPD page (hex, e.g. 83 or 0xb0); without it, the standard
    /// data and every supported page
    #[arg(long, value_name = "PAGE", value_parser = parse_hex_u8)]
    pub page: Option<u8>,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// First logical block
    #[arg(long, default_value_t = 0)]
    pub lba: u64,
    /// Number of blocks
    #[arg(long, default_value_t = 1)]
    pub blocks: u64,
    /// Write the data to this file instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// First logical block
    #[arg(long, default_value_t = 0)]
    pub lba: u64,
    /// Read the data from this file instead of stdin
    #[arg(long = "in", short, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Pad the data with zeros to a whole number of blocks
    #[arg(long)]
    pub pad: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// First logical block
    #[arg(long, default_value_t = 0)]
    pub lba: u64,
    /// Number of blocks to write and check
    #[arg(long, default_value_t = 2048)]
    pub blocks: u64,
    /// Seed of the pattern (each block also carries its LBA)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn parse_hex_u8(s: &str) -> Result<u8, String> {
    let t = s.trim_start_matches("0x").trim_end_matches('h');
    u8::from_str_radix(t, 16).map_err(|_| format!("{s:?} is not a page code in hex (00 to ff)"))
}

pub async fn discover(a: DiscoverArgs) -> Result<()> {
    if let Some(server) = &a.isns {
        return discover_isns(server, &a.conn.initiator_name).await;
    }
    let r = a.conn.resolve()?;
    r.single_path()?;
    let targets = discover_with(&r.portal, r.discovery_config()?)
        .await
        .map_err(|e| explain(e, &r))?;
    if targets.is_empty() {
        println!("{} offers no target to {}", r.portal, a.conn.initiator_name);
    }
    for t in targets {
        println!("{}", t.name);
        for addr in t.addresses {
            println!("    {addr}");
        }
    }
    Ok(())
}

/// `discover --isns`: the target nodes an iSNS server lists, printed as
/// SendTargets discovery prints them (address,portal group tag).
async fn discover_isns(server: &str, initiator_name: &str) -> Result<()> {
    let targets = rtgt_initiator::client::discover_isns(server, initiator_name).await?;
    if targets.is_empty() {
        println!("iSNS server {server} lists no target to {initiator_name}");
    }
    for t in targets {
        println!("{}", t.name);
        for (addr, tag) in t.portals {
            match tag {
                Some(tag) => println!("    {addr},{tag}"),
                None => println!("    {addr}"),
            }
        }
    }
    Ok(())
}

pub async fn login(a: LoginArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let s = r.login().await?;
    println!(
        "logged in to {} at {}",
        r.target.as_deref().unwrap_or(""),
        s.portal()
    );
    print!("{}", show::login_info(s.info()));
    s.logout().await?;
    println!("logged out");
    Ok(())
}

pub async fn inquiry(a: InquiryArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let lun = r.lun()?;
    let s = r.login().await?;
    if let Some(page) = a.page {
        print!("{}", show::vpd(&s.vpd(lun, page).await?));
    } else {
        print!("{}", show::inquiry(&s.inquiry(lun).await?));
        let supported = s.vpd(lun, PAGE_SUPPORTED).await;
        match supported {
            Ok(v) => {
                print!("{}", show::vpd(&v));
                if let VpdPage::Supported(pages) = v.page {
                    for p in pages.into_iter().filter(|&p| p != PAGE_SUPPORTED) {
                        match s.vpd(lun, p).await {
                            Ok(v) => print!("{}", show::vpd(&v)),
                            Err(e) => println!("VPD page {p:02x}h: {e}"),
                        }
                    }
                }
            }
            Err(e) => println!("no VPD pages: {e}"),
        }
    }
    s.logout().await?;
    Ok(())
}

pub async fn readcap(a: LunArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let s = Unit::open(&r).await?;
    let c = s.read_capacity().await?;
    println!(
        "{} blocks of {} bytes ({} bytes, {:.1} MiB)",
        c.blocks,
        c.block_length,
        c.bytes(),
        c.bytes() as f64 / 1048576.0
    );
    s.logout().await?;
    Ok(())
}

pub async fn luns(a: LunArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let s = r.login().await?;
    for l in s.report_luns().await? {
        match l.index() {
            Some(n) => println!("LUN {n}"),
            None => println!("LUN {:016x}", l.to_u64()),
        }
    }
    s.logout().await?;
    Ok(())
}

pub async fn read(a: ReadArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let s = Unit::open(&r).await?;
    let mut out: Box<dyn std::io::Write> = match &a.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut lba = a.lba;
    let end = a.lba.saturating_add(a.blocks);
    while lba < end {
        let n = (end - lba).min(u64::from(CHUNK_BLOCKS)) as u32;
        let data = s.read(lba, n).await?;
        out.write_all(&data).context("writing the data out")?;
        lba += u64::from(n);
    }
    out.flush()?;
    s.logout().await?;
    Ok(())
}

pub async fn write(a: WriteArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let mut data = Vec::new();
    match &a.input {
        Some(p) => {
            data = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        }
        None => {
            std::io::stdin()
                .lock()
                .read_to_end(&mut data)
                .context("reading stdin")?;
        }
    }
    let s = Unit::open(&r).await?;
    let bl = s.block_length().await? as usize;
    if data.len() % bl != 0 {
        if !a.pad {
            bail!(
                "{} bytes is not a whole number of {bl}-byte blocks; add --pad to pad with zeros",
                data.len()
            );
        }
        data.resize(data.len().div_ceil(bl) * bl, 0);
    }
    let data = Bytes::from(data);
    let chunk = bl * CHUNK_BLOCKS as usize;
    let mut lba = a.lba;
    for piece in (0..data.len()).step_by(chunk.max(1)) {
        let part = data.slice(piece..(piece + chunk).min(data.len()));
        let blocks = (part.len() / bl) as u64;
        s.write(lba, part).await?;
        lba += blocks;
    }
    eprintln!("wrote {} blocks at LBA {}", data.len() / bl, a.lba);
    s.logout().await?;
    Ok(())
}

/// The verify pattern of one block: its LBA and the seed in the first 16
/// bytes, then a xorshift stream seeded by both.
pub fn pattern_block(lba: u64, seed: u64, len: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(len);
    b.extend_from_slice(&lba.to_be_bytes());
    b.extend_from_slice(&seed.to_be_bytes());
    let mut x = lba.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed ^ 0x2545_f491_4f6c_dd1d;
    while b.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.extend_from_slice(&x.to_le_bytes());
    }
    b.truncate(len);
    b
}

pub async fn verify(a: VerifyArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let s = Unit::open(&r).await?;
    let bl = s.block_length().await? as usize;
    let end = a.lba.saturating_add(a.blocks);
    let mut lba = a.lba;
    while lba < end {
        let n = (end - lba).min(u64::from(CHUNK_BLOCKS));
        let mut buf = Vec::with_capacity(n as usize * bl);
        for i in 0..n {
            buf.extend(pattern_block(lba + i, a.seed, bl));
        }
        s.write(lba, Bytes::from(buf)).await?;
        lba += n;
    }
    lba = a.lba;
    while lba < end {
        let n = (end - lba).min(u64::from(CHUNK_BLOCKS));
        let got = s.read(lba, n as u32).await?;
        for i in 0..n {
            let want = pattern_block(lba + i, a.seed, bl);
            let off = (i as usize) * bl;
            let have = got.get(off..off + bl).unwrap_or_default();
            if let Some(pos) = want.iter().zip(have).position(|(w, h)| w != h) {
                bail!(
                    "mismatch at LBA {} byte {pos}: wrote {:#04x}, read {:#04x}",
                    lba + i,
                    want.get(pos).copied().unwrap_or(0),
                    have.get(pos).copied().unwrap_or(0)
                );
            }
        }
        lba += n;
    }
    println!(
        "verified {} blocks of {bl} bytes at LBA {}: all match",
        a.blocks, a.lba
    );
    s.logout().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_blocks_differ_by_lba_and_seed() {
        let a = pattern_block(7, 1, 512);
        assert_eq!(a.len(), 512);
        assert_eq!(&a[..8], &7u64.to_be_bytes());
        assert_ne!(a, pattern_block(8, 1, 512));
        assert_ne!(a, pattern_block(7, 2, 512));
        assert_eq!(a, pattern_block(7, 1, 512));
    }

    #[test]
    fn page_codes_read_as_hex() {
        assert_eq!(parse_hex_u8("83"), Ok(0x83));
        assert_eq!(parse_hex_u8("0xb0"), Ok(0xb0));
        assert_eq!(parse_hex_u8("b2h"), Ok(0xb2));
        assert!(parse_hex_u8("zz").is_err());
    }
}
