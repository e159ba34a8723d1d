//! SCSI params formats. Filled by the SCSI parameter-data work.
