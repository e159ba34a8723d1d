//! SCSI sense formats. Filled by the SCSI parameter-data work.
