//! SCSI CDBs (SPC-5, SBC-4). Filled by the CDB work.
