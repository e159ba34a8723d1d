//! The simulated iSCSI traffic as a pcap file: each delivered piece becomes
//! Ethernet/IPv4/TCP segments (at most 1460 bytes of payload) with sequence
//! and acknowledgement numbers consistent per connection, port 3260 on the
//! target, so tshark's iSCSI dissector reads it.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::net::UP;

const MSS: usize = 1460;
const INI_ISN: u32 = 1_000;
const TGT_ISN: u32 = 500_000;

/// A pcap being written in memory.
#[derive(Debug)]
pub struct Pcap {
    out: Vec<u8>,
    /// Per link: the initiator's index and bytes acknowledged each way.
    links: BTreeMap<u64, (usize, [u64; 2])>,
    ip_id: u16,
}

fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for c in chunks {
        for &b in c.iter() {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

impl Default for Pcap {
    fn default() -> Self {
        Self::new()
    }
}

impl Pcap {
    pub fn new() -> Self {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&65_535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        Pcap {
            out,
            links: BTreeMap::new(),
            ip_id: 1,
        }
    }

    fn addrs(link: u64, ini: usize, dir: usize) -> ([u8; 4], u16, [u8; 4], u16) {
        let ip_i = [10, 0, 0, 10 + ini as u8];
        let ip_t = [10, 0, 0, 1];
        let port_i = 40_000 + (link % 20_000) as u16;
        if dir == UP {
            (ip_i, port_i, ip_t, 3260)
        } else {
            (ip_t, 3260, ip_i, port_i)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        at: Duration,
        link: u64,
        ini: usize,
        dir: usize,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let (src, sport, dst, dport) = Self::addrs(link, ini, dir);
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&sport.to_be_bytes());
        tcp.extend_from_slice(&dport.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.push(5 << 4);
        tcp.push(flags);
        tcp.extend_from_slice(&65_535u16.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let tcp_len = tcp.len() as u16;
        let mut pseudo = Vec::with_capacity(12);
        pseudo.extend_from_slice(&src);
        pseudo.extend_from_slice(&dst);
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&tcp_len.to_be_bytes());
        let c = checksum(&[&pseudo, &tcp]);
        tcp[16..18].copy_from_slice(&c.to_be_bytes());
        let mut ip = Vec::with_capacity(20);
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&(20 + tcp_len).to_be_bytes());
        ip.extend_from_slice(&self.ip_id.to_be_bytes());
        self.ip_id = self.ip_id.wrapping_add(1);
        ip.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]);
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let c = checksum(&[&ip]);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let mac = |a: [u8; 4]| [0x02, 0, a[0], a[1], a[2], a[3]];
        let len = 14 + ip.len() + tcp.len();
        self.out
            .extend_from_slice(&(at.as_secs() as u32).to_le_bytes());
        self.out
            .extend_from_slice(&at.subsec_micros().to_le_bytes());
        self.out.extend_from_slice(&(len as u32).to_le_bytes());
        self.out.extend_from_slice(&(len as u32).to_le_bytes());
        self.out.extend_from_slice(&mac(dst));
        self.out.extend_from_slice(&mac(src));
        self.out.extend_from_slice(&[0x08, 0x00]);
        self.out.extend_from_slice(&ip);
        self.out.extend_from_slice(&tcp);
    }

    fn isn(dir: usize) -> u32 {
        if dir == UP {
            INI_ISN
        } else {
            TGT_ISN
        }
    }

    /// A connection opens: the three-way handshake.
    pub fn open(&mut self, at: Duration, link: u64, ini: usize) {
        self.links.insert(link, (ini, [0, 0]));
        self.packet(at, link, ini, UP, INI_ISN, 0, 0x02, &[]);
        self.packet(at, link, ini, 1, TGT_ISN, INI_ISN + 1, 0x12, &[]);
        self.packet(at, link, ini, UP, INI_ISN + 1, TGT_ISN + 1, 0x10, &[]);
    }

    /// A piece of stream `dir` at stream `offset` was delivered.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        at: Duration,
        link: u64,
        ini: usize,
        dir: usize,
        offset: u64,
        data: &[u8],
        fin: bool,
    ) {
        let acked = self.links.entry(link).or_insert((ini, [0, 0])).1;
        let other = 1 - dir;
        let ack = Self::isn(other)
            .wrapping_add(1)
            .wrapping_add(acked[other] as u32);
        let base = Self::isn(dir).wrapping_add(1).wrapping_add(offset as u32);
        // Data goes out as PSH|ACK (0x18) segments, the end as FIN|ACK (0x11).
        let send = |this: &mut Self, off: usize, flags: u8, payload: &[u8]| {
            this.packet(
                at,
                link,
                ini,
                dir,
                base.wrapping_add(off as u32),
                ack,
                flags,
                payload,
            );
        };
        let mut off = 0usize;
        for chunk in data.chunks(MSS) {
            send(self, off, 0x18, chunk);
            off += chunk.len();
        }
        if fin {
            send(self, off, 0x11, &[]);
        }
        if let Some(e) = self.links.get_mut(&link) {
            e.1[dir] = offset + data.len() as u64;
        }
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}
