//! The mode pages a disk target serves: Read-Write Error Recovery (01h,
//! SBC-4 §6.5.9), Caching (08h, SBC-4 §6.5.5), Control (0Ah, SPC-5 §7.5.8),
//! Control Extension (0Ah/01h, SPC-5 §7.5.9) and Informational Exceptions
//! Control (1Ch, SPC-5 §7.5.14 / SBC-4 §6.5.8).
//!
//! Each page keeps its parameter bytes (those after the PAGE LENGTH field)
//! exactly as on the wire, so reserved and vendor bits survive a round
//! trip and can be checked; accessors name the fields. Byte numbers in the
//! accessor comments are the page's own byte numbers.

use crate::scsi::accessors::{bits, flag, int};

/// Declares a page type holding `$len` parameter bytes.
macro_rules! page {
    ($(#[$doc:meta])* $name:ident, code $code:expr, sub $sub:expr, len $len:expr, header $hdr:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name {
            /// The parameter bytes after the PAGE LENGTH field.
            pub body: [u8; $len],
        }

        impl Default for $name {
            fn default() -> Self {
                $name { body: [0; $len] }
            }
        }

        impl $name {
            pub const PAGE_CODE: u8 = $code;
            pub const SUBPAGE_CODE: Option<u8> = $sub;
            /// PAGE LENGTH the standard gives this page.
            pub const PAGE_LENGTH: usize = $len;
            /// Bytes before the parameters (2 for page_0, 4 for sub_page).
            const HEADER: usize = $hdr;
        }
    };
}

page!(
    /// Read-Write Error Recovery mode page (01h), PAGE LENGTH 0Ah.
    ReadWriteErrorRecovery, code 0x01, sub None, len 0x0a, header 2);
page!(
    /// Caching mode page (08h), PAGE LENGTH 12h.
    Caching, code 0x08, sub None, len 0x12, header 2);
page!(
    /// Control mode page (0Ah), PAGE LENGTH 0Ah.
    Control, code 0x0a, sub None, len 0x0a, header 2);
page!(
    /// Control Extension mode page (0Ah/01h), PAGE LENGTH 1Ch.
    ControlExtension, code 0x0a, sub Some(0x01), len 0x1c, header 4);
page!(
    /// Informational Exceptions Control mode page (1Ch), PAGE LENGTH 0Ah.
    InformationalExceptions, code 0x1c, sub None, len 0x0a, header 2);

impl ReadWriteErrorRecovery {
    flag!(awre, with_awre, 2, 7);
    flag!(arre, with_arre, 2, 6);
    flag!(tb, with_tb, 2, 5);
    flag!(rc, with_rc, 2, 4);
    flag!(err, with_err, 2, 3);
    flag!(per, with_per, 2, 2);
    flag!(dte, with_dte, 2, 1);
    flag!(dcr, with_dcr, 2, 0);
    int!(read_retry_count, with_read_retry_count, u8, 3, 1);
    flag!(lbpere, with_lbpere, 7, 7);
    int!(write_retry_count, with_write_retry_count, u8, 8, 1);
    int!(recovery_time_limit, with_recovery_time_limit, u16, 10, 2);
}

impl Caching {
    flag!(ic, with_ic, 2, 7);
    flag!(abpf, with_abpf, 2, 6);
    flag!(cap, with_cap, 2, 5);
    flag!(disc, with_disc, 2, 4);
    flag!(size, with_size, 2, 3);
    flag!(
        /// WCE: write cache enabled.
        wce, with_wce, 2, 2);
    flag!(mf, with_mf, 2, 1);
    flag!(
        /// RCD: read cache disabled.
        rcd, with_rcd, 2, 0);
    bits!(
        demand_read_retention_priority,
        with_demand_read_retention_priority,
        3,
        4,
        4
    );
    bits!(
        write_retention_priority,
        with_write_retention_priority,
        3,
        0,
        4
    );
    int!(
        disable_prefetch_transfer_length,
        with_disable_prefetch_transfer_length,
        u16,
        4,
        2
    );
    int!(minimum_prefetch, with_minimum_prefetch, u16, 6, 2);
    int!(maximum_prefetch, with_maximum_prefetch, u16, 8, 2);
    int!(
        maximum_prefetch_ceiling,
        with_maximum_prefetch_ceiling,
        u16,
        10,
        2
    );
    flag!(fsw, with_fsw, 12, 7);
    flag!(lbcss, with_lbcss, 12, 6);
    flag!(dra, with_dra, 12, 5);
    flag!(nv_dis, with_nv_dis, 12, 0);
    int!(
        number_of_cache_segments,
        with_number_of_cache_segments,
        u8,
        13,
        1
    );
    int!(cache_segment_size, with_cache_segment_size, u16, 14, 2);
}

impl Control {
    bits!(
        /// TST: 000b one task set per LU, 001b one per I_T nexus.
        tst, with_tst, 2, 5, 3);
    flag!(tmf_only, with_tmf_only, 2, 4);
    flag!(dpicz, with_dpicz, 2, 3);
    flag!(
        /// D_SENSE: return descriptor format sense data (SPC-5 §4.4.1).
        d_sense, with_d_sense, 2, 2);
    flag!(gltsd, with_gltsd, 2, 1);
    flag!(rlec, with_rlec, 2, 0);
    bits!(
        /// QUEUE ALGORITHM MODIFIER: 0 restricted, 1 unrestricted reordering.
        queue_algorithm_modifier, with_queue_algorithm_modifier, 3, 4, 4);
    flag!(nuar, with_nuar, 3, 3);
    bits!(
        /// QERR: 00b, 01b abort all, 11b abort this nexus's tasks.
        qerr, with_qerr, 3, 1, 2);
    flag!(vs, with_vs, 4, 7);
    flag!(rac, with_rac, 4, 6);
    bits!(ua_intlck_ctrl, with_ua_intlck_ctrl, 4, 4, 2);
    flag!(
        /// SWP: software write protect.
        swp, with_swp, 4, 3);
    flag!(ato, with_ato, 5, 7);
    flag!(
        /// TAS: task aborted status for other nexuses' aborted commands.
        tas, with_tas, 5, 6);
    flag!(atmpe, with_atmpe, 5, 5);
    flag!(rwwp, with_rwwp, 5, 4);
    bits!(autoload_mode, with_autoload_mode, 5, 0, 3);
    int!(busy_timeout_period, with_busy_timeout_period, u16, 8, 2);
    int!(
        extended_self_test_completion_time,
        with_extended_self_test_completion_time,
        u16,
        10,
        2
    );
}

impl ControlExtension {
    flag!(dlc, with_dlc, 4, 3);
    flag!(tcmos, with_tcmos, 4, 2);
    flag!(scsip, with_scsip, 4, 1);
    flag!(ialuae, with_ialuae, 4, 0);
    bits!(
        initial_command_priority,
        with_initial_command_priority,
        5,
        0,
        4
    );
    int!(max_sense_data_length, with_max_sense_data_length, u8, 6, 1);
}

impl InformationalExceptions {
    flag!(perf, with_perf, 2, 7);
    flag!(ebf, with_ebf, 2, 5);
    flag!(ewasc, with_ewasc, 2, 4);
    flag!(dexcpt, with_dexcpt, 2, 3);
    flag!(test, with_test, 2, 2);
    flag!(ebackerr, with_ebackerr, 2, 1);
    flag!(logerr, with_logerr, 2, 0);
    bits!(
        /// MRIE: method of reporting informational exceptions.
        mrie, with_mrie, 3, 0, 4);
    int!(interval_timer, with_interval_timer, u32, 4, 4);
    int!(report_count, with_report_count, u32, 8, 4);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bits_land_where_spc5_puts_them() {
        let c = Control::default()
            .with_d_sense(true)
            .with_qerr(0b01)
            .with_tst(1)
            .with_tas(true)
            .with_busy_timeout_period(0xffff);
        assert_eq!(c.body[0], 0x24); // byte 2: TST=001b, D_SENSE
        assert_eq!(c.body[1], 0x02); // byte 3: QERR=01b
        assert_eq!(c.body[3], 0x40); // byte 5: TAS
        assert_eq!(&c.body[6..8], &[0xff, 0xff]);
        assert!(c.d_sense() && c.tas() && c.qerr() == 1 && c.tst() == 1);
        assert!(!c.with_d_sense(false).d_sense());
    }

    #[test]
    fn caching_and_iec() {
        let c = Caching::default()
            .with_wce(true)
            .with_rcd(true)
            .with_write_retention_priority(0xf);
        assert_eq!((c.body[0], c.body[1]), (0x05, 0x0f));
        let i = InformationalExceptions::default()
            .with_mrie(6)
            .with_interval_timer(0x01020304);
        assert_eq!(&i.body[1..6], &[6, 1, 2, 3, 4]);
        assert_eq!(i.interval_timer(), 0x01020304);
        let x = ControlExtension::default().with_max_sense_data_length(252);
        assert_eq!(x.body[2], 252);
        assert_eq!(
            ReadWriteErrorRecovery::default().with_awre(true).body[0],
            0x80
        );
    }
}
