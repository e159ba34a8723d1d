//! SCSI mode formats. Filled by the SCSI parameter-data work.
