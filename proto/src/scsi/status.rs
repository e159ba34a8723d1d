//! SCSI status formats. Filled by the SCSI parameter-data work.
