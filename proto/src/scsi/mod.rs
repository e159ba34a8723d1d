//! SCSI formats a disk target serves (SPC-5, SBC-4): CDBs, status, sense data,
//! and the parameter data of INQUIRY, VPD pages, mode pages and friends.

mod accessors;
pub mod asc;
pub mod cdb;
pub mod mode;
pub mod params;
pub mod sense;
pub mod status;
pub mod vpd;
